// `rekey --all` and `rotate --all` in process: bad input (a corrupt and a non-UTF-8 file among
// good ones, a rule naming an unknown cluster, a glob matching nothing), SealedSecrets skipped,
// dotenv and INI covered, and nothing secret in the output.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectSopsFormat, EXIT_CODES, formatAgeKeyFile, generateAgeKeyPair, metadataRecipients, readSopsMetadata, sealSops, unsealSops, type AgeKeyPair } from '../../src/index.js';
import { run, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let oldKey: AgeKeyPair;
let newKey: AgeKeyPair;
let team: AgeKeyPair;
const SECRETS: Record<string, string> = {
  'apps/a/db.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: a\nstringData:\n  password: pw-alpha-123\n',
  'apps/b/db.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: b\nstringData:\n  password: pw-bravo-456\n',
  'apps/b/app.env': 'TOKEN=tok-charlie-789\n',
  'apps/c/app.ini': '[db]\npassword = pw-delta-000\n',
  'apps/d/db.json': '{\n  "apiVersion": "v1",\n  "kind": "Secret",\n  "metadata": {"name": "db", "namespace": "d"},\n  "stringData": {"password": "pw-echo-111"}\n}\n',
};

function configFor(recipient: string, extraRule = ''): string {
  return `clusters:\n  prod:\n    recipients: [${recipient}]\nteam: [${team.recipient}]\nrules:\n  - path: "apps/**"\n    clusters: [prod]\n${extraRule}`;
}

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  [oldKey, newKey, team] = await Promise.all([generateAgeKeyPair(), generateAgeKeyPair(), generateAgeKeyPair()]);
  for (const [rel, text] of Object.entries(SECRETS)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), await sealSops(text, { recipients: [oldKey.recipient, team.recipient], source: rel, format: detectSopsFormat(rel, text) }));
  }
  await writeFile(join(dir, 'team.key'), formatAgeKeyFile(team.identity, team.recipient), { mode: 0o600 });
});
afterEach(() => cleanup());

const recipientsOf = async (rel: string): Promise<string[]> => {
  const text = await readFile(join(dir, rel), 'utf8');
  return metadataRecipients(readSopsMetadata(text, { source: rel, format: detectSopsFormat(rel, text) }));
};

