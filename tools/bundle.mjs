// Bundles the CLI after `tsc`: dist/cli/sealops.js, dist/cli/guard.js (the hook's fast entry),
// dist/cli/worker.js (the scan worker) and dist/cli/render-worker.js (the agent's build and decrypt
// stage) become one file each, replacing tsc's ~150 small modules, so a start reads and
// compiles one file. Command modules stay lazy: esbuild wraps each dynamically imported module
// in an initializer, so only the command that runs is evaluated.
// (Code splitting was tried: through src/index.ts every chunk reached the whole library.) The
// packages the library already imports lazily (the Kubernetes client, typage, node-forge) stay
// in node_modules; so does prom-client, which only the agent loads (src/server/metrics.ts).
// Measured by bench/startup.mjs.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const common = {
  absWorkingDir: root,
  outdir: 'dist/cli',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  external: ['@kubernetes/client-node', 'age-encryption', 'node-forge', 'simple-git', 'prom-client'],
  // commander is CommonJS: its require() calls need a real require in an ES module.
  banner: { js: "import { createRequire as __sealopsRequire } from 'node:module'; const require = __sealopsRequire(import.meta.url);" },
  logLevel: 'warning',
  allowOverwrite: true,
};
// The entry stays tiny (`--version` reads only it) and loads main.js, the program, on demand.
await build({ ...common, entryPoints: { sealops: 'cli/sealops.ts' }, external: [...common.external, './main.js'] });
await build({ ...common, entryPoints: { main: 'cli/main.ts', guard: 'cli/guard.ts', worker: 'src/scan/worker.ts', 'render-worker': 'src/agent/render-worker.ts', 'bulk-worker': 'src/operations/bulk-worker.ts' } });
