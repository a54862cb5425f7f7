// `sealops rekey --all` on a generated repository of 1,000 sealed files (YAML Secrets, dotenv
// and INI), run as the real built CLI in a child process, killed halfway by a real SIGKILL and
// then interrupted by a real SIGINT, then rerun: every file opens with the new recipients (a
// sample with the real sops too), the old recipient opens none, and git shows only age stanza
// lines changed. Also: a fleet file opens with each cluster's key under the real sops.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSopsFormat, formatAgeKeyFile, generateAgeKeyPair, metadataRecipients, readSopsMetadata, sealSops, unsealSops, type AgeKeyPair } from '../../src/index.js';
import { peerPath } from '../support/peers.js';

const CLI = join(import.meta.dirname, '../../dist/cli/sealops.js');
const COUNT = 1000;
const dir = mkdtempSync(join(tmpdir(), 'sealops-bulk-'));
const repo = join(dir, 'repo');
let oldCluster: AgeKeyPair;
let newCluster: AgeKeyPair;
let team: AgeKeyPair;
const plaintext = new Map<string, string>();

function keyFile(name: string, k: AgeKeyPair): string {
  const f = join(dir, `${name}.key`);
  writeFileSync(f, formatAgeKeyFile(k.identity, k.recipient), { mode: 0o600 });
  return f;
}

