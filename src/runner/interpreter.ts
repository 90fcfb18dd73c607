import * as vscode from 'vscode';
import { log, showError } from '../platform/log';
import { installCommand, probePython, type PythonInfo } from './python-probe';

/** The subset of the Python extension's API we use (ms-python.python, `environments`). */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(env: { path: string }): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

export interface Interpreter {
  path: string;
  source: 'Python extension' | 'mlwb.pythonPath' | 'PATH';
  info: PythonInfo;
}

const reported = new Set<string>();

/**
 * The interpreter to run with: the Python extension's active one when installed, else the
 * `mlwb.pythonPath` setting, else python3/python on PATH. Checked by running it once. Undefined
 * (after an error with "Select Interpreter" / "Open Settings") when none works.
 */
export async function resolveInterpreter(resource?: vscode.Uri): Promise<Interpreter | undefined> {
  const candidates = await candidatesFor(resource);
  const failures: string[] = [];
  for (const c of candidates) {
    const probe = await probePython(c.path);
    if (probe.ok) {
      reportMissingPackages(probe.info);
      return { ...c, info: probe.info };
    }
    failures.push(`${probe.reason} (${c.source})`);
    // An explicit choice that fails is an error, not a reason to silently use another interpreter.
    if (c.source !== 'PATH') break;
  }
  // Not awaited: the command ends now; the actions work whenever the user clicks them.
  void showError(`MLOps Workbench: no usable Python interpreter. ${failures.join('; ')}.`, 'Select Interpreter', 'Open Settings').then((picked) => {
    if (picked === 'Select Interpreter' && vscode.extensions.getExtension('ms-python.python')) {
      return vscode.commands.executeCommand('python.setInterpreter');
    }
    if (picked) return vscode.commands.executeCommand('workbench.action.openSettings', 'mlwb.pythonPath');
    return undefined;
  });
  return undefined;
}

async function candidatesFor(resource?: vscode.Uri): Promise<Omit<Interpreter, 'info'>[]> {
  const fromExtension = await pythonExtensionInterpreter(resource);
  if (fromExtension) return [{ path: fromExtension, source: 'Python extension' }];
  const configured = vscode.workspace.getConfiguration('mlwb', resource).get<string>('pythonPath')?.trim();
  if (configured) return [{ path: configured, source: 'mlwb.pythonPath' }];
  return (process.platform === 'win32' ? ['python', 'py'] : ['python3', 'python']).map((p) => ({ path: p, source: 'PATH' as const }));
}

async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const envPath = api.environments?.getActiveEnvironmentPath(resource);
    if (!envPath) return undefined;
    const env = await api.environments?.resolveEnvironment(envPath);
    return env?.executable.uri?.fsPath ?? envPath.path;
  } catch (err) {
    log().warn(`the Python extension did not give an interpreter: ${(err as Error).message}`);
    return undefined;
  }
}

/** Once per interpreter and session: which optional packages are missing, with the install command. */
function reportMissingPackages(info: PythonInfo): void {
  const command = installCommand(info);
  if (!command || reported.has(info.executable)) return;
  reported.add(info.executable);
  const missing = Object.entries(info.packages).filter(([, v]) => v === null).map(([m]) => m);
  log().info(`${info.executable} lacks optional packages ${missing.join(', ')}: ${command}`);
  void vscode.window
    .showInformationMessage(
      `${info.executable} (Python ${info.version}) has no ${missing.join(', ')}: features that use them are off. Install with: ${command}`,
      'Copy Command',
    )
    .then((a) => a && vscode.env.clipboard.writeText(command));
}