describe('rekey --all', () => {
  it('rekeys YAML, JSON, dotenv and INI files, leaves plain manifests alone, reports a corrupt and a non-UTF-8 file as failed, and finishes the others', async () => {
    await writeFile(join(dir, '.sealops.yaml'), configFor(newKey.recipient));
    // A tampered value: the data key still opens, but the value no longer authenticates.
    const good = await readFile(join(dir, 'apps/a/db.yaml'), 'utf8');
    const corrupt = good.replace(/(password: ENC\[AES256_GCM,data:)(.)/, (_, p: string, c: string) => `${p}${c === 'A' ? 'B' : 'A'}`);
    expect(corrupt).not.toBe(good);
    await mkdir(join(dir, 'apps/z'), { recursive: true });
    await writeFile(join(dir, 'apps/z/broken.yaml'), corrupt);
    await writeFile(join(dir, 'apps/z/latin1.yaml'), Buffer.concat([Buffer.from('sops:\n  mac: x\n'), Buffer.from([0xff, 0xfe])]));
    // Files with nothing sealed are read and left alone, and not counted.
    const plain = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  sops: mentioned, not metadata\n';
    await writeFile(join(dir, 'apps/a/settings.yaml'), plain);
    const r = await run(['rekey', '--all', '-k', 'team.key'], { cwd: dir });
    expect(await readFile(join(dir, 'apps/a/settings.yaml'), 'utf8')).toBe(plain);
    expect(r.stderr).toContain('rekeyed: changed 5, unchanged 0, failed 2');
    expect(r.stderr).toMatch(/failed: apps\/z\/broken\.yaml: failed to decrypt/);
    expect(r.stderr).toMatch(/failed: apps\/z\/latin1\.yaml: failed to read apps\/z\/latin1\.yaml: it is not UTF-8 text/);
    // The exit status is the first failure's class, from the one table.
    expect(r.status).toBe(EXIT_CODES.DECRYPT);
    for (const rel of Object.keys(SECRETS)) {
      expect(await recipientsOf(rel)).toEqual([newKey.recipient, team.recipient]);
      const text = await readFile(join(dir, rel), 'utf8');
      expect(await unsealSops(text, { identities: [newKey.identity], source: rel, format: detectSopsFormat(rel, text) })).toBe(SECRETS[rel]);
    }
    expect(await readFile(join(dir, 'apps/z/broken.yaml'), 'utf8')).toBe(corrupt);
    for (const v of ['pw-alpha-123', 'pw-bravo-456', 'tok-charlie-789', 'pw-delta-000', 'pw-echo-111']) expect(r.stdout + r.stderr).not.toContain(v);
  });

  it('leaves files already at the target recipients byte for byte and says unchanged', async () => {
    await writeFile(join(dir, '.sealops.yaml'), configFor(oldKey.recipient));
    const before = await readFile(join(dir, 'apps/b/app.env'));
    const r = await run(['rekey', '--all', 'apps'], { cwd: dir, env: { SEALOPS_KEY_FILE: join(dir, 'team.key') } });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('rekeyed: changed 0, unchanged 5, failed 0');
    expect(await readFile(join(dir, 'apps/b/app.env'))).toEqual(before);
  });

  it('refuses a config whose rule names an unknown cluster before touching any file', async () => {
    await writeFile(join(dir, '.sealops.yaml'), configFor(newKey.recipient, '  - path: "other/**"\n    clusters: [prdo]\n'));
    const before = await readFile(join(dir, 'apps/a/db.yaml'), 'utf8');
    const r = await run(['rekey', '--all', '-k', 'team.key'], { cwd: dir });
    expect(r.status).toBe(EXIT_CODES.CONFIG);
    expect(r.stderr).toContain('sealops: error: failed to read');
    expect(r.stderr).toContain('rules[1] names unknown cluster "prdo"');
    expect(r.stderr).toContain('sealops: hint: clusters defined: prod');
    expect(await readFile(join(dir, 'apps/a/db.yaml'), 'utf8')).toBe(before);
  });

  it('warns about a path rule that matches no sealed file', async () => {
    await writeFile(join(dir, '.sealops.yaml'), configFor(newKey.recipient, '  - path: "clusters/{prod,stage}/**"\n    clusters: [prod]\n'));
    const r = await run(['rekey', '--all', '-k', 'team.key'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('warning: .sealops.yaml: rules[1] (clusters/{prod,stage}/**) matches no sealed file under .');
    expect(r.stderr).not.toContain('rules[0]');
  });

  it('skips a SealedSecret with a note saying it needs the cluster', async () => {
    await writeFile(join(dir, '.sealops.yaml'), configFor(newKey.recipient));
    const ss = 'apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\n  namespace: a\nspec:\n  encryptedData:\n    k: AgBy\n  template:\n    metadata:\n      name: s\n      namespace: a\n';
    await writeFile(join(dir, 'apps/a/sealed.yaml'), ss);
    const r = await run(['rekey', '--all', '-k', 'team.key'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/skipped apps\/a\/sealed\.yaml: a SealedSecret is sealed to its cluster certificate.*re-encrypt it with the cluster/);
    expect(r.stderr).toContain('changed 5, unchanged 0, failed 0, skipped 1');
    expect(await readFile(join(dir, 'apps/a/sealed.yaml'), 'utf8')).toBe(ss);
  });

  it('refuses FILEs together with --all, and neither', async () => {
    expect((await run(['rekey', '--all', 'apps', 'x.yaml'], { cwd: dir })).status).toBe(EXIT_CODES.USAGE);
    const none = await run(['rekey'], { cwd: dir });
    expect(none.status).toBe(EXIT_CODES.USAGE);
    expect(none.stderr).toContain('rekey needs FILEs or --all [PATH]');
  });

  it('says in its help what it needs: an identity that opens the data key, team recipients', async () => {
    const r = await run(['rekey', '--help'], { cwd: dir });
    expect(r.stdout).toContain('--all [PATH]');
    expect(r.stdout).toMatch(/team \(break-glass\) recipients/);
    expect(r.stdout).toMatch(/SealedSecrets are\s+skipped/);
  });
});

describe('rotate --all', () => {
  it('gives every SOPS file a new data key, keeps its recipients and its plaintext, and changes every value', async () => {
    await writeFile(join(dir, '.sealops.yaml'), configFor(newKey.recipient));
    const before = await readFile(join(dir, 'apps/b/app.env'), 'utf8');
    const r = await run(['rotate', '--all', '-k', 'team.key'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('rotated: changed 5, unchanged 0, failed 0');
    const after = await readFile(join(dir, 'apps/b/app.env'), 'utf8');
    expect(after.split('\n')[0]).not.toBe(before.split('\n')[0]);
    for (const rel of Object.keys(SECRETS)) {
      expect(await recipientsOf(rel)).toEqual([oldKey.recipient, team.recipient]);
      const text = await readFile(join(dir, rel), 'utf8');
      expect(await unsealSops(text, { identities: [team.identity], source: rel, format: detectSopsFormat(rel, text) })).toBe(SECRETS[rel]);
    }
  });

  it('without a key reports every file as failed with the key exit status, writing nothing', async () => {
    const before = await readFile(join(dir, 'apps/a/db.yaml'), 'utf8');
    await writeFile(join(dir, 'other.key'), formatAgeKeyFile(newKey.identity, newKey.recipient), { mode: 0o600 });
    const r = await run(['rotate', '--all', '-k', 'other.key'], { cwd: dir });
    expect(r.status).toBe(EXIT_CODES.KEY);
    expect(r.stderr).toContain('rotated: changed 0, unchanged 0, failed 5');
    expect(await readFile(join(dir, 'apps/a/db.yaml'), 'utf8')).toBe(before);
  });
});
