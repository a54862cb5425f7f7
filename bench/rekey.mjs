// `sealops rekey --all` and `sealops rotate --all` on a repository of 1,000 sealed Secrets
// (5 keys each), as the built CLI in one process, against sops driven once per file the way a
// script does it (`sops updatekeys -y FILE`, `sops rotate -i FILE`), and against `node -e 0`.
// Wall time and peak RSS (from /usr/bin/time, or process.resourceUsage of the child's exit).
// sops runs on a sample (BENCH_SOPS_SAMPLE, default 50) and is extrapolated per file: the
// table says so. Run `npm run build` first (or `npm run bench`). BENCH_FILES sets the count.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatAgeKeyFile, generateAgeKeyPair, metadataRecipients, readSopsMetadata, sealSops } from '../dist/src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/sealops.js');
const sopsBin = [join(process.env.SEALOPS_CACHE ?? join(homedir(), '.cache/sealops'), 'bin/sops')].find(existsSync);
const count = Number(process.env.BENCH_FILES ?? 1000);
const sample = Math.min(count, Number(process.env.BENCH_SOPS_SAMPLE ?? 50));
const dir = mkdtempSync(join(tmpdir(), 'sealops-bench-rekey-'));
const template = join(dir, 'template');

const [oldKey, newKey, team] = await Promise.all([generateAgeKeyPair(), generateAgeKeyPair(), generateAgeKeyPair()]);
const teamKeyFile = join(dir, 'team.key');
writeFileSync(teamKeyFile, formatAgeKeyFile(team.identity, team.recipient), { mode: 0o600 });

