/**
 * The format layer: the one format decision, and each adapter's documents by index, against
 * files sealed by the real library (no stand-in for either format).
 */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  detectFormat,
  EXIT_CODES,
  formatFor,
  generateAgeKeyPair,
  generateRsaKeyPair,
  loadRsaCertificate,
  loadRsaPrivateKeys,
  sealText,
  type SealedText,
} from '../../src/index.js';

const secret = (name: string, value: string): string =>
  stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'ns' }, stringData: { password: value } });

describe('detectFormat', () => {
  it('decides SealedSecret from the content and the SOPS store from the name or content', () => {
    expect(detectFormat({ path: 'a.yaml', text: 'apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: x}\nspec: {encryptedData: {}}\n' })).toEqual({
      kind: 'sealedsecret',
      store: 'yaml',
    });
    expect(detectFormat({ path: 'app.env', text: 'A=1\n' })).toEqual({ kind: 'sops', store: 'dotenv' });
    expect(detectFormat({ text: '{"a": 1}' })).toEqual({ kind: 'sops', store: 'json' });
    expect(detectFormat({ path: 'x.yaml', text: 'a: 1\n' }, 'binary')).toEqual({ kind: 'sops', store: 'binary' });
    // A file that only mentions the word is not a SealedSecret.
    expect(detectFormat({ path: 'x.yaml', text: 'note: SealedSecret\n' }).kind).toBe('sops');
  });
});

describe('FormatAdapter.open', () => {
  it('returns a SOPS file’s documents by index, empty documents kept as null', async () => {
    const pair = await generateAgeKeyPair();
    const plain = `${secret('one', 'pw-one')}---\n---\n${secret('two', 'pw-two')}`;
    const text = await sealText(plain, 'multi.yaml', { kind: 'sops', options: { recipients: [pair.recipient], format: 'yaml' } });
    const file: SealedText = { text, source: 'multi.yaml', format: detectFormat({ path: 'multi.yaml', text }) };
    expect(file.format).toEqual({ kind: 'sops', store: 'yaml' });
    const docs = (await formatFor(file.format).open(file, { ageIdentities: [pair.identity], rsaKeys: [] })) as ({ metadata: { name: string }; stringData: { password: string } } | null)[];
    expect(docs).toHaveLength(3);
    expect(docs[0]?.stringData.password).toBe('pw-one');
    expect(docs[1]).toBeNull();
    expect(docs[2]?.metadata.name).toBe('two');
    expect(docs[2]?.stringData.password).toBe('pw-two');
  });

  it('returns a Secret for each SealedSecret, by index, and refuses without an RSA key', async () => {
    const pair = await generateRsaKeyPair({ days: 1 });
    const publicKey = loadRsaCertificate(pair.certificatePem).publicKey;
    const text = await sealText(`${secret('one', 'pw-one')}---\n${secret('two', 'pw-two')}`, 'ss.yaml', { kind: 'sealedsecret', publicKey });
    const file: SealedText = { text, source: 'ss.yaml', format: detectFormat({ path: 'ss.yaml', text }) };
    expect(file.format.kind).toBe('sealedsecret');
    const adapter = formatFor(file.format);
    const docs = (await adapter.open(file, { ageIdentities: [], rsaKeys: loadRsaPrivateKeys(pair.privateKeyPem) })) as { metadata: { name: string }; data: { password: string } }[];
    expect(docs.map((d) => d.metadata.name)).toEqual(['one', 'two']);
    expect(Buffer.from(docs[1]!.data.password, 'base64').toString()).toBe('pw-two');
    await expect(adapter.open(file, { ageIdentities: [], rsaKeys: [] })).rejects.toMatchObject({ exitCode: EXIT_CODES.KEY });
    await expect(adapter.rekey(file, { ageIdentities: [], rsaKeys: [] }, {})).rejects.toThrow(/a SealedSecret has no data key to re-wrap/);
  });
});

describe('FormatAdapter.verify', () => {
  it('finds nothing wrong in an intact SOPS file and names an unexpected recipient', async () => {
    const [a, b] = await Promise.all([generateAgeKeyPair(), generateAgeKeyPair()]);
    const text = await sealText(secret('one', 'pw'), 's.yaml', { kind: 'sops', options: { recipients: [a.recipient], format: 'yaml' } });
    const file: SealedText = { text, source: 's.yaml', format: detectFormat({ path: 's.yaml', text }) };
    const adapter = formatFor(file.format);
    expect(await adapter.verify(file, { keys: { ageIdentities: [a.identity], rsaKeys: [] }, recipients: [a.recipient] })).toEqual([]);
    expect(await adapter.verify(file, { recipients: [b.recipient] })).toEqual([`not sealed for recipient ${b.recipient}`, `sealed for unexpected recipient ${a.recipient}`]);
  });
});
