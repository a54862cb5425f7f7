// `sealops diff` benchmark: a kustomize overlay over a base of N ConfigMaps and N/10 SOPS-sealed
// Secrets (3 keys each), two commits apart (one ConfigMap value and one sealed value changed).
// Prints the wall time of a revision diff for N and 4N (the ratio shows whether it grows
// linearly), beside two direct `kustomize build` runs (the floor: diff builds both sides),
// `git diff` of the same commits, and `node -e 0`.
// Run: npm run build && node bench/diff.mjs   (needs kustomize: npm run assets)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { diffRevisions, formatDiff, sealSops, unsealSopsForEdit, generateAgeKeyPair, findKustomize } from '../dist/src/index.js';

const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x.invalid', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x.invalid' };
const age = await generateAgeKeyPair();
const ms = async (fn) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

async function makeRepo(n) {
  const repo = mkdtempSync(join(tmpdir(), 'sealops-bench-diff-'));
  const git = (...args) => execFileSync('git', args, { cwd: repo, env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  mkdirSync(join(repo, 'base'), { recursive: true });
  mkdirSync(join(repo, 'overlays', 'prod'), { recursive: true });
  git('init', '-q', '-b', 'main');
  const resources = [];
  const cm = (i, level) => stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { index: String(i), level, payload: 'x'.repeat(200) } });
  for (let i = 0; i < n; i++) {
    writeFileSync(join(repo, 'base', `cm-${i}.yaml`), cm(i, 'info'));
    resources.push(`cm-${i}.yaml`);
  }
  let first;
  for (let i = 0; i < n / 10; i++) {
    const text = await sealSops(stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `s-${i}` }, stringData: { user: `u-${i}`, password: `p-${i}`, host: `h-${i}` } }), { recipients: [age.recipient], source: `s-${i}.yaml` });
    if (i === 0) first = text;
    writeFileSync(join(repo, 'base', `s-${i}.yaml`), text);
    resources.push(`s-${i}.yaml`);
  }
  writeFileSync(join(repo, 'base', 'kustomization.yaml'), stringify({ resources }));
  writeFileSync(join(repo, 'overlays', 'prod', 'kustomization.yaml'), stringify({ namespace: 'prod', namePrefix: 'prod-', resources: ['../../base'] }));
  git('add', '-A');
  git('commit', '-qm', 'base');
  writeFileSync(join(repo, 'base', 'cm-0.yaml'), cm(0, 'debug'));
  const { plaintext, context } = await unsealSopsForEdit(first, { identities: [age.identity], source: 's-0.yaml' });
  writeFileSync(join(repo, 'base', 's-0.yaml'), await sealSops(plaintext.replace('p-0', 'p-0-new'), { context, source: 's-0.yaml' }));
  git('commit', '-qam', 'change');
  return repo;
}

const N = Number(process.env.BENCH_N ?? 500);
const kustomize = findKustomize();
const rows = [];
const runs = {};
for (const n of [N, 4 * N]) {
  const repo = await makeRepo(n);
  try {
    let out;
    const t = await ms(async () => {
      const d = await diffRevisions({ git: { cwd: repo, env: gitEnv }, from: 'HEAD~1', to: 'HEAD', path: 'overlays/prod' });
      out = formatDiff(d, 'markdown');
      if (d.objects.length !== 2) throw new Error(`expected 2 changed objects, got ${d.objects.length}`);
    });
    runs[n] = t;
    const kz = await ms(async () => {
      for (let i = 0; i < 2; i++) execFileSync(kustomize, ['build', join(repo, 'overlays', 'prod')], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
    });
    const gd = await ms(async () => execFileSync('git', ['diff', 'HEAD~1', 'HEAD'], { cwd: repo, env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
    rows.push([`${n} ConfigMaps + ${n / 10} SOPS Secrets`, t, kz, gd, out.length]);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}
const node0 = await ms(async () => execFileSync(process.execPath, ['-e', '0']));
console.log('objects                              sealops diff   kustomize build ×2   git diff   markdown bytes');
for (const [label, t, kz, gd, bytes] of rows) console.log(`${label.padEnd(36)} ${t.toFixed(0).padStart(9)} ms ${kz.toFixed(0).padStart(14)} ms ${gd.toFixed(0).padStart(8)} ms ${String(bytes).padStart(10)}`);
console.log(`node -e 0: ${node0.toFixed(0)} ms`);
console.log(`growth for 4x the objects: ${(runs[4 * N] / runs[N]).toFixed(2)}x (linear: about 4x)`);
