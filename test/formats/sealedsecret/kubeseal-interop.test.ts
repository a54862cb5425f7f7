// SealedSecret details against the real kubeseal v0.40: Go templates in spec.template.data,
// empty values and quoting of `--recovery-unseal`, and `--merge-into` keeping a JSON file JSON.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUnsealedSecret, generateRsaKeyPair, isTemplateExpression, mergeIntoSealedSecretText, readSealedSecretDocuments, unsealSealedSecret, type RsaKeyPair } from '../../../src/index.js';
import { peerPath } from '../../support/peers.js';

let dir: string;
let pair: RsaKeyPair;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealops-kubeseal-interop-'));
  pair = await generateRsaKeyPair({ bits: 2048 });
  writeFileSync(join(dir, 'cert.pem'), pair.certificatePem);
  writeFileSync(join(dir, 'key.pem'), pair.privateKeyPem, { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubeseal(args: string[], input = ''): string {
  return execFileSync(peerPath('kubeseal'), args, { cwd: dir, input, env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'none') }, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

const SECRET = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'app', namespace: 'prod', annotations: { enabled: 'yes', count: '123', when: '2026-01-02' } },
  type: 'Opaque',
  stringData: { user: 'admin', pw: 'hunter2', empty: '' },
});

/** kubeseal's unseal output without the ownerReference it adds (an empty uid the API server refuses). */
const withoutOwner = (text: string): string => text.replace(/ {2}ownerReferences:\n(?: {2}- .*\n| {4}.*\n)*/, '');

/** A SealedSecret kubeseal sealed, with `data` as its spec.template.data, as JSON text. */
function withTemplate(data: Record<string, string | null>): string {
  const obj = JSON.parse(kubeseal(['--cert', 'cert.pem', '-o', 'json'], SECRET)) as { spec: { template: Record<string, unknown> } };
  obj.spec.template.data = data;
  return JSON.stringify(obj);
}

function unsealBoth(sealedJson: string): { ours: string; theirs: string } {
  const theirs = withoutOwner(kubeseal(['--recovery-unseal', '--recovery-private-key', 'key.pem', '-o', 'yaml'], sealedJson));
  const ours = formatUnsealedSecret(unsealSealedSecret(JSON.parse(sealedJson), [pair.privateKey]));
  return { ours, theirs };
}

describe('kubeseal --recovery-unseal and sealops unseal agree', () => {
  it('on empty values (null), annotation quoting and key order', () => {
    const { ours, theirs } = unsealBoth(kubeseal(['--cert', 'cert.pem', '-o', 'json'], SECRET));
    expect(theirs).toContain('empty: null');
    expect(ours).toBe(theirs);
  });

  it('on Go templates in spec.template.data, as the controller renders them', () => {
    const { ours, theirs } = unsealBoth(
      withTemplate({
        dsn: 'postgres://{{ index . "user" }}:{{ .pw | b64enc }}@db/{{ printf "%s-%d" "x" 3 }}',
        shout: '{{ upper .user | quote }} {{- "  trimmed  " -}} !',
        missing: '{{ index . "nope" }}|{{ .nope }}',
        chain: '{{ .user | replace "ad" "AD" | trimPrefix "AD" | default "none" }}:{{ default "fallback" .nope2 }}',
        user: 'sealed values win',
        removed: null,
      }),
    );
    expect(ours).toBe(theirs);
    expect(ours).toContain(`dsn: ${Buffer.from(`postgres://admin:${Buffer.from('hunter2').toString('base64')}@db/x-3`).toString('base64')}`);
  });

  it('refuses exactly the constructs and functions sealops does not render, naming them', () => {
    const sealed = JSON.parse(withTemplate({ a: '{{ if .user }}x{{ end }}', b: '{{ sha512sum .pw }}' })) as unknown;
    expect(() => unsealSealedSecret(sealed, [pair.privateKey])).toThrow(/does not render if, end in a Go template/);
    const other = JSON.parse(withTemplate({ b: '{{ .pw | sha512sum }}' })) as unknown;
    expect(() => unsealSealedSecret(other, [pair.privateKey])).toThrow(/does not render sha512sum/);
    // The message names functions, never a value.
    expect(() => unsealSealedSecret(other, [pair.privateKey])).not.toThrow(/hunter2/);
  });

  it('classifies a template.data entry as a template by {{', () => {
    expect(isTemplateExpression('{{ .a }}')).toBe(true);
    expect(isTemplateExpression('literal')).toBe(false);
  });
});

describe('merge into a SealedSecret file', () => {
  it('keeps a kubeseal JSON file JSON, laid out as kubeseal lays out its own merge', () => {
    const original = kubeseal(['--cert', 'cert.pem', '-o', 'json'], SECRET);
    writeFileSync(join(dir, 'theirs.json'), original);
    const update = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app', namespace: 'prod' }, stringData: { extra: 'v' } });
    kubeseal(['--cert', 'cert.pem', '--merge-into', 'theirs.json'], update);
    const theirs = readFileSync(join(dir, 'theirs.json'), 'utf8');
    const ours = mergeIntoSealedSecretText(original, JSON.parse(update), pair.publicKey, { into: 'ours.json' });
    const shape = (t: string): string => t.replace(/"extra": "[^"]+"/, '"extra": "…"');
    expect(shape(ours)).toBe(shape(theirs));
    // The existing entries keep their ciphertext; the merged one opens.
    const [merged] = readSealedSecretDocuments(ours);
    const data = unsealSealedSecret(merged, [pair.privateKey]).data ?? {};
    expect(Buffer.from(data.extra ?? '', 'base64').toString()).toBe('v');
    expect(Buffer.from(data.pw ?? '', 'base64').toString()).toBe('hunter2');
  });

  it('keeps a YAML file YAML', () => {
    const original = kubeseal(['--cert', 'cert.pem', '-o', 'yaml'], SECRET);
    const ours = mergeIntoSealedSecretText(original, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app' }, stringData: { extra: 'v' } }, pair.publicKey);
    expect(ours.startsWith('---\napiVersion: bitnami.com/v1alpha1\n')).toBe(true);
    for (const line of original.split('\n').filter((l) => /^ {4}(pw|user|empty):/.test(l))) expect(ours).toContain(line);
  });
});
