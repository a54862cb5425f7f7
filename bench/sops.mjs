// Seal and unseal 1, 100 and 1,000 Secrets (5 keys each) with sealops and, when it is installed,
// with sops invoked once per file, side by side. Prints latency per file, throughput and peak
// memory. Run `npm run build` first (or `npm run bench`). BENCH_SOPS_MAX caps how many files
// sops is run on (default 1000); larger counts are then extrapolated and marked with "~".
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatAgeKeyFile, generateAgeKeyPair, sealSops, unsealSops } from '../dist/src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/sealops.js');
const sopsBin = [join(process.env.SEALOPS_CACHE ?? join(homedir(), '.cache/sealops'), 'bin/sops')].find(existsSync);
const sopsMax = Number(process.env.BENCH_SOPS_MAX ?? 1000);
const counts = [1, 100, 1000];
const dir = mkdtempSync(join(tmpdir(), 'sealops-bench-'));

function secret(i) {
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-${i}\n  namespace: bench\ntype: Opaque\nstringData:\n` +
    Array.from({ length: 5 }, (_, k) => `  key${k}: value-${i}-${k}-${'x'.repeat(24)}\n`).join('');
}

const key = await generateAgeKeyPair();
const keyFile = join(dir, 'key.txt');
writeFileSync(keyFile, formatAgeKeyFile(key.identity, key.recipient), { mode: 0o600 });
const inputs = Array.from({ length: Math.max(...counts) }, (_, i) => secret(i));
const files = inputs.map((t, i) => {
  const f = join(dir, `s${i}.yaml`);
  writeFileSync(f, t);
  return f;
});
const rows = [];
const ms = (ns) => Number(ns) / 1e6;
const fmt = (x, d = 2) => (x >= 100 ? x.toFixed(0) : x.toFixed(d));

function peakChildKb(cmd, args, env) {
  if (!existsSync('/usr/bin/time')) return undefined;
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { env, encoding: 'utf8' });
  return Number(r.stderr.trim().split('\n').pop());
}

// 1. The library in one process (what the agent and `seal -i FILE…` do).
for (const n of counts) {
  const t0 = process.hrtime.bigint();
  const sealed = [];
  for (let i = 0; i < n; i++) sealed.push(await sealSops(inputs[i], { recipients: [key.recipient], source: `s${i}.yaml` }));
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const back = await unsealSops(sealed[i], { identities: [key.identity], source: `s${i}.yaml` });
    if (back !== inputs[i]) throw new Error('round trip mismatch');
  }
  const t2 = process.hrtime.bigint();
  rows.push({ tool: 'sealops library', n, seal: ms(t1 - t0), unseal: ms(t2 - t1), rssMb: process.resourceUsage().maxRSS / 1024 });
}

// 2. The CLI: one process per file for n=1, one process for the whole batch otherwise.
const env = { ...process.env, SOPS_AGE_KEY_FILE: keyFile, SOPS_DISABLE_VERSION_CHECK: '1' };
for (const n of counts) {
  const batch = files.slice(0, n);
  const t0 = process.hrtime.bigint();
  execFileSync('node', [cli, 'seal', '-r', key.recipient, '-i', ...batch], { env, stdio: 'pipe' });
  const t1 = process.hrtime.bigint();
  execFileSync('node', [cli, 'unseal', '-k', keyFile, '-i', ...batch], { env, stdio: 'pipe' });
  const t2 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (readFileSync(batch[i], 'utf8') !== inputs[i]) throw new Error('CLI round trip mismatch');
  const rss = peakChildKb('node', [cli, 'seal', '-r', key.recipient, ...(n === 1 ? [batch[0]] : [])], env);
  rows.push({ tool: n === 1 ? 'sealops CLI (1 process)' : 'sealops CLI batch (1 process)', n, seal: ms(t1 - t0), unseal: ms(t2 - t1), rssMb: rss ? rss / 1024 : undefined });
}

// 3. sops, once per file (how a script or a Makefile drives it).
if (sopsBin) {
  for (const n of counts) {
    const run = Math.min(n, sopsMax);
    const sealedFiles = [];
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < run; i++) {
      const out = execFileSync(sopsBin, ['-e', '--age', key.recipient, '--encrypted-regex', '^(data|stringData)$', files[i]], { env, stdio: 'pipe' });
      const f = join(dir, `sops${i}.yaml`);
      writeFileSync(f, out);
      sealedFiles.push(f);
    }
    const t1 = process.hrtime.bigint();
    for (const f of sealedFiles) execFileSync(sopsBin, ['-d', f], { env, stdio: 'pipe' });
    const t2 = process.hrtime.bigint();
    const scale = n / run;
    const rss = peakChildKb(sopsBin, ['-e', '--age', key.recipient, files[0]], env);
    rows.push({ tool: `sops per file${scale > 1 ? ' (~extrapolated)' : ''}`, n, seal: ms(t1 - t0) * scale, unseal: ms(t2 - t1) * scale, rssMb: rss ? rss / 1024 : undefined });
  }
} else {
  console.log('sops not found in the build cache: run `npm run assets` to compare');
}

// 4. Single-file latency, median of several runs (one run is at the mercy of the scheduler),
// with the floors: Node starting with nothing to do, and the CLI printing its version.
const runs = Number(process.env.BENCH_LATENCY_RUNS ?? 15);
function median(cmd, args, setup) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    setup?.();
    const t0 = process.hrtime.bigint();
    execFileSync(cmd, args, { env, stdio: 'pipe' });
    times.push(ms(process.hrtime.bigint() - t0));
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}
const one = join(dir, 'one.yaml');
const oneSealed = join(dir, 'one.sealed.yaml');
writeFileSync(one, inputs[0]);
writeFileSync(oneSealed, execFileSync('node', [cli, 'seal', '-r', key.recipient, one], { env }));
const latency = [
  ['node -e 0 (Node start-up floor)', median('node', ['-e', '0'])],
  ['sealops --version', median('node', [cli, '--version'])],
  ['sealops seal FILE', median('node', [cli, 'seal', '-r', key.recipient, one])],
  ['sealops unseal FILE', median('node', [cli, 'unseal', '-k', keyFile, oneSealed])],
];
if (sopsBin) {
  const sopsSealed = join(dir, 'one.sops.yaml');
  writeFileSync(sopsSealed, execFileSync(sopsBin, ['-e', '--age', key.recipient, '--encrypted-regex', '^(data|stringData)$', one], { env }));
  latency.push(['sops -e FILE', median(sopsBin, ['-e', '--age', key.recipient, '--encrypted-regex', '^(data|stringData)$', one])]);
  latency.push(['sops -d FILE', median(sopsBin, ['-d', sopsSealed])]);
}

// 5. What `sealops seal` loads: heavy packages (age-encryption, node-forge, simple-git,
// @kubernetes/client-node) must stay out of it. A loader hook lists the ES modules it evaluates;
// NODE_DEBUG=module also shows CommonJS packages loaded by require.
writeFileSync(join(dir, 'hooks.mjs'), "export async function load(u, c, n) { process.stderr.write('LOAD ' + u + '\\n'); return n(u, c); }\n");
writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module'; register(${JSON.stringify(new URL(`file://${join(dir, 'hooks.mjs')}`).href)});\n`);
const traced = spawnSync('node', ['--import', join(dir, 'register.mjs'), cli, 'seal', '-r', key.recipient, one], { env, encoding: 'utf8' });
const loaded = traced.stderr.split('\n').filter((l) => l.startsWith('LOAD ')).map((l) => l.slice(5));
const debug = spawnSync('node', [cli, 'seal', '-r', key.recipient, one], { env: { ...env, NODE_DEBUG: 'module' }, encoding: 'utf8' }).stderr;
const packages = [...new Set([...loaded.join('\n').matchAll(/node_modules\/((?:@[^/]+\/)?[^/"'\s]+)/g), ...debug.matchAll(/node_modules\/((?:@[^/]+\/)?[^/"'\s]+)/g)].map((m) => m[1]))];
const ownModules = loaded.filter((u) => u.startsWith(new URL('../dist/', import.meta.url).href)).length;

console.log('\nseal and unseal N Secrets (5 keys each), one age recipient\n');
console.log(['tool'.padEnd(34), 'N'.padStart(5), 'seal ms/file'.padStart(13), 'seal files/s'.padStart(13), 'unseal ms/file'.padStart(15), 'unseal files/s'.padStart(15), 'peak RSS MB'.padStart(12)].join(' '));
for (const r of rows) {
  console.log([
    r.tool.padEnd(34), String(r.n).padStart(5), fmt(r.seal / r.n).padStart(13), fmt((r.n * 1000) / r.seal, 0).padStart(13),
    fmt(r.unseal / r.n).padStart(15), fmt((r.n * 1000) / r.unseal, 0).padStart(15), (r.rssMb ? fmt(r.rssMb, 0) : '-').padStart(12),
  ].join(' '));
}
const get = (tool, n) => rows.find((r) => r.tool.startsWith(tool) && r.n === n);
const batch = get('sealops CLI batch', 1000);
const sops1000 = get('sops per file', 1000);
const lib1000 = get('sealops library', 1000);
const cli1 = get('sealops CLI (1', 1);
const sops1 = get('sops per file', 1);
if (sops1000 && batch) console.log(`\nbatch sealing of 1,000 files: sealops CLI ${fmt(batch.seal)} ms vs sops ${fmt(sops1000.seal)} ms → ${fmt(sops1000.seal / batch.seal, 1)}× faster (library: ${fmt(sops1000.seal / lib1000.seal, 1)}×)`);
if (sops1 && cli1) console.log(`single-file CLI latency: sealops seal ${fmt(cli1.seal)} ms vs sops -e ${fmt(sops1.seal)} ms; unseal ${fmt(cli1.unseal)} ms vs sops -d ${fmt(sops1.unseal)} ms`);
console.log(`\nsingle-file latency, median of ${runs} runs\n`);
for (const [what, t] of latency) console.log(`${what.padEnd(34)} ${fmt(t).padStart(8)} ms`);
console.log(`\n\`sealops seal FILE\` evaluates ${loaded.length} modules (${ownModules} of sealops, the rest Node built-ins and packages); packages loaded: ${packages.join(', ')}`);
rmSync(dir, { recursive: true, force: true });
