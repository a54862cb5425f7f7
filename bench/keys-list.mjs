// `sealops keys list --check` on a generated repository: N SOPS Secrets (a tenth of them sealed
// to a retired key) and N/10 SealedSecrets under a `.sealops.yaml` with two clusters, timed as
// the CLI process a CI step runs, at N and 4N files (linear or not), beside `node -e 0` (the cost
// of starting node at all) and `sops filestatus` on one file, the nearest peer (sops has no
// inventory: a CI script would run it once per file).
// Figures on the shared 2-core box under a load average of 13 (noisy): node -e 0 34-117 ms;
// sealops start-up 170-270 ms; 275 files 0.9-2.1 s; 1,100 files 2.3-3.2 s (0.4 ms per file once
// warm, measured in-process; the rest is module loading and JIT warm-up, hence a 4N/N ratio
// under 4); `sops filestatus` 17-33 ms per file, 18-36 s if a script ran it for each of 1,100.
// Run: npm run build && node bench/keys-list.mjs [N, default 250]
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatKubesealYaml, generateAgeKeyPair, generateRsaKeyPair, sealSecret, sealSops } from '../dist/src/index.js';

const N = Number(process.argv[2] ?? 250);
const CLI = new URL('../dist/cli/sealops.js', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'sealops-bench-keys-list-'));
const [prod, stage, old] = [await generateAgeKeyPair(), await generateAgeKeyPair(), await generateAgeKeyPair()];
const rsa = await generateRsaKeyPair({ commonName: 'bench', bits: 2048, days: 30 });

async function makeRepo(dir, n) {
  mkdirSync(join(dir, 'apps'), { recursive: true });
  writeFileSync(join(dir, '.sealops.yaml'), `clusters:\n  prod:\n    recipients: [${prod.recipient}]\n    retired: [${old.recipient}]\n  stage:\n    recipients: [${stage.recipient}]\nrules:\n  - path: "apps/**"\n    clusters: [prod, stage]\n`);
  const plain = (i) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s${i}\n  namespace: app\nstringData:\n  password: value-${i}\n`;
  // One sealed text per kind, copied: sealing is not what is measured.
  const fresh = await sealSops(plain(0), { recipients: [prod.recipient, stage.recipient], format: 'yaml' });
  const stale = await sealSops(plain(0), { recipients: [old.recipient], format: 'yaml' });
  const ss = formatKubesealYaml(sealSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ss', namespace: 'app' }, stringData: { password: 'x' } }, createPublicKey(rsa.privateKeyPem)));
  for (let i = 0; i < n; i++) writeFileSync(join(dir, 'apps', `s${i}.yaml`), i % 10 === 0 ? stale : fresh);
  for (let i = 0; i < n / 10; i++) writeFileSync(join(dir, 'apps', `ss${i}.yaml`), ss);
  return join(dir, 'apps', 's1.yaml');
}

function time(label, cmd, args, cwd) {
  const runs = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    try {
      execFileSync(cmd, args, { cwd, stdio: 'ignore', env: { PATH: process.env.PATH, HOME: root } });
    } catch (err) {
      if (err.status !== 1) throw err; // --check exits 1: the stale files are found
    }
    runs.push(performance.now() - t);
  }
  const best = Math.min(...runs);
  console.log(`${label.padEnd(44)} ${best.toFixed(0).padStart(6)} ms`);
  return best;
}

try {
  const small = join(root, 'small');
  const large = join(root, 'large');
  await makeRepo(small, N);
  const one = await makeRepo(large, 4 * N);
  time('node -e 0', process.execPath, ['-e', '0'], root);
  mkdirSync(join(root, 'empty'));
  const base = time('sealops keys list on an empty folder (start-up)', process.execPath, [CLI, 'keys', 'list'], join(root, 'empty'));
  const a = time(`keys list --check, ${N + N / 10} files`, process.execPath, [CLI, 'keys', 'list', '--check', '-o', 'json'], small);
  const b = time(`keys list --check, ${4 * N + (4 * N) / 10} files`, process.execPath, [CLI, 'keys', 'list', '--check', '-o', 'json'], large);
  let sops;
  try {
    sops = time('sops filestatus, 1 file (peer, per file)', execFileSync('sh', ['-c', 'command -v sops || ls ~/.cache/sealops/bin/sops'], { encoding: 'utf8' }).trim(), ['filestatus', one], root);
  } catch {
    console.log('sops not found: peer figure skipped');
  }
  const per = (b - base) / (4 * N * 1.1);
  console.log(`per file (4N run, sealops start-up removed): ${per.toFixed(2)} ms; 4N / N work ratio ${((b - base) / (a - base)).toFixed(2)} (4 is linear)`);
  if (sops) console.log(`sops filestatus once per file would take ${((sops * 4 * N * 1.1) / 1000).toFixed(1)} s for the 4N repository`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
