// The files sops 3.13.3 and kubeseal v0.40.0 wrote (test/vectors/sops-3.13, provenance in its
// README) open in sealops to exactly what the real tools printed for them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatUnsealedSecret, readSopsMetadata, unsealSealedSecret, unsealSops, loadRsaPrivateKeys, type SopsFormat } from '../../../src/index.js';

const DIR = join(import.meta.dirname, '../../vectors/sops-3.13');
const read = (name: string): string => readFileSync(join(DIR, name), 'utf8');
const identity = (i: number): string => read(`key${i}.txt`).split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-')) ?? '';
/** sops aligns the `=` of INI keys (go-ini); sealops keeps the file's own spacing. */
const norm = (format: SopsFormat, text: string): string => (format === 'ini' ? text.replace(/[ \t]*=[ \t]*/g, ' = ') : text);

describe('vectors written by sops 3.13.3', () => {
  const cases: [string, string, SopsFormat][] = [
    ['comments-types.enc.yaml', 'comments-types.expected.yaml', 'yaml'],
    ['set-number.enc.yaml', 'set-number.expected.yaml', 'yaml'],
    ['comments.enc.env', 'comments.expected.env', 'dotenv'],
    ['comments.enc.ini', 'comments.expected.ini', 'ini'],
  ];
  for (const [sealed, expected, format] of cases) {
    it(`opens ${sealed} to what sops -d printed`, async () => {
      expect(norm(format, await unsealSops(read(sealed), { identities: [identity(0)], format }))).toBe(norm(format, read(expected)));
    });
  }

  it('writes the number sops set as type:float, and the dates as type:time', () => {
    expect(read('set-number.enc.yaml')).toMatch(/^a: ENC\[[^\]]*type:float\]$/m);
    expect(read('comments-types.enc.yaml')).toMatch(/^day: ENC\[[^\]]*type:time\]$/m);
  });

  it('opens the threshold-2 file with any two of its three keys and never with one', async () => {
    expect(readSopsMetadata(read('shamir-2of3.enc.yaml')).shamirThreshold).toBe(2);
    for (const pair of [[0, 1], [1, 2], [2, 0]]) {
      expect(await unsealSops(read('shamir-2of3.enc.yaml'), { identities: pair.map(identity) })).toBe(read('shamir-2of3.expected.yaml'));
    }
    for (const one of [0, 1, 2]) await expect(unsealSops(read('shamir-2of3.enc.yaml'), { identities: [identity(one)] })).rejects.toThrow(/2 are needed/);
  });
});

describe('vectors written by kubeseal v0.40.0', () => {
  it('unseals the templated SealedSecret to what kubeseal --recovery-unseal printed (but its ownerReference)', () => {
    const keys = loadRsaPrivateKeys(read('rsa-key.pem'));
    const ours = formatUnsealedSecret(unsealSealedSecret(JSON.parse(read('template.sealedsecret.enc.json')), keys));
    expect(ours).toBe(read('template.sealedsecret.expected.yaml').replace(/ {2}ownerReferences:\n(?: {2}- .*\n| {4}.*\n)*/, ''));
  });
});
