// keys fetch's writer: the cluster entry of .sealops.yaml set from a key-set listing, comments and
// other entries kept, the certificate written beside it, and a config that does not parse left as
// it was. The result is read back by the same parser the seal command uses.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateClusterKeyEntries, publicKeysOf } from '../../src/agent/keys.js';
import { writeClusterKeys, type PublicKeySet } from '../../src/keys/config-write.js';
import { parseSealopsConfig } from '../../src/keys/config.js';
import { rsaFingerprint } from '../../src/crypto/rsa-fingerprint.js';
import { X509Certificate } from 'node:crypto';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sealops-config-write-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function set(fingerprint: string, state: PublicKeySet['state']): Promise<PublicKeySet> {
  const keys = await publicKeysOf(await generateClusterKeyEntries({ rsaBits: 2048, days: 30 }));
  return { fingerprint, createdAt: '2026-01-01T00:00:00Z', state, ...keys };
}

describe('writeClusterKeys', () => {
  it('sets the cluster from the active set, the older sets as previous or retired by their state, and keeps comments and other entries', async () => {
    const file = join(dir, '.sealops.yaml');
    const original = '# fleet config\nclusters:\n  # staging is elsewhere\n  staging:\n    recipients: [age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq]\n  prod:\n    recipients: [age1old]\nteam: []\nrules:\n  - path: "apps/**" # every app\n    clusters: [prod]\n';
    writeFileSync(file, original);
    const retired = await set('ks-0000000000000001', 'retired');
    const previous = await set('ks-0000000000000002', 'previous');
    const active = await set('ks-0000000000000003', 'active');
    const result = await writeClusterKeys(file, 'prod', [retired, previous, active]);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# fleet config');
    expect(text).toContain('# staging is elsewhere');
    expect(text).toContain('# every app');
    const cfg = parseSealopsConfig(text, file);
    expect(cfg.clusters.get('staging')!.recipients).toEqual(['age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq']);
    const prod = cfg.clusters.get('prod')!;
    expect(prod.recipients).toEqual(active.recipients);
    expect(prod.keySet).toBe('ks-0000000000000003');
    expect(prod.certificate).toBe('certs/prod.pem');
    const rsa = (s: PublicKeySet): string => rsaFingerprint(new X509Certificate(s.certificates[0]!).publicKey);
    expect(prod.retired).toEqual([retired.recipients[0], rsa(retired)]);
    expect(prod.previous).toEqual([previous.recipients[0], rsa(previous)]);
    expect(result.previous).toEqual(prod.previous);
    expect(readFileSync(join(dir, 'certs', 'prod.pem'), 'utf8')).toBe(active.certificates[0]);
    expect(result.certificateFile).toBe(join(dir, 'certs', 'prod.pem'));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('creates the file when there is none', async () => {
    const file = join(dir, '.sealops.yaml');
    await writeClusterKeys(file, 'edge', [await set('ks-00000000000000aa', 'active')]);
    expect(parseSealopsConfig(readFileSync(file, 'utf8'), file).clusters.get('edge')!.keySet).toBe('ks-00000000000000aa');
  });

  it('leaves a config that does not parse, or a listing without an active set, exactly as it was', async () => {
    const file = join(dir, '.sealops.yaml');
    const broken = 'clusters:\n  prod: [\n';
    writeFileSync(file, broken);
    await expect(writeClusterKeys(file, 'prod', [await set('ks-00000000000000bb', 'active')])).rejects.toThrow(/failed to read .*\.sealops\.yaml/);
    expect(readFileSync(file, 'utf8')).toBe(broken);
    writeFileSync(file, 'clusters: {}\n');
    await expect(writeClusterKeys(file, 'prod', [await set('ks-00000000000000cc', 'previous')])).rejects.toThrow(/lists no active key set/);
    expect(readFileSync(file, 'utf8')).toBe('clusters: {}\n');
    await expect(writeClusterKeys(file, '../x', [])).rejects.toThrow(/failed to write cluster/);
    expect(readdirSync(dir)).toEqual(['.sealops.yaml']);
  });
});
