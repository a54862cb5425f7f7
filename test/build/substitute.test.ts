// Post-build substitution with Flux's syntax, and the places it must never touch.
import { describe, expect, it } from 'vitest';
import { substituteManifests } from '../../src/build/substitute.js';
import type { Manifest } from '../../src/build/index.js';

const m = (object: Record<string, unknown>): Manifest => ({ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, ...object }, file: 'f.yaml', doc: 0 });
const run = (object: Record<string, unknown>, vars: Record<string, string>) => substituteManifests([m(object)], { vars })[0]!.object as Record<string, unknown>;

describe('substituteManifests', () => {
  it('replaces ${var} and uses ${var:=default} when the variable is unset, and empties an unknown one as Flux does', () => {
    expect(run({ data: { a: 'x-${cluster}-y', b: '${region:=eu-west-1}', c: '${region:=eu}', d: '[${nothing}]' } }, { cluster: 'prod', region: 'us' }).data).toEqual({ a: 'x-prod-y', b: 'us', c: 'us', d: '[]' });
    expect(run({ data: { b: '${region:=eu-west-1}' } }, {}).data).toEqual({ b: 'eu-west-1' });
  });

  it('keeps $${var} as a literal ${var}, $var and other shell forms as written', () => {
    expect(run({ data: { a: '$${HOME}', b: '$HOME', c: '${PATH%%:*}' } }, { HOME: 'h' }).data).toEqual({ a: '${HOME}', b: '$HOME', c: '${PATH%%:*}' });
  });

  it('retypes a value that was only a variable, as YAML would, and never injects structure', () => {
    const out = run({ spec: { replicas: '${replicas}', paused: '${paused}', note: 'n=${replicas}', evil: '${evil}' } }, { replicas: '3', paused: 'true', evil: 'a: b\nc: [d]' });
    expect(out.spec).toEqual({ replicas: 3, paused: true, note: 'n=3', evil: 'a: b\nc: [d]' });
  });

  it('leaves objects annotated substitute: disabled (ours or Flux’s) untouched', () => {
    for (const a of ['sealops.dev/substitute', 'kustomize.toolkit.fluxcd.io/substitute']) {
      expect(run({ metadata: { name: 'x', annotations: { [a]: 'disabled' } }, data: { a: '${v}' } }, { v: '1' }).data).toEqual({ a: '${v}' });
    }
  });

  it('never substitutes inside a sealed value, the sops block or a SealedSecret’s encryptedData', () => {
    const enc = 'ENC[AES256_GCM,data:${v},iv:x,tag:y,type:str]';
    const sops = run({ kind: 'Secret', stringData: { p: enc }, sops: { mac: '${v}' }, metadata: { name: '${v}' } }, { v: 'z' });
    expect(sops).toMatchObject({ stringData: { p: enc }, sops: { mac: '${v}' }, metadata: { name: 'z' } });
    const ss = run({ apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', spec: { encryptedData: { k: 'Ag${v}' }, template: { metadata: { labels: { l: '${v}' } } } } }, { v: 'z' });
    expect(ss.spec).toEqual({ encryptedData: { k: 'Ag${v}' }, template: { metadata: { labels: { l: 'z' } } } });
  });
});
