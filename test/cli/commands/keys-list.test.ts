// `sealops keys list` on repositories laid out as teams lay them out: a `.sealops.yaml` with
// clusters and path rules, SOPS files (YAML and dotenv) sealed by sealops, a SealedSecret, a
// retired key. The gate exits 1 on each kind of problem and 0 on a clean repository; no output
// carries a value.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { formatKubesealYaml, sealSecret, sealSops } from '../../../src/index.js';
import { rsaKeyPair } from '../../support/rsa.js';
import { run, tempDir } from '../helpers.js';

const PASSWORD = 'keys-list-pw-7f3a9c';
let dir: string;
let cleanup: () => Promise<void>;
let prod: string;
let stage: string;
let old: string;
let team: string;

async function recipient(): Promise<string> {
  const r = await run(['keygen', '-o', `k${Math.random().toString(36).slice(2)}.key`], { cwd: dir });
  return r.stdout.trim();
}

async function sealed(path: string, recipients: string[], store: 'yaml' | 'dotenv' = 'yaml'): Promise<void> {
  const text = store === 'yaml' ? stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'app' }, stringData: { password: PASSWORD } }) : `PASSWORD=${PASSWORD}\n`;
  await mkdir(join(dir, path, '..'), { recursive: true });
  await writeFile(join(dir, path), await sealSops(text, { recipients, format: store, source: path }));
}

async function config(extra = ''): Promise<void> {
  await writeFile(
    join(dir, '.sealops.yaml'),
    `clusters:\n  prod:\n    recipients: [${prod}]\n    keySet: ks-0123456789abcdef\n    retired: [${old}]\n  stage:\n    recipients: [${stage}]\nteam:\n  recipients: [${team}]\nrules:\n  - path: "fleet/{prod,stage}/**"\n    clusters: [prod, stage]\n  - path: "apps/**"\n    clusters: [prod]\n${extra}`,
  );
}

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  [prod, stage, old, team] = [await recipient(), await recipient(), await recipient(), await recipient()];
});
afterEach(() => cleanup());

describe('sealops keys list', () => {
  it('passes the gate on a repository whose files every picked cluster can open, and lists keys and files', async () => {
    await config();
    await sealed('apps/db.yaml', [prod, team]);
    await sealed('apps/app.env', [prod], 'dotenv');
    await sealed('apps/.env', [prod], 'dotenv');
    const r = await run(['keys', 'list', '--check'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('no problems found');
    expect(r.stdout).toMatch(new RegExp(`^${prod}\\s+age\\s+cluster\\s+prod\\s.*\\syes\\s+3$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${stage}\\s+age\\s+cluster\\s+stage\\s.*\\sno\\s+0$`, 'm'));
    // The set the config names is in use because files are sealed to its recipient.
    expect(r.stdout).toMatch(/^ks-0123456789abcdef\s+key-set\s+cluster\s+prod\s+-\s.*\syes\s+0$/m);
    expect(r.stdout).toMatch(new RegExp(`^${prod}\\s+age\\s+cluster\\s+prod\\s+ks-0123456789abcdef\\s`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${team}\\s+age\\s+team\\s.*\\syes\\s+1$`, 'm'));
    expect(r.stdout).toMatch(/^apps\/app\.env\s+sops\s+prod\s+age1/m);
    expect(r.stdout).toMatch(/^apps\/\.env\s+sops\s+prod\s+age1/m);
    expect(r.stdout).not.toContain(PASSWORD);
  });

  it('fails the gate for a file a picked cluster cannot open and for a file sealed only to a retired key, naming them', async () => {
    await config();
    await sealed('apps/old.yaml', [old]);
    await sealed('apps/team-only.yaml', [team]);
    const r = await run(['keys', 'list', '--check', '-o', 'json'], { cwd: dir });
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as { problems: { kind: string; file?: string; cluster?: string }[] };
    expect(report.problems.map((p) => `${p.kind} ${p.file} ${p.cluster ?? ''}`).sort()).toEqual([
      'cannot-open apps/old.yaml prod',
      'cannot-open apps/team-only.yaml prod',
      'retired-only apps/old.yaml ',
    ]);
    // Without --check the same report is printed and the exit status is 0.
    expect((await run(['keys', 'list'], { cwd: dir })).status).toBe(0);
  });

  it('requires a file a brace-glob rule sends to two clusters to open in both, and names the one that cannot', async () => {
    await config();
    await sealed('fleet/stage/db.yaml', [stage]);
    await sealed('fleet/other/db.yaml', [team]);
    const r = await run(['keys', 'list', '--check'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('cannot-open: fleet/stage/db.yaml: cluster prod (picked by its path rule) cannot open it');
    expect(r.stdout).not.toContain('cluster stage (picked');
    // fleet/other matches no rule: no cluster needs to open it.
    expect(r.stdout).toMatch(/^fleet\/other\/db\.yaml\s+sops\s+-\s+age1/m);
    expect(r.stdout).not.toContain('cannot-open: fleet/other');
  });

  it('reports a rule naming an unknown cluster as a problem, not an error', async () => {
    await config('  - path: "legacy/**"\n    clusters: [dev]\n');
    await sealed('apps/db.yaml', [prod]);
    const r = await run(['keys', 'list', '--check'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/unknown-cluster: .*unknown cluster "dev"/);
  });

  it('says what a SealedSecret tells without keys: key size and scope, not which key', async () => {
    await config();
    const pair = rsaKeyPair(2048);
    await mkdir(join(dir, 'apps'), { recursive: true });
    await writeFile(join(dir, 'apps/ss.yaml'), formatKubesealYaml(sealSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'app' }, stringData: { password: PASSWORD } }, createPublicKey(pair.privateKey), { scope: 'namespace-wide' })));
    const r = await run(['keys', 'list', '--check'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^apps\/ss\.yaml\s+sealedsecret\s+prod\s+an RSA-2048 key \(not named by the ciphertext\), namespace-wide$/m);
  });

  it('fails the gate on a file that looks sealed but does not parse, naming the file only', async () => {
    await config();
    await mkdir(join(dir, 'apps'), { recursive: true });
    await writeFile(join(dir, 'apps/broken.yaml'), `apiVersion: v1\nkind: Secret\nstringData:\n  password: ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]\nsops:\n  age: 7\n`);
    const r = await run(['keys', 'list', '--check'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^unreadable: /m);
    expect(r.stdout).toContain('apps/broken.yaml');
  });

  it('refuses an unknown output format with a usage error', async () => {
    const r = await run(['keys', 'list', '-o', 'yaml'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('-o must be text or json');
  });
});
