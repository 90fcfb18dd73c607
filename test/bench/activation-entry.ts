// Runs inside a real extension host (as an extensionTestsPath): activates the baseline extension and
// ours, and reports both times through the console, which the bench driver reads.
import * as vscode from 'vscode';

export async function run(): Promise<void> {
  const time = async (id: string) => {
    const ext = vscode.extensions.getExtension(id);
    if (!ext) throw new Error(`${id} is not loaded`);
    const t = performance.now();
    await ext.activate();
    return performance.now() - t;
  };
  await time('mlwb.mlwb-bench-warmup');
  const ours = await time('mlwb.mlops-workbench');
  const baseline = await time('mlwb.mlwb-bench-empty');
  console.log(`MLWB_BENCH ${JSON.stringify({ ours, baseline })}`);
}