function secret(i) {
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-${i}\n  namespace: bench\ntype: Opaque\nstringData:\n` +
    Array.from({ length: 5 }, (_, k) => `  key${k}: value-${i}-${k}-${'x'.repeat(24)}\n`).join('');
}

const rel = (i) => `clusters/prod/app-${Math.floor(i / 100)}/s${i}.yaml`;
for (let i = 0; i < count; i++) {
  mkdirSync(join(template, rel(i), '..'), { recursive: true });
  writeFileSync(join(template, rel(i)), await sealSops(secret(i), { recipients: [oldKey.recipient, team.recipient], source: rel(i) }));
}
// The target: the prod cluster's new key plus the team key, for sealops and for sops alike.
writeFileSync(join(template, '.sealops.yaml'), `clusters:\n  prod:\n    recipients: [${newKey.recipient}]\nteam: [${team.recipient}]\nrules:\n  - path: "clusters/{prod,stage}/**"\n    clusters: [prod]\n`);
writeFileSync(join(template, '.sops.yaml'), `creation_rules:\n  - age: ${newKey.recipient},${team.recipient}\n    encrypted_regex: ^(data|stringData)$\n`);

const ms = (ns) => Number(ns) / 1e6;
const fmt = (x, d = 2) => (x >= 100 ? x.toFixed(0) : x.toFixed(d));
const env = { PATH: process.env.PATH, HOME: dir, SEALOPS_KEY_FILE: teamKeyFile, SOPS_AGE_KEY_FILE: teamKeyFile, SOPS_DISABLE_VERSION_CHECK: '1' };
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Runs cmd in cwd; wall ms and peak RSS in MB of the child. */
function measure(cmd, args, cwd) {
  const t0 = process.hrtime.bigint();
  const r = timeBin
    ? spawnSync(timeBin, ['-f', 'PEAK_KB %M CPU_S %U %S', cmd, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 })
    : spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const wall = ms(process.hrtime.bigint() - t0);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const kb = /PEAK_KB (\d+)/.exec(r.stderr ?? '')?.[1];
  const cpu = /CPU_S ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return { wall, rssMb: kb ? Number(kb) / 1024 : undefined, cpu: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined, stderr: r.stderr };
}

function fresh(name) {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  cpSync(template, d, { recursive: true });
  return d;
}

function check(d, i, want) {
  const text = readFileSync(join(d, rel(i)), 'utf8');
  const got = metadataRecipients(readSopsMetadata(text, { source: rel(i) })).sort().join();
  if (got !== [...want].sort().join()) throw new Error(`${rel(i)} has the wrong recipients after the run`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const reps = Number(process.env.BENCH_REPS ?? 3);
const runs = { rekey: [], rerun: [], rotate: [], 'sops-rekey': [], 'sops-rotate': [] };

function sealopsRekey() {
  const d = fresh('sealops-rekey');
  const r = measure('node', [cli, 'rekey', '--all'], d);
  if (Number(/changed (\d+)/.exec(r.stderr)?.[1]) !== count) throw new Error(`rekey --all did not change every file: ${r.stderr}`);
  for (let i = 0; i < count; i += 97) check(d, i, [newKey.recipient, team.recipient]);
  runs.rekey.push(r);
  // The rerun after a finished job: every file unchanged, nothing written (what resuming costs).
  runs.rerun.push(measure('node', [cli, 'rekey', '--all'], d));
}

function sealopsRotate() {
  const d = fresh('sealops-rotate');
  const before = readFileSync(join(d, rel(0)), 'utf8');
  const r = measure('node', [cli, 'rotate', '--all'], d);
  if (readFileSync(join(d, rel(0)), 'utf8') === before) throw new Error('rotate --all did not rotate');
  runs.rotate.push(r);
}

// sops once per file on a slice of the sample, so that its runs and ours share the machine's load.
function sopsSlice(op, rep) {
  const args = op === 'rekey' ? ['updatekeys', '-y'] : ['rotate', '-i'];
  const d = fresh(`sops-${op}`);
  const per = Math.ceil(sample / reps);
  for (let i = rep * per; i < Math.min(sample, (rep + 1) * per); i++) runs[`sops-${op}`].push(measure(sopsBin, [...args, rel(i)], d));
  if (op === 'rekey') check(d, rep * per, [newKey.recipient, team.recipient]);
}

// Interleaved: each repetition runs sealops and a slice of the sops sample back to back.
for (let rep = 0; rep < reps; rep++) {
  sealopsRekey();
  if (sopsBin) sopsSlice('rekey', rep);
  sealopsRotate();
  if (sopsBin) sopsSlice('rotate', rep);
}
if (!sopsBin) console.log('sops not found in the build cache: run `npm run assets` to compare');

/** The median whole run of sealops (by wall time). */
function ours(list) {
  const m = median(list.map((r) => r.wall));
  const r = list.find((x) => x.wall === m);
  return { wall: r.wall, cpu: r.cpu, rssMb: Math.max(...list.map((x) => x.rssMb ?? 0)) || undefined };
}
/** sops per file, extrapolated to `count`. */
function peer(list) {
  return { wall: mean(list.map((r) => r.wall)) * count, cpu: list.every((r) => r.cpu !== undefined) ? mean(list.map((r) => r.cpu)) * count : undefined, rssMb: Math.max(...list.map((x) => x.rssMb ?? 0)) || undefined };
}
const rows = [
  { tool: `sealops rekey --all (median of ${reps})`, op: 'rekey', n: count, ...ours(runs.rekey) },
  { tool: `sealops rekey --all rerun, all unchanged (median)`, op: 'rerun', n: count, ...ours(runs.rerun) },
  { tool: `sealops rotate --all (median of ${reps})`, op: 'rotate', n: count, ...ours(runs.rotate) },
];
if (sopsBin) {
  rows.push({ tool: `sops updatekeys -y per file (${sample} run, ~extrapolated)`, op: 'rekey', n: count, peer: true, ...peer(runs['sops-rekey']) });
  rows.push({ tool: `sops rotate -i per file (${sample} run, ~extrapolated)`, op: 'rotate', n: count, peer: true, ...peer(runs['sops-rotate']) });
}

// The floor: Node starting with nothing to do (median of 9).
const starts = [];
for (let i = 0; i < 9; i++) {
  const t0 = process.hrtime.bigint();
  execFileSync('node', ['-e', '0']);
  starts.push(ms(process.hrtime.bigint() - t0));
}
const nodeFloor = starts.sort((a, b) => a - b)[4];

console.log(`\nrekey and rotate ${count} sealed Secrets (5 keys each; old key + team → new key + team), on ${process.env.BENCH_HOST ?? 'this machine'}\n`);
console.log(`load average (1, 5, 15 min) after the runs: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores (CPU ms is user + system, which other load does not inflate)\n`);
console.log(['tool'.padEnd(52), 'N'.padStart(5), 'total ms'.padStart(10), 'ms/file'.padStart(9), 'files/s'.padStart(9), 'CPU ms/file'.padStart(12), 'peak RSS MB'.padStart(12)].join(' '));
for (const r of rows) {
  console.log([r.tool.padEnd(52), String(r.n).padStart(5), fmt(r.wall, 0).padStart(10), fmt(r.wall / r.n, 3).padStart(9), fmt((r.n * 1000) / r.wall, 0).padStart(9), (r.cpu ? fmt(r.cpu / r.n, 3) : '-').padStart(12), (r.rssMb ? fmt(r.rssMb, 0) : '-').padStart(12)].join(' '));
}
console.log(`${'node -e 0 (Node start-up floor, one process)'.padEnd(52)} ${'1'.padStart(5)} ${fmt(nodeFloor).padStart(10)}`);
console.log('\nper-file speed-up over sops (target ≥ 20×):');
for (const op of ['rekey', 'rotate']) {
  const ours = rows.find((r) => r.op === op && !r.peer);
  const peer = rows.find((r) => r.op === op && r.peer);
  if (ours && peer) {
    const x = peer.wall / ours.wall;
    const c = peer.cpu && ours.cpu ? `; CPU ${fmt(peer.cpu / ours.cpu, 1)}×` : '';
    console.log(`  ${op.padEnd(7)} wall ${fmt(x, 1)}× (${fmt(peer.wall / peer.n, 2)} ms vs ${fmt(ours.wall / ours.n, 3)} ms per file)${c}${x >= 20 ? '' : '  BELOW TARGET'}`);
  }
}
rmSync(dir, { recursive: true, force: true });
