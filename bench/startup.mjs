// Start-up benchmark of the CLI, side by side in one run with `node -e 0` (the floor of any
// Node program) and the peers: `sops` (single-file seal) and gitleaks (the pre-commit hook),
// when ~/.cache/sealops/bin has them (tools/build-assets.sh peers / bench). Wall time including
// process start; runs are interleaved so machine load hits every row alike; min and median.
// Run `npm run build` first. Prints figures and the issue's targets; asserts nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/sealops.js');
const guard = join(root, 'dist/cli/guard.js');
if (!existsSync(cli)) {
  console.error('bench/startup.mjs: run npm run build first');
  process.exit(2);
}
const bin = join(process.env.SEALOPS_CACHE ?? join(homedir(), '.cache/sealops'), 'bin');
const peer = (name) => [join(bin, name)].find(existsSync);
const sops = peer('sops');
const gitleaks = peer('gitleaks');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_') && !k.startsWith('SOPS_'))), GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

const dir = mkdtempSync(join(tmpdir(), 'sealops-bench-startup-'));
const write = (rel, text) => {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), text);
};

// A key and one Secret to seal.
const recipient = execFileSync(process.execPath, [cli, 'keygen', '-o', join(dir, 'key.txt')], { encoding: 'utf8' }).trim();
write('secret.yaml', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\ntype: Opaque\nstringData:\n  password: correct-horse-battery\n  user: admin\n');

// A repository with a commit of 20 ordinary manifests staged (what a pre-commit hook judges).
const repo = join(dir, 'repo');
mkdirSync(repo);
const git = (...args) => execFileSync('git', args, { cwd: repo, env: { ...env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } });
git('init', '-q');
writeFileSync(join(repo, 'README.md'), '# bench\n');
git('add', '.');
git('commit', '-qm', 'init');
for (let i = 0; i < 20; i++) {
  mkdirSync(join(repo, `app-${i % 5}`), { recursive: true });
  writeFileSync(
    join(repo, `app-${i % 5}/m${i}.yaml`),
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app:${i}\n          env:\n            - name: MODE\n              value: production\n`,
  );
}
git('add', '.');

const gitleaksStaged = () => {
  const help = spawnSync(gitleaks, ['--help'], { encoding: 'utf8' }).stdout;
  return help.includes('\n  git ') ? ['git', '--staged', '--no-banner', '--redact', '.'] : ['protect', '--staged', '--no-banner', '--redact'];
};

/** Rows: [group, tool, command, args, cwd, extra env]. */
const rows = [
  ['start', 'node -e 0', process.execPath, ['-e', '0'], dir],
  ['--version', 'sealops', process.execPath, [cli, '--version'], dir],
  ...(sops ? [['--version', 'sops', sops, ['--version', '--disable-version-check'], dir]] : []),
  ['hook, 20-file commit', 'sealops', process.execPath, [guard, 'scan', '--staged'], repo],
  ...(gitleaks ? [['hook, 20-file commit', 'gitleaks', gitleaks, gitleaksStaged(), repo]] : []),
  ['single-file seal', 'sealops', process.execPath, [cli, 'seal', '-r', recipient, 'secret.yaml'], dir],
  ...(sops ? [['single-file seal', 'sops', sops, ['encrypt', '--age', recipient, '--encrypted-regex', '^(data|stringData)$', 'secret.yaml'], dir]] : []),
];

const times = rows.map(() => []);
for (let run = 0; run < RUNS; run++) {
  rows.forEach(([, , cmd, args, cwd, extra], i) => {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) {
      console.error(`bench/startup.mjs: ${rows[i][1]} ${rows[i][0]} failed (exit ${r.status}): ${r.stderr.slice(0, 300)}`);
      process.exit(1);
    }
    times[i].push(ms);
  });
}
rmSync(dir, { recursive: true, force: true });

const stat = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return { min: s[0], median: s[Math.floor(s.length / 2)] };
};
const node0 = stat(times[0]);
console.log(`sealops start-up benchmark: ${RUNS} interleaved runs; node ${process.version}; compile cache ${typeof module.enableCompileCache === 'function' ? 'available' : 'not available (Node < 22.1)'}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`${'what'.padEnd(22)} ${'tool'.padEnd(10)} ${'min'.padStart(7)} ${'median'.padStart(8)} ${'median − node -e 0'.padStart(20)}`);
rows.forEach(([group, tool], i) => {
  const s = stat(times[i]);
  console.log(`${group.padEnd(22)} ${tool.padEnd(10)} ${s.min.toFixed(0).padStart(4)} ms ${s.median.toFixed(0).padStart(5)} ms ${`${(s.median - node0.median).toFixed(0)} ms`.padStart(20)}`);
});
const median = (group) => stat(times[rows.findIndex(([g, t]) => g === group && t === 'sealops')]).median;
console.log('targets (issue #9, medians):');
console.log(`  --version within 25 ms of node -e 0: ${(median('--version') - node0.median).toFixed(0)} ms`);
console.log(`  hook on a 20-file commit ≤ 100 ms: ${median('hook, 20-file commit').toFixed(0)} ms (node -e 0 alone: ${node0.median.toFixed(0)} ms)`);
console.log(`  single-file seal ≤ 110 ms: ${median('single-file seal').toFixed(0)} ms`);
