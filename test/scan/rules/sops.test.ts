import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanFile } from '../../../src/scan/file.js';
import { sealedState } from '../../../src/scan/rules/sops.js';

const fixture = (p: string) => readFileSync(new URL(`../fixtures/clean/sops/${p}`, import.meta.url), 'utf8');
const rules = (path: string, text: string) => scanFile(path, Buffer.from(text)).findings.map((f) => f.rule);

describe('SOPS files', () => {
  const flux = fixture('flux-age.yaml');
  const multi = fixture('generated-multi.sops.yaml');
  const json = fixture('generated-secret.sops.json');

  it('passes real SOPS files from sops 3.7 to 3.13', () => {
    for (const p of ['flux-age.yaml', 'flux-global-secret.yaml', 'flux-merge1.yaml', 'sops-example.yaml', 'sops-example.json', 'generated-multi.sops.yaml', 'generated-secret.sops.json']) {
      expect(rules(p, fixture(p)), p).toEqual([]);
    }
  });

  it('flags a value added in plaintext to a sealed Secret (partly sealed)', () => {
    const text = flux.replace(/( {2}key: ENC\[.*\]\n)/, '$1  extra: plaintext-added-later\n');
    expect(rules('s.yaml', text)).toEqual(['sops-unencrypted-value']);
  });

  it('flags a plaintext data value in the second document of a sealed multi-document file', () => {
    const text = multi.replace(/(data:\n {4}token: )ENC\[[^\]]*\]/, `$1${Buffer.from('plain').toString('base64')}`);
    expect(rules('m.yaml', text)).toEqual(['sops-unencrypted-value']);
  });

  it('flags a missing MAC, a hand-edited MAC, a missing lastmodified and no recipients', () => {
    expect(rules('s.yaml', flux.replace(/^ {2}mac: .*\n/m, ''))).toEqual(['sops-mac']);
    expect(rules('s.yaml', flux.replace(/^( {2}mac: )ENC\[AES256_GCM,data:/m, '$1ENC[AES256_GCM,data:!!'))).toEqual(['sops-mac']);
    expect(rules('s.yaml', flux.replace(/^ {2}lastmodified: .*\n/m, ''))).toEqual(['sops-metadata']);
    expect(rules('s.yaml', flux.replace(/ {2}age:\n {4}- recipient: .*\n {6}enc: \|\n( {8}.*\n)+/, '  age: []\n'))).toEqual(['sops-no-recipients']);
  });

  it('flags a truncated ENC value and ENC values with no sops block', () => {
    expect(rules('s.yaml', flux.replace(/,type:str\]\nsops:/, '\nsops:'))).toEqual(['sops-malformed']);
    expect(rules('s.yaml', flux.slice(0, flux.indexOf('sops:')))).toEqual(['sops-malformed']);
  });

  it('flags a sops key that is not a map', () => {
    expect(rules('s.yaml', flux.slice(0, flux.indexOf('sops:')) + 'sops: yes\n')).toEqual(['sops-malformed']);
  });

  it('passes a sealed binary-store file and flags one whose data was replaced by plaintext', () => {
    const bin = fixture('flux-files/file.txt');
    expect(rules('file.json', bin)).toEqual([]);
    const obj = JSON.parse(bin);
    obj.data = 'plaintext content';
    expect(rules('file.json', JSON.stringify(obj))).toEqual(['sops-unencrypted-value']);
  });

  it('flags a JSON SOPS file whose MAC was removed', () => {
    const obj = JSON.parse(json);
    delete obj.sops.mac;
    expect(rules('s.json', JSON.stringify(obj))).toEqual(['sops-mac']);
  });
});

describe('sealedState (files a secretGenerator reads)', () => {
  it('knows sealed dotenv and binary-store files from the sops test data', () => {
    expect(sealedState(fixture('flux-envs/env.env'))).toBe('sealed');
    expect(sealedState(fixture('flux-files/file.txt'))).toBe('sealed');
    const flux = fixture('flux-age.yaml');
    expect(sealedState(flux.slice(flux.indexOf('stringData:')).replace('stringData:\n  key', 'key'))).toBe('sealed');
  });

  it('sees plaintext and partly sealed files', () => {
    expect(sealedState('PASSWORD=hunter2\n')).toBe('plain');
    expect(sealedState(fixture('flux-envs/env.env') + 'LATE=plain\n')).toBe('partly');
    expect(sealedState('{"data": "plain"}')).toBe('plain');
    // A Secret sealed with encrypted_regex keeps metadata in plaintext: as a generator file that text would land in the Secret.
    expect(sealedState(fixture('generated-multi.sops.yaml'))).toBe('partly');
  });
});
