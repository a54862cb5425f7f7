// One very large Secret, the files of issue #10's table: seal 40,000 small keys, then unseal and
// verify a sealed file of 20,000 keys, through the CLI (what a user and the agent pay), with
// sops on the same files when it is built, and `node -e 0` as the floor. Before the linear-time
// fix the same machine took 48 s, 108 s and 106 s (per-key line lookups from the start of the
// text, and the yaml library's pairwise duplicate-key check). Run `npm run build` first.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatAgeKeyFile, generateAgeKeyPair, sealSops } from '../dist/src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/sealops.js');
const sopsBin = [join(process.env.SEALOPS_CACHE ?? join(homedir(), '.cache/sealops'), 'bin/sops')].find(existsSync);
const dir = mkdtempSync(join(tmpdir(), 'sealops-bench-large-'));
const secret = (n) =>
  'apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\n  namespace: bench\ntype: Opaque\nstringData:\n' +
  Array.from({ length: n }, (_, i) => `  key${i}: value-${i}\n`).join('');

const key = await generateAgeKeyPair();
const keyFile = join(dir, 'key.txt');
writeFileSync(keyFile, formatAgeKeyFile(key.identity, key.recipient), { mode: 0o600 });
const env = { ...process.env, SOPS_AGE_KEY_FILE: keyFile, SOPS_DISABLE_VERSION_CHECK: '1' };
const seal40k = join(dir, 'k40000.yaml');
const plain20k = join(dir, 'k20000.yaml');
const sealed20k = join(dir, 'k20000.sealed.yaml');
writeFileSync(seal40k, secret(40000));
writeFileSync(plain20k, secret(20000));

const time = (cmd, args) => {
  const t0 = process.hrtime.bigint();
  const out = execFileSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out };
};
const rows = [['node -e 0 (floor)', time('node', ['-e', '0']).ms]];
// 40,000 keys seal to ~5 MB, over the 4 MiB read cap: the CLI refuses to write that (nothing it
// could read back), so the library seals it here with a raised cap.
{
  const t0 = process.hrtime.bigint();
  await sealSops(secret(40000), { recipients: [key.recipient], source: 'k40000.yaml', maxBytes: 64 << 20 });
  rows.push(['sealops seal (library), 40,000 keys', Number(process.hrtime.bigint() - t0) / 1e6]);
}
const sealed = time('node', [cli, 'seal', '-r', key.recipient, plain20k]);
writeFileSync(sealed20k, sealed.out);
rows.push(['sealops seal, 20,000 keys', sealed.ms]);
rows.push(['sealops unseal, 20,000 keys', time('node', [cli, 'unseal', '-k', keyFile, sealed20k]).ms]);
rows.push(['sealops verify -k, 20,000 keys', time('node', [cli, 'verify', '-k', keyFile, '-r', key.recipient, sealed20k]).ms]);
if (sopsBin) {
  rows.push(['sops -e, 40,000 keys', time(sopsBin, ['-e', '--age', key.recipient, '--encrypted-regex', '^(data|stringData)$', seal40k]).ms]);
  rows.push(['sops -d, 20,000 keys (sealops-sealed)', time(sopsBin, ['-d', sealed20k]).ms]);
} else {
  console.log('sops not found in the build cache: run `npm run assets` to compare');
}
console.log(`\none large Secret (sealed 20,000-key file: ${(sealed.out.length / 1e6).toFixed(2)} MB)\n`);
for (const [what, ms] of rows) console.log(`${what.padEnd(40)} ${ms.toFixed(0).padStart(8)} ms`);
console.log('\nbefore the linear-time fix (issue #10): seal 40,000 keys 48 s, unseal 20,000 keys 108 s, verify 106 s');
rmSync(dir, { recursive: true, force: true });
