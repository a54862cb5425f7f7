import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, createConfigCache, generateAgeKeyPair, parseSealopsConfig, resolveRecipients } from '../../src/index.js';
import { wrapDataKey } from '../../src/crypto/age.js';
import { generateDataKey } from '../../src/crypto/datakey.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealops-config-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('.sealops.yaml', () => {
  it('picks clusters by path rule, first match wins, and adds team recipients', async () => {
    const [prod, staging, admin] = await Promise.all([generateAgeKeyPair(), generateAgeKeyPair(), generateAgeKeyPair()]);
    await writeFile(
      join(dir, '.sealops.yaml'),
      `clusters:\n  prod:\n    recipients: [${prod.recipient}]\n    certificate: certs/prod.pem\n  staging:\n    recipients:\n      - ${staging.recipient}\nteam:\n  recipients: [${admin.recipient}]\nrules:\n  - path: "clusters/prod/**"\n    clusters: [prod]\n  - path: "**/*.yaml"\n    clusters: [staging]\n`,
    );
    await mkdir(join(dir, 'clusters', 'prod', 'app'), { recursive: true });
    const p = await resolveRecipients({ target: 'clusters/prod/app/s.yaml', cwd: dir });
    expect(p.recipients).toEqual([prod.recipient, admin.recipient]);
    expect(p.clusters[0]?.certificate).toBe('certs/prod.pem');
    const s = await resolveRecipients({ target: join(dir, 'clusters', 'prod', 'app', '..', '..', 'dev.yaml'), cwd: dir });
    expect(s.recipients).toEqual([staging.recipient, admin.recipient]);
    const explicit = await resolveRecipients({ target: 'x.txt', cwd: dir, clusters: ['prod', 'staging'] });
    expect(explicit.recipients).toEqual([prod.recipient, staging.recipient, admin.recipient]);
    expect((await resolveRecipients({ target: 'notes.txt', cwd: dir })).recipients).toEqual([]);
  });

  it('is found by walking up from the file', async () => {
    const a = await generateAgeKeyPair();
    await writeFile(join(dir, '.sealops.yaml'), `clusters:\n  c:\n    recipients: [${a.recipient}]\nrules:\n  - path: "**"\n    clusters: [c]\n`);
    await mkdir(join(dir, 'a', 'b', 'c'), { recursive: true });
    expect((await resolveRecipients({ target: 'a/b/c/s.yaml', cwd: dir })).recipients).toEqual([a.recipient]);
  });

  it('refuses a private key, an unknown cluster in a rule and an unknown --cluster', async () => {
    const a = await generateAgeKeyPair();
    expect(() => parseSealopsConfig(`clusters:\n  c:\n    recipients: [${a.identity}]\n`, 'x')).toThrow(/private key/);
    expect(() => parseSealopsConfig('clusters: {}\nrules:\n  - path: "**"\n    clusters: [nope]\n', 'x')).toThrow(ConfigError);
    await writeFile(join(dir, '.sealops.yaml'), 'clusters: {}\n');
    await expect(resolveRecipients({ target: 's.yaml', cwd: dir, clusters: ['nope'] })).rejects.toThrow(ConfigError);
  });
});

describe('.sops.yaml fallback', () => {
  it('uses the first creation rule whose path_regex matches, with its age recipients and encrypted_regex', async () => {
    const [a, b] = await Promise.all([generateAgeKeyPair(), generateAgeKeyPair()]);
    await writeFile(
      join(dir, '.sops.yaml'),
      `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${a.recipient},${b.recipient}\n  - age: ${b.recipient}\n`,
    );
    const r = await resolveRecipients({ target: 'secrets/db.yaml', cwd: dir });
    expect(r.recipients).toEqual([a.recipient, b.recipient]);
    expect(r.rules).toEqual({ encrypted_regex: '^(data|stringData)$' });
    expect((await resolveRecipients({ target: 'other/x.yaml', cwd: dir })).recipients).toEqual([b.recipient]);
  });
});

