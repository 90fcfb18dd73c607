// The extension bundle's options, shared by esbuild.mjs and the bench's bundle-size baseline.

/**
 * `import * as vscode from 'vscode'` of an external CJS module becomes `__toESM(require('vscode'))` in
 * every file that imports it: a getter copied per API member per file (61 files × ~250 members for
 * `vscode`, and `node:fs`, `node:path` likewise), ~20 ms at load. Routing these imports through one ESM
 * module per name (`export * from 'vscode'`) copies each once and lets every file use that namespace.
 */
const sharedExternals = {
  name: 'shared-externals',
  setup(build) {
    // Only `import` statements: a `require()` (in a CommonJS library) stays a plain external require.
    build.onResolve({ filter: /^(vscode|node:[\w/]+)$/ }, (args) =>
      args.namespace === 'shared-external' || args.kind !== 'import-statement' ? { path: args.path, external: true } : { path: args.path, namespace: 'shared-external' },
    );
    build.onLoad({ filter: /.*/, namespace: 'shared-external' }, (args) => ({ contents: `export * from ${JSON.stringify(args.path)};`, loader: 'js' }));
  },
};

export const extensionBuild = {
  entryPoints: ['src/extension.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'dist/extension.js',
  external: ['vscode'],
  plugins: [sharedExternals],
};
