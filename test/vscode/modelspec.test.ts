import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RegisteredVersion } from '../../src/store';
import type { LaunchedRun } from '../../src/runner/run-manager';
import { inferOnce } from '../../src/modelspec/infer';
import { api, extension, waitFor, workspaceDir } from './helpers';

const EXAMPLE = () => readFileSync(join(extension().extensionPath, 'python-runner/examples/specs/digits-cnn.mlwb-model.json'), 'utf8');
/** The first "0" of scikit-learn's digits. */
const ZERO = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0];

function mlwbDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'mlwb');
}

describe('model specs (*.mlwb-model.json): diagnostics, training, registry, inference', () => {
  it('shows shape errors in the editor on the offending value, and follows edits', async () => {
    await api();
    const file = join(workspaceDir(), 'bad.mlwb-model.json');
    writeFileSync(file, EXAMPLE().replace('{"type": "linear", "in": 128, "out": 64}', '{"type": "linear", "in": 3136, "out": 64}'));
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const [d] = await waitFor(() => (mlwbDiagnostics(doc.uri).length ? mlwbDiagnostics(doc.uri) : undefined), 'diagnostics of bad.mlwb-model.json');
    assert.equal(d.message, 'linear (layer 7): "in" is 3136 but its input has 128 features (32×2×2 flattened)');
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(doc.getText(d.range), '3136');
    assert.equal(d.range.start.line, 17);

    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, d.range, '128');
    await vscode.workspace.applyEdit(edit);
    await waitFor(() => (mlwbDiagnostics(doc.uri).length === 0 ? true : undefined), 'diagnostics cleared after the fix');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('trains the spec with Run Current Training File, registers and promotes the weights, and infers from the panel', async function () {
    this.timeout(120_000);
    const file = join(workspaceDir(), 'digits-cnn.mlwb-model.json');
    writeFileSync(file, EXAMPLE());
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri);
    const run = await vscode.commands.executeCommand<LaunchedRun | undefined>('mlwb.runCurrentFile', { uri, args: ['--epochs', '5'] });
    assert.ok(run, 'the spec was launched');
    assert.equal(run.terminal.name, 'mlwb: digits-cnn.mlwb-model.json');
    const runId = await run.started;
    const outcome = await run.finished;
    assert.equal(outcome.status, 'completed', outcome.error);

    const workbench = await api();
    await workbench.store.refresh();
    const detail = (await workbench.store.get()).getRun(runId);
    assert.equal(detail?.experiment, 'digits-cnn');
    const acc = detail?.metrics.find((m) => m.key === 'eval/accuracy');
    assert.equal(acc?.count, 5);
    assert.ok(acc && acc.last > 0.8, `eval/accuracy ${acc?.last}`);
    assert.ok(detail?.files.some((f) => f.path === 'model/weights.pt'), `files: ${detail?.files.map((f) => f.path)}`);

    // The Model Architecture panel: layers, shapes, parameters, and the trained weights.
    await vscode.commands.executeCommand('mlwb.showArchitecture', uri);
    const panel = workbench.modelSpecs.architecture.get(uri);
    assert.ok(panel, 'the panel is open');
    const data = await waitFor(async () => {
      const d = await panel.data();
      return d.weights ? d : undefined;
    }, 'the panel sees the weights');
    assert.equal(data.layers.length, 12);
    assert.equal(data.totalParams, 13706);
    assert.deepEqual(data.layers[6].output, [128]);
    assert.equal(data.weights?.runId, runId);
    assert.equal(data.digits, true);
    const answer = await workbench.modelSpecs.architecture.infer(uri, ZERO, { confirm: false });
    assert.equal(answer.label, '0');
    assert.equal(answer.probabilities.length, 10);
    assert.ok(answer.probabilities[0] > 0.5, `p(0) = ${answer.probabilities[0]}`);

    // Register the run's weights, promote them, and infer from the registered copy (it carries the spec).
    const registered = await vscode.commands.executeCommand<RegisteredVersion>('mlwb.registerModel', runId, { file: 'model/weights.pt', model: 'digits-cnn', description: 'from the spec' });
    assert.equal(registered?.model, 'digits-cnn');
    await vscode.commands.executeCommand('mlwb.promoteToProduction', `digits-cnn@v${registered.version}`);
    await workbench.store.refresh();
    const version = (await workbench.store.get()).getVersion('digits-cnn', registered.version);
    assert.equal(version?.stage, 'production');
    assert.equal(version?.format, 'torch');
    assert.equal(version?.sourceRun, runId);
    const fromRegistry = await inferOnce('/usr/bin/python3', join(extension().extensionPath, 'python-runner'), version.filePath, ZERO);
    assert.equal(fromRegistry.label, '0');
    panel.host.dispose();
  });
});