describe('keys.example', () => {
  it('is a valid .sealops.yaml whose recipients all accept a wrapped key and which holds no private key', async () => {
    const { readFile: read } = await import('node:fs/promises');
    const text = await read(join(import.meta.dirname, '../../keys.example'), 'utf8');
    const cfg = parseSealopsConfig(text, 'keys.example');
    expect([...cfg.clusters.keys()]).toEqual(['production', 'staging', 'legacy']);
    expect(cfg.clusters.get('legacy')?.recipients).toEqual([]);
    const recipients = [...cfg.clusters.values()].flatMap((c) => c.recipients).concat(cfg.team);
    expect(recipients).toHaveLength(3);
    for (const r of recipients) await expect(wrapDataKey(generateDataKey(), r)).resolves.toMatch(/^-----BEGIN AGE/);
    expect(cfg.rules.map((r) => r.clusters.join('+'))).toEqual(['production', 'staging', 'legacy', 'production+staging']);
    expect(cfg.rules[3]?.globs).toEqual(['shared/**', '!shared/drafts/**']);
  });
});

describe('the per-command configuration cache', () => {
  it('reads and parses .sealops.yaml once for many files of one command', async () => {
    const prod = await generateAgeKeyPair();
    await writeFile(join(dir, '.sealops.yaml'), `clusters:\n  prod:\n    recipients: [${prod.recipient}]\nrules:\n  - path: "**"\n    clusters: [prod]\n`);
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    const cache = createConfigCache();
    const targets = ['x.yaml', 'a/y.yaml', 'a/b/z.yaml', 'a/b/w.yaml'];
    const results = await Promise.all(targets.map((target) => resolveRecipients({ target, cwd: dir, cache })));
    for (const r of results) expect(r.recipients).toEqual([prod.recipient]);
    expect([...cache.parsed.keys()]).toEqual([join(dir, '.sealops.yaml')]);
    // One read per folder walked (a/b, a, dir), never one per file.
    expect([...cache.files.keys()].sort()).toEqual([join(dir, '.sealops.yaml'), join(dir, 'a', '.sealops.yaml'), join(dir, 'a', 'b', '.sealops.yaml')].sort());
    // A later change is not seen through the same cache: it belongs to one command run.
    await writeFile(join(dir, '.sealops.yaml'), 'clusters: {}\n');
    expect((await resolveRecipients({ target: 'x.yaml', cwd: dir, cache })).recipients).toEqual([prod.recipient]);
  });
});

describe('malformed configuration files', () => {
  const cases: [string, string, RegExp][] = [
    ['.sops.yaml', 'creation_rules:\n  - age: [x\n', /^failed to parse .*\.sops\.yaml: /],
    ['.sops.yaml', 'creation_rules:\n  - path_regex: "(unclosed"\n    age: age1x\n', /\.sops\.yaml: creation_rules\[0\]\.path_regex is not a valid regular expression/],
    ['.sops.yaml', 'creation_rules: [null]\n', /\.sops\.yaml: creation_rules\[0\] is empty/],
    ['.sops.yaml', 'creation_rules: {a: b}\n', /\.sops\.yaml: creation_rules must be a list/],
    ['.sops.yaml', 'creation_rules:\n  - key_groups: [7]\n', /\.sops\.yaml: creation_rules\[0\]\.key_groups\[0\] must be a map/],
    ['.sops.yaml', '- just a list\n', /\.sops\.yaml: the top level must be a map/],
    ['.sealops.yaml', 'rules: {a: b}\n', /\.sealops\.yaml: rules must be a list/],
    ['.sealops.yaml', 'rules: [null]\n', /\.sealops\.yaml: rules\[0\]\.path must be a glob or a list of globs/],
    ['.sealops.yaml', 'clusters:\n  prod: 5\n', /\.sealops\.yaml: clusters\.prod must be a map/],
    ['.sealops.yaml', 'team: 5\n', /\.sealops\.yaml: team must be a map/],
    ['.sealops.yaml', 'clusters: [\n', /^failed to parse .*\.sealops\.yaml: /],
  ];
  for (const [name, text, message] of cases) {
    it(`refuses ${name} holding ${JSON.stringify(text)} with a ConfigError (exit 6) naming the file and field`, async () => {
      await writeFile(join(dir, name), text);
      const err = await resolveRecipients({ target: 's.yaml', cwd: dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(6);
      expect((err as ConfigError).message).toMatch(message);
    });
  }
});
