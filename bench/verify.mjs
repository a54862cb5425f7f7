// Commit-signature verification cost: fetch of a 200-file repository over file:// with and
// without `verify` (SSH allowed signers; OpenPGP when gpg is installed), into a warm bare
// repository, so the figure is what verification adds to each reconcile of the agent.
// Run: npm run build && node bench/verify.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchSnapshot } from '../dist/src/index.js';

const ROUNDS = 20;
const root = mkdtempSync(join(tmpdir(), 'sealops-bench-verify-'));
const repo = join(root, 'repo');
const gnupg = join(root, 'gnupg');
const env = { PATH: process.env.PATH, HOME: root, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GNUPGHOME: gnupg };
const git = (...args) => execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@x.invalid', ...args], { cwd: repo, env, encoding: 'utf8' }).trim();

let gpgAvailable = true;
try {
  mkdirSync(repo, { recursive: true });
  mkdirSync(gnupg, { mode: 0o700 });
  git('init', '-q', '-b', 'main');
  for (let i = 0; i < 200; i++) writeFileSync(join(repo, `cm-${i}.yaml`), `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm-${i} }\ndata: { i: "${i}" }\n`);
  git('add', '-A');
  const key = join(root, 'signer');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  git('-c', 'gpg.format=ssh', '-c', `user.signingkey=${key}`, 'commit', '-q', '-S', '-m', 'signed');
  const allowedSigners = `bench@x.invalid ${readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`;

  let pgpKey;
  let pgpRepoCommit;
  try {
    execFileSync('gpg', ['--batch', '--homedir', gnupg, '--passphrase', '', '--quick-gen-key', 'Bench <b@x.invalid>', 'ed25519', 'sign', 'never'], { env, stdio: 'ignore' });
    const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(execFileSync('gpg', ['--batch', '--homedir', gnupg, '--with-colons', '--list-keys'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))[1];
    pgpKey = execFileSync('gpg', ['--batch', '--homedir', gnupg, '--armor', '--export', fpr], { env, encoding: 'utf8' });
    git('branch', 'pgp');
    git('checkout', '-q', 'pgp');
    git('-c', 'gpg.format=openpgp', '-c', `user.signingkey=${fpr}`, 'commit', '-q', '-S', '--allow-empty', '-m', 'pgp');
    pgpRepoCommit = git('rev-parse', 'HEAD');
  } catch {
    gpgAvailable = false;
  }

  const url = `file://${repo}`;
  const time = async (label, ref, verify) => {
    const workDir = join(root, `work-${label}`);
    await fetchSnapshot({ url, ref, workDir, ...(verify ? { verify } : {}) }); // warm-up: the object store is filled once
    const samples = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = process.hrtime.bigint();
      await fetchSnapshot({ url, ref, workDir, ...(verify ? { verify } : {}) });
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    samples.sort((a, b) => a - b);
    console.log(`${label.padEnd(24)} median ${samples[ROUNDS >> 1].toFixed(1)} ms   p90 ${samples[Math.floor(ROUNDS * 0.9)].toFixed(1)} ms   (${ROUNDS} warm fetches, 200 files)`);
  };
  await time('fetch, no verify', { branch: 'main' });
  await time('fetch + SSH verify', { branch: 'main' }, { allowedSigners });
  if (gpgAvailable && pgpRepoCommit) await time('fetch + OpenPGP verify', { branch: 'pgp' }, { openpgpKeys: [pgpKey] });
  else console.log('OpenPGP: skipped (gpg not installed)');
} finally {
  try {
    execFileSync('gpgconf', ['--homedir', gnupg, '--kill', 'gpg-agent'], { env, stdio: 'ignore' });
  } catch {
    // no agent was started
  }
  rmSync(root, { recursive: true, force: true });
}
