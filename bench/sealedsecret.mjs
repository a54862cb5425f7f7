// Seal and unseal 1,000 values with an RSA-4096 key: sealops (library, and the CLI as a
// process) next to kubeseal (--cert to seal, --recovery-unseal to unseal) when it is found.
// Run `npm run build` first. Prints figures; asserts nothing about time.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify, parse } from 'yaml';
import {
  formatKubesealYaml,
  generateRsaKeyPair,
  sealSecret,
  unsealSealedSecret,
} from '../dist/src/index.js';

const N = Number(process.env.BENCH_VALUES ?? 1000);
const cli = new URL('../dist/cli/sealops.js', import.meta.url).pathname;

function findKubeseal() {
  const dirs = [join(process.env.SEALOPS_CACHE ?? join(homedir(), '.cache', 'sealops'), 'bin'), ...(process.env.PATH ?? '').split(delimiter)];
  for (const d of dirs) if (d && existsSync(join(d, 'kubeseal'))) return join(d, 'kubeseal');
  return undefined;
}

function time(fn) {
  const t0 = performance.now();
  const out = fn();
  return { ms: performance.now() - t0, out };
}

const fmt = (ms) => `${ms.toFixed(0).padStart(7)} ms  (${((ms * 1000) / N).toFixed(0).padStart(5)} µs/value)`;

const dir = mkdtempSync(join(tmpdir(), 'sealops-bench-ss-'));
try {
  const pair = await generateRsaKeyPair({ bits: 4096 });
  writeFileSync(join(dir, 'cert.pem'), pair.certificatePem);
  writeFileSync(join(dir, 'key.pem'), pair.privateKeyPem, { mode: 0o600 });
  const stringData = {};
  for (let i = 0; i < N; i++) stringData[`key-${String(i).padStart(4, '0')}`] = `value-${i}-${'x'.repeat(24)}`;
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bench', namespace: 'default' }, type: 'Opaque', stringData };
  const secretYaml = stringify(secret);
  writeFileSync(join(dir, 'secret.yaml'), secretYaml);

  console.log(`SealedSecret, RSA-4096, ${N} values of 32 bytes (node ${process.version})`);

  const seal = time(() => sealSecret(secret, pair.publicKey));
  const sealedYaml = formatKubesealYaml(seal.out);
  writeFileSync(join(dir, 'sealed-by-sealops.yaml'), sealedYaml);
  console.log(`sealops library  seal    ${fmt(seal.ms)}`);
  const unseal = time(() => unsealSealedSecret(parse(sealedYaml), [pair.privateKey]));
  if (Object.keys(unseal.out.data).length !== N) throw new Error('sealops unsealed the wrong number of values');
  console.log(`sealops library  unseal  ${fmt(unseal.ms)}`);

  const cliSeal = time(() => execFileSync('node', [cli, 'seal', '--format', 'sealedsecret', '--cert', 'cert.pem', 'secret.yaml'], { cwd: dir, maxBuffer: 1 << 28 }));
  writeFileSync(join(dir, 'sealed-by-cli.yaml'), cliSeal.out);
  console.log(`sealops CLI      seal    ${fmt(cliSeal.ms)}  (process, startup included)`);
  const cliUnseal = time(() => execFileSync('node', [cli, 'unseal', '-k', 'key.pem', 'sealed-by-cli.yaml'], { cwd: dir, maxBuffer: 1 << 28 }));
  if (Object.keys(parse(cliUnseal.out.toString()).data).length !== N) throw new Error('sealops CLI unsealed the wrong number of values');
  console.log(`sealops CLI      unseal  ${fmt(cliUnseal.ms)}  (process, startup included)`);

  const kubeseal = findKubeseal();
  if (!kubeseal) {
    console.log('kubeseal         not found (run `npm run assets`); no comparison');
  } else {
    const env = { ...process.env, KUBECONFIG: join(dir, 'none') };
    const ks = time(() => execFileSync(kubeseal, ['--cert', 'cert.pem', '-o', 'yaml'], { cwd: dir, input: secretYaml, env, maxBuffer: 1 << 28 }));
    console.log(`kubeseal         seal    ${fmt(ks.ms)}  (process, startup included)`);
    const ku = time(() =>
      execFileSync(kubeseal, ['--recovery-unseal', '--recovery-private-key', 'key.pem', '-o', 'yaml'], { cwd: dir, input: ks.out, env, maxBuffer: 1 << 28 }),
    );
    if (Object.keys(parse(ku.out.toString()).data).length !== N) throw new Error('kubeseal unsealed the wrong number of values');
    console.log(`kubeseal         unseal  ${fmt(ku.ms)}  (process, startup included)`);
    // Cross-check while the files are here: each side opens the other's output.
    const cross = execFileSync(kubeseal, ['--recovery-unseal', '--recovery-private-key', 'key.pem', '-o', 'yaml'], { cwd: dir, input: sealedYaml, env, maxBuffer: 1 << 28 });
    const crossBack = unsealSealedSecret(parse(ks.out.toString()), [pair.privateKey]);
    const ok = Object.keys(parse(cross.toString()).data).length === N && Object.keys(crossBack.data).length === N;
    console.log(`cross-check      ${ok ? 'ok: kubeseal opens sealops output and sealops opens kubeseal output' : 'FAILED'}`);
    if (!ok) process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
