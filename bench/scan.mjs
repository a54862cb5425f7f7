// Guard benchmark: `sealops scan --staged` on 1, 100 and 1,000 changed manifests, and
// `sealops scan --all` on a generated repository of 10,000 files, wall time including process
// start, with gitleaks on the same inputs when ~/.cache/sealops/bin/gitleaks (or gitleaks on
// PATH) exists. Run `npm run build` first. Prints figures; asserts nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/sealops.js');
const guard = join(root, 'dist/cli/guard.js');
if (!existsSync(cli)) {
  console.error('bench/scan.mjs: run npm run build first');
  process.exit(2);
}
const gitleaks = [join(process.env.SEALOPS_CACHE ?? join(homedir(), '.cache/sealops'), 'bin/gitleaks')].find(existsSync) ?? whichGitleaks();
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'))), GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };

function whichGitleaks() {
  const r = spawnSync('sh', ['-c', 'command -v gitleaks'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

let seed = 42;
function rand(n, alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') {
  let s = '';
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    s += alphabet[seed % alphabet.length];
  }
  return s;
}

// A realistic mix: workloads, ConfigMaps, SOPS-shaped Secrets, JSON, source and docs.
function manifest(i) {
  switch (i % 4) {
    case 0:
      return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\n  namespace: team-${i % 17}\n  labels: {app: app-${i}, tier: backend}\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: app-${i}}\n  template:\n    metadata:\n      labels: {app: app-${i}}\n    spec:\n      containers:\n        - name: main\n          image: registry.example/app-${i}:1.${i % 9}.0\n          ports: [{containerPort: 8080}]\n          env:\n            - name: DB_PASSWORD\n              valueFrom: {secretKeyRef: {name: db-${i}, key: password}}\n          resources:\n            requests: {cpu: 100m, memory: 128Mi}\n            limits: {cpu: 500m, memory: 256Mi}\n`;
    case 1:
      return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-${i}\ndata:\n${Array.from({ length: 20 }, (_, k) => (k % 2 ? `  ENDPOINT_${k}: https://svc-${k}.team-${i % 17}.svc.cluster.local:8080/${rand(8).toLowerCase()}` : `  FEATURE_${k}: "${k % 4 === 0}"`)).join('\n')}\n`;
    case 2:
      return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-${i}\nstringData:\n  password: ENC[AES256_GCM,data:${Buffer.from(rand(16)).toString('base64')},iv:${Buffer.from(rand(32)).toString('base64')},tag:${Buffer.from(rand(16)).toString('base64')},type:str]\nsops:\n  age:\n    - recipient: age1${rand(58, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l')}\n      enc: |\n        -----BEGIN AGE ENCRYPTED FILE-----\n        ${rand(64)}\n        ${rand(64)}\n        -----END AGE ENCRYPTED FILE-----\n  lastmodified: "2026-11-25T00:00:00Z"\n  mac: ENC[AES256_GCM,data:${Buffer.from(rand(96)).toString('base64')},iv:${Buffer.from(rand(32)).toString('base64')},tag:${Buffer.from(rand(16)).toString('base64')},type:str]\n  encrypted_regex: ^(data|stringData)$\n  version: 3.13.3\n`;
    default:
      return `apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-${i}\nspec:\n  selector: {app: app-${i}}\n  ports:\n    - {port: 80, targetPort: 8080}\n`;
  }
}

function otherFile(i) {
  if (i % 3 === 0) return [`src/mod${i}.ts`, Array.from({ length: 40 }, (_, k) => `export function f${k}(x: number): number {\n  return x * ${k} + ${i}; // ${rand(20)}\n}`).join('\n') + '\n'];
  if (i % 3 === 1) return [`data/d${i}.json`, JSON.stringify({ name: `d${i}`, items: Array.from({ length: 30 }, (_, k) => ({ id: k, v: rand(12) })) }, null, 2)];
  return [`docs/page${i}.md`, `# Page ${i}\n\n${Array.from({ length: 20 }, () => `Rotate the password and token regularly. ${rand(40)}`).join('\n')}\n`];
}

function makeRepo(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir, env });
  return dir;
}

function write(dir, path, text) {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

// Wall time, and CPU time (user + system, children included) through /usr/bin/time when it is
// there: on a shared, loaded machine CPU time is the steadier figure of the two.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
function time(cmd, args, cwd) {
  const walls = [];
  const cpus = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    last = TIME
      ? spawnSync(TIME, ['-f', '@@cpu %U %S', cmd, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 })
      : spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
    walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const m = /@@cpu ([\d.]+) ([\d.]+)/.exec(last.stderr ?? '');
    if (m) cpus.push((Number(m[1]) + Number(m[2])) * 1000);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { ms: median(walls), cpu: cpus.length ? median(cpus) : undefined, status: last.status };
}

function row(label, tool, bytes, r) {
  const mbs = bytes / 1024 / 1024 / (r.ms / 1000);
  const cpu = r.cpu === undefined ? '' : `  cpu ${r.cpu.toFixed(0).padStart(6)} ms (${(bytes / 1024 / 1024 / (r.cpu / 1000)).toFixed(1)} MB/cpu-s)`;
  console.log(`${label.padEnd(34)} ${tool.padEnd(9)} ${r.ms.toFixed(0).padStart(7)} ms  ${mbs.toFixed(1).padStart(7)} MB/s${cpu}  exit ${r.status}`);
}

function gitleaksStaged(dir) {
  // gitleaks ≥ 8.19 has `git --staged`; older ones `protect --staged`.
  const help = spawnSync(gitleaks, ['--help'], { encoding: 'utf8' }).stdout;
  return help.includes('\n  git ') ? ['git', '--staged', '--no-banner', '--redact', '.'] : ['protect', '--staged', '--no-banner', '--redact', '--source', dir];
}
function gitleaksDir(dir) {
  const help = spawnSync(gitleaks, ['--help'], { encoding: 'utf8' }).stdout;
  return help.includes('\n  dir ') ? ['dir', '--no-banner', '--redact', dir] : ['detect', '--no-git', '--no-banner', '--redact', '--source', dir];
}

console.log(`sealops guard benchmark (median of ${RUNS} runs, wall time including process start)${gitleaks ? `; gitleaks: ${gitleaks}` : '; gitleaks not installed'}`);
console.log(`node ${process.version}; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);

for (const n of [1, 20, 100, 1000]) {
  const dir = makeRepo('sealops-bench-staged-');
  write(dir, 'README.md', '# bench\n');
  execFileSync('git', ['add', '.'], { cwd: dir, env });
  execFileSync('git', ['commit', '-qm', 'init'], { cwd: dir, env });
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const text = manifest(i);
    bytes += Buffer.byteLength(text);
    write(dir, `deploy/app-${i % 50}/m${i}.yaml`, text);
  }
  execFileSync('git', ['add', '.'], { cwd: dir, env });
  // The installed hook runs guard.js (loads only the scanner); `sealops scan --staged` loads the whole CLI.
  row(`staged: ${n} changed manifest(s)`, 'hook', bytes, time(process.execPath, [guard, 'scan', '--staged'], dir));
  row(`staged: ${n} changed manifest(s)`, 'sealops', bytes, time(process.execPath, [cli, 'scan', '--staged'], dir));
  if (gitleaks) row(`staged: ${n} changed manifest(s)`, 'gitleaks', bytes, time(gitleaks, gitleaksStaged(dir), dir));
  rmSync(dir, { recursive: true, force: true });
}

{
  const dir = makeRepo('sealops-bench-tree-');
  let bytes = 0;
  for (let i = 0; i < 10_000; i++) {
    const [path, text] = i % 10 < 6 ? [`clusters/c${i % 7}/ns${i % 31}/m${i}.yaml`, manifest(i)] : otherFile(i);
    bytes += Buffer.byteLength(text);
    write(dir, path, text);
  }
  execFileSync('git', ['add', '.'], { cwd: dir, env });
  execFileSync('git', ['commit', '-qm', 'tree'], { cwd: dir, env });
  row('full tree: 10,000 files', 'sealops', bytes, time(process.execPath, [cli, 'scan', '--all'], dir));
  if (gitleaks) {
    row('full tree: 10,000 files', 'gitleaks', bytes, time(gitleaks, gitleaksDir(dir), dir));
    const report = join(dir, '..', `gitleaks-${Date.now()}.json`);
    spawnSync(gitleaks, [...gitleaksDir(dir), '--report-format', 'json', '--report-path', report], { cwd: dir, env });
    const found = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : [];
    const byRule = {};
    for (const f of found) byRule[f.RuleID] = (byRule[f.RuleID] ?? 0) + 1;
    console.log(`gitleaks findings on the generated tree (it holds no plaintext secret): ${found.length} ${JSON.stringify(byRule)}`);
    rmSync(report, { force: true });
  }
  const own = spawnSync(process.execPath, [cli, 'scan', '--all', '--format', 'json'], { cwd: dir, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  console.log(`sealops findings on the generated tree: ${JSON.parse(own.stdout).summary.findings}`);
  console.log(`full tree size: ${(bytes / 1024 / 1024).toFixed(1)} MB`);
  rmSync(dir, { recursive: true, force: true });
}
