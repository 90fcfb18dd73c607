import { execFile } from 'node:child_process';

/** Optional packages the features use, by import name, with the pip name to install. */
export const OPTIONAL_PACKAGES: Record<string, string> = {
  sklearn: 'scikit-learn',
  torch: 'torch',
  optuna: 'optuna',
  xgboost: 'xgboost',
  psutil: 'psutil',
};

export const MIN_PYTHON: [number, number] = [3, 9];

export interface PythonInfo {
  executable: string;
  version: string;
  /** Installed version of each OPTIONAL_PACKAGES import name, or null. */
  packages: Record<string, string | null>;
}

export type ProbeResult = { ok: true; info: PythonInfo } | { ok: false; reason: string };

// Finds packages without importing them (torch alone takes seconds to import).
const PROBE = `
import json, sys, importlib.util, importlib.metadata as md
names = json.loads(sys.argv[1])
def version(mod, dist):
    if importlib.util.find_spec(mod) is None:
        return None
    try:
        return md.version(dist)
    except Exception:
        return "unknown"
print(json.dumps({"executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3],
                  "packages": {m: version(m, d) for m, d in names.items()}}))
`;

/** Runs the interpreter once to check it works and what it has. */
export function probePython(python: string, timeoutMs = 15_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(python, ['-c', PROBE, JSON.stringify(OPTIONAL_PACKAGES)], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const reason =
          code === 'ENOENT' ? `"${python}" was not found` : code === 'EACCES' ? `"${python}" is not executable` : `"${python}" failed: ${(stderr || err.message).trim().split('\n').pop()}`;
        return resolve({ ok: false, reason });
      }
      try {
        const info = JSON.parse(stdout.trim().split('\n').pop() ?? '') as PythonInfo;
        const [major, minor] = info.version.split('.').map(Number);
        if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
          return resolve({ ok: false, reason: `"${python}" is Python ${info.version}; MLOps Workbench needs ${MIN_PYTHON.join('.')} or newer` });
        }
        resolve({ ok: true, info });
      } catch {
        resolve({ ok: false, reason: `"${python}" did not answer like a Python interpreter` });
      }
    });
  });
}

/** The pip command that installs the missing optional packages into this interpreter. */
export function installCommand(info: PythonInfo): string | undefined {
  const missing = Object.entries(info.packages)
    .filter(([, v]) => v === null)
    .map(([m]) => OPTIONAL_PACKAGES[m]);
  return missing.length ? `"${info.executable}" -m pip install ${missing.join(' ')}` : undefined;
}