function fileOf(i: number): { rel: string; text: string } {
  const folder = `clusters/prod/app-${Math.floor(i / 100)}`;
  if (i % 100 === 98) return { rel: `${folder}/s${i}.env`, text: `USER=app${i}\nPASSWORD=pw-${i}-${'z'.repeat(20)}\n` };
  if (i % 100 === 99) return { rel: `${folder}/s${i}.ini`, text: `[db]\nuser = app${i}\npassword = pw-${i}\n` };
  return {
    rel: `${folder}/s${i}.yaml`,
    text: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s${i}\n  namespace: prod\ntype: Opaque\nstringData:\n  user: app${i}\n  password: pw-${i}-${'x'.repeat(24)}\n`,
  };
}

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', maxBuffer: 256 << 20, env: { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1' } });
}

function config(recipient: string): void {
  writeFileSync(join(repo, '.sealops.yaml'), `clusters:\n  prod:\n    recipients: [${recipient}]\nteam: [${team.recipient}]\nrules:\n  - path: "clusters/{prod,stage}/**"\n    clusters: [prod]\n`);
}

/** Recipients of each sealed file, by relative path. */
function recipientsNow(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const rel of plaintext.keys()) {
    const text = readFileSync(join(repo, rel), 'utf8');
    out.set(rel, metadataRecipients(readSopsMetadata(text, { format: detectSopsFormat(rel, text), source: rel })).sort());
  }
  return out;
}

function countAt(recipient: string): number {
  let n = 0;
  for (const rel of plaintext.keys()) if (readFileSync(join(repo, rel), 'utf8').includes(recipient)) n++;
  return n;
}

/** Starts `sealops rekey --all` and sends `signal` once `threshold` more files carry the new recipient. */
async function rekeyKilledAfter(threshold: number, signal: NodeJS.Signals, teamKey: string): Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string; before: number; atKill: number }> {
  const before = countAt(newCluster.recipient);
  const child = spawn(process.execPath, [CLI, 'rekey', '--all'], { cwd: repo, env: { PATH: process.env.PATH, HOME: dir, SEALOPS_KEY_FILE: teamKey } });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (status, sig) => res({ status, signal: sig })));
  let atKill = before;
  for (;;) {
    await new Promise((r) => setTimeout(r, 5));
    if (child.exitCode !== null) break;
    atKill = countAt(newCluster.recipient);
    if (atKill - before >= threshold) {
      child.kill(signal);
      break;
    }
  }
  return { ...(await exited), stderr, before, atKill };
}

beforeAll(async () => {
  [oldCluster, newCluster, team] = await Promise.all([generateAgeKeyPair(), generateAgeKeyPair(), generateAgeKeyPair()]);
  mkdirSync(repo);
  git('init', '-q', '.');
  for (let i = 0; i < COUNT; i++) {
    const { rel, text } = fileOf(i);
    mkdirSync(join(repo, rel, '..'), { recursive: true });
    writeFileSync(join(repo, rel), await sealSops(text, { recipients: [oldCluster.recipient, team.recipient], source: rel, format: detectSopsFormat(rel, text) }));
    plaintext.set(rel, text);
  }
  config(oldCluster.recipient);
  git('add', '-A');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'sealed for the old cluster key');
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rekey --all on 1,000 sealed files', () => {
  it('survives a SIGKILL and a SIGINT halfway, and a rerun finishes with only age stanza lines changed', async () => {
    const teamKey = keyFile('team', team);
    config(newCluster.recipient);
    const oldSet = [oldCluster.recipient, team.recipient].sort();
    const newSet = [newCluster.recipient, team.recipient].sort();

    const killed = await rekeyKilledAfter(150, 'SIGKILL', teamKey);
    expect(killed.signal).toBe('SIGKILL');
    const afterKill = recipientsNow();
    const rekeyed = [...afterKill.values()].filter((r) => r.join() === newSet.join()).length;
    // Halfway: some files are new, some old, and every one is exactly one of the two.
    expect(rekeyed).toBeGreaterThan(0);
    expect(rekeyed).toBeLessThan(COUNT);
    for (const r of afterKill.values()) expect([oldSet.join(), newSet.join()]).toContain(r.join());
    // And every file, old or new, still opens with the team key to its own plaintext.
    for (const [rel, text] of plaintext) {
      const sealed = readFileSync(join(repo, rel), 'utf8');
      expect(await unsealSops(sealed, { identities: [team.identity], source: rel, format: detectSopsFormat(rel, sealed) })).toBe(text);
    }

    const interrupted = await rekeyKilledAfter(100, 'SIGINT', teamKey);
    // Ctrl-C: the files under way finish, the rest are named as not reached, exit 130; the
    // temp files the SIGKILL left were cleaned up.
    expect(interrupted.status).toBe(130);
    expect(interrupted.stderr).toMatch(/interrupted: \d+ file\(s\) not reached; run the command again to finish/);
    expect(interrupted.stderr).toMatch(/unchanged [1-9]\d*/);
    expect(countAt(newCluster.recipient)).toBeLessThan(COUNT);

    const rerun = spawnSync(process.execPath, [CLI, 'rekey', '--all'], { cwd: repo, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir, SEALOPS_KEY_FILE: teamKey } });
    expect(rerun.stderr).toMatch(/rekeyed: changed [1-9]\d*, unchanged [1-9]\d*, failed 0/);
    expect(rerun.status).toBe(0);
    const m = /changed (\d+), unchanged (\d+)/.exec(rerun.stderr);
    expect(Number(m?.[1]) + Number(m?.[2])).toBe(COUNT);

    for (const r of recipientsNow().values()) expect(r).toEqual(newSet);
    for (const [rel, text] of plaintext) {
      const sealed = readFileSync(join(repo, rel), 'utf8');
      const format = detectSopsFormat(rel, sealed);
      expect(await unsealSops(sealed, { identities: [newCluster.identity], source: rel, format })).toBe(text);
      await expect(unsealSops(sealed, { identities: [oldCluster.identity], source: rel, format })).rejects.toThrow(/no identity matches/);
    }
    // No temp file of the killed run is left behind.
    const leftovers = (function walk(d: string): string[] {
      return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (e.name === '.git' ? [] : walk(join(d, e.name))) : /\.tmp$/.test(e.name) ? [e.name] : []));
    })(repo);
    expect(leftovers).toEqual([]);

    // The real sops opens a sample of every store with the new cluster key, and not with the old one.
    const sopsEnv = (k: AgeKeyPair, name: string): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: dir, SOPS_AGE_KEY_FILE: keyFile(name, k), SOPS_DISABLE_VERSION_CHECK: '1' });
    const sample = [...plaintext.keys()].filter((_, i) => i % 97 === 0 || i % 100 >= 98).slice(0, 25);
    for (const rel of sample) {
      const ok = spawnSync(peerPath('sops'), ['-d', rel], { cwd: repo, encoding: 'utf8', env: sopsEnv(newCluster, 'new') });
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(`pw-${/s(\d+)\./.exec(rel)?.[1]}`);
      const no = spawnSync(peerPath('sops'), ['-d', rel], { cwd: repo, encoding: 'utf8', env: sopsEnv(oldCluster, 'old') });
      expect(no.status).not.toBe(0);
    }

    // git: only age stanza lines changed (recipient, armored key), never a value, the MAC or lastmodified.
    const diff = git('diff', '-U0', '--no-color', '--', 'clusters');
    const changed = diff.split('\n').filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l));
    expect(changed.length).toBeGreaterThan(COUNT);
    const STANZA = [
      /^\s*- recipient: age1[0-9a-z]+$/,
      /^\s*recipient: age1[0-9a-z]+$/,
      /^\s*enc: \|$/,
      /^\s*-----(BEGIN|END) AGE ENCRYPTED FILE-----$/,
      /^\s*[A-Za-z0-9+/=]{1,64}$/,
      /^sops_age__list_\d+__map_(enc|recipient)=/,
      /^age__list_\d+__map_(enc|recipient)\s*= /,
    ];
    const unexpected = changed.map((l) => l.slice(1)).filter((l) => !STANZA.some((re) => re.test(l)));
    expect(unexpected).toEqual([]);
    expect(git('diff', '--name-only', '--', 'clusters').trim().split('\n')).toHaveLength(COUNT);
  }, 600_000);
});

describe('rekey --all on a few files', () => {
  it('stops the bulk worker the entry point started ahead, does the files on one thread and exits', async () => {
    const small = join(dir, 'small');
    mkdirSync(join(small, 'apps'), { recursive: true });
    const k = await generateAgeKeyPair();
    for (let i = 0; i < 3; i++) writeFileSync(join(small, `apps/s${i}.yaml`), await sealSops(fileOf(i).text, { recipients: [team.recipient] }));
    const r = spawnSync(process.execPath, [CLI, 'rekey', '--all', '-r', k.recipient, '-r', team.recipient], { cwd: small, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, HOME: dir, SEALOPS_KEY_FILE: keyFile('team-small', team) } });
    // A worker left running would keep the process alive until the timeout (status null).
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('rekeyed: changed 3, unchanged 0, failed 0');
    const text = readFileSync(join(small, 'apps/s1.yaml'), 'utf8');
    expect(await unsealSops(text, { identities: [k.identity] })).toBe(fileOf(1).text);
  });
});

describe('fleet sealing with SOPS', () => {
  it('seals a file that a rule sends to two clusters with one data key and a stanza per cluster, each opening it with the real sops', async () => {
    const [prod, stage] = await Promise.all([generateAgeKeyPair(), generateAgeKeyPair()]);
    const fleet = join(dir, 'fleet');
    mkdirSync(join(fleet, 'shared'), { recursive: true });
    writeFileSync(
      join(fleet, '.sealops.yaml'),
      `clusters:\n  prod:\n    recipients: [${prod.recipient}]\n  stage:\n    recipients: [${stage.recipient}]\nteam: [${team.recipient}]\nrules:\n  - path: ["shared/**", "!shared/local/**"]\n    clusters: [prod, stage]\n`,
    );
    writeFileSync(join(fleet, 'shared', 'db.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: apps\nstringData:\n  password: fleet-pw-1\n');
    const seal = spawnSync(process.execPath, [CLI, 'seal', '-i', 'shared/db.yaml'], { cwd: fleet, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
    expect(seal.status, seal.stderr).toBe(0);
    const sealed = readFileSync(join(fleet, 'shared', 'db.yaml'), 'utf8');
    expect(sealed.match(/^sops:$/gm)).toHaveLength(1);
    expect(metadataRecipients(readSopsMetadata(sealed, { source: 'db.yaml' }))).toEqual([prod.recipient, stage.recipient, team.recipient]);
    for (const [name, k] of [['prod', prod], ['stage', stage]] as const) {
      const r = spawnSync(peerPath('sops'), ['-d', 'shared/db.yaml'], {
        cwd: fleet,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: dir, SOPS_AGE_KEY_FILE: keyFile(name, k), SOPS_DISABLE_VERSION_CHECK: '1' },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('password: fleet-pw-1');
    }
  }, 60_000);
});

describe('fleet sealing with SealedSecrets', () => {
  it('writes one SealedSecret per cluster by the rule output pattern, each opening only with its cluster key under kubeseal --recovery-unseal', () => {
    const fleet = join(dir, 'fleet-ss');
    mkdirSync(join(fleet, 'src', 'apps'), { recursive: true });
    const sealops = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: fleet, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
    for (const c of ['prod', 'stage']) {
      const k = sealops(['keygen', '--rsa', '-o', `${c}.pem`, '--cert-out', `${c}.crt`, '--cn', c]);
      expect(k.status, k.stderr).toBe(0);
    }
    writeFileSync(
      join(fleet, '.sealops.yaml'),
      'clusters:\n  prod:\n    certificate: prod.crt\n  stage:\n    certificate: stage.crt\nrules:\n  - path: "src/**"\n    clusters: [prod, stage]\n    output: "clusters/{cluster}/{path}"\n',
    );
    const source = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: apps\nstringData:\n  password: fleet-ss-pw\n';
    writeFileSync(join(fleet, 'src', 'apps', 'db.yaml'), source);
    const seal = sealops(['seal', 'src/apps/db.yaml']);
    expect(seal.status, seal.stderr).toBe(0);
    expect(seal.stdout).toBe('');
    expect(seal.stderr).toContain('wrote clusters/prod/src/apps/db.yaml: SealedSecret for cluster prod');
    expect(seal.stderr).toContain('wrote clusters/stage/src/apps/db.yaml: SealedSecret for cluster stage');
    expect(seal.stdout + seal.stderr).not.toContain('fleet-ss-pw');
    expect(readFileSync(join(fleet, 'src', 'apps', 'db.yaml'), 'utf8')).toBe(source);
    const kubeseal = (file: string, key: string) =>
      spawnSync(peerPath('kubeseal'), ['--recovery-unseal', '--recovery-private-key', key, '-o', 'yaml'], {
        input: readFileSync(join(fleet, file)),
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'none') },
      });
    for (const [own, other] of [['prod', 'stage'], ['stage', 'prod']] as const) {
      const file = `clusters/${own}/src/apps/db.yaml`;
      expect(readFileSync(join(fleet, file), 'utf8')).toContain('kind: SealedSecret');
      const ok = kubeseal(file, join(fleet, `${own}.pem`));
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(`password: ${Buffer.from('fleet-ss-pw').toString('base64')}`);
      expect(kubeseal(file, join(fleet, `${other}.pem`)).status).not.toBe(0);
    }
    // From stdin there is no file to name the outputs by: refused, nothing written.
    const stdin = spawnSync(process.execPath, [CLI, 'seal', '--cluster', 'prod', '--cluster', 'stage', '--format', 'sealedsecret'], { cwd: fleet, input: source, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
    expect(stdin.status).toBe(2);
    expect(stdin.stderr).toContain('which needs a FILE, not stdin');
  }, 120_000);
});
