/**
 * The runner's rule for secret-looking command-line values (python-runner/mlwb/_secrets.py, mirrored):
 * what the extension logs of a command line has them replaced by "***".
 */
export const MASK = '***';
const SECRET_NAME = /TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;
// scheme://user:password@host -> scheme://user:***@host
const URL_PASSWORD = /([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\s:@]*:)([^/\s@]+)(@)/g;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** `--api-key X`, `--token=X`, `password=X` and URL passwords masked; `argv[0]` (the program) kept. */
export function maskArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  let maskNext = false;
  argv.forEach((raw, i) => {
    const arg = String(raw);
    if (maskNext) {
      maskNext = false;
      if (!arg.startsWith('--')) return void out.push(MASK);
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : '';
    if (name && !name.includes(' ') && looksSecret(name)) return void out.push(`${name}=${MASK}`);
    if (i > 0 && arg.startsWith('-') && arg.length > 1 && eq < 0 && looksSecret(arg)) {
      maskNext = true;
      return void out.push(arg);
    }
    out.push(arg.includes('://') ? arg.replace(URL_PASSWORD, `$1${MASK}$3`) : arg);
  });
  return out;
}
