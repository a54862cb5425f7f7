import { describe, expect, it } from 'vitest';
import { changedPaths, escapeToken, ignoredPointers, pointerTokens, valueAt, withoutIgnored, withValueAt } from '../../../src/agent/drift/paths.js';

describe('drift field paths', () => {
  it('names each changed leaf by its JSON pointer and ignores server bookkeeping and status', () => {
    const desired = { metadata: { name: 'web', resourceVersion: '1', labels: { 'app.kubernetes.io/name': 'web' } }, spec: { replicas: 1, template: { spec: { containers: [{ image: 'a:1' }] } } }, status: { ready: 1 } };
    const live = { metadata: { name: 'web', resourceVersion: '9', labels: { 'app.kubernetes.io/name': 'other' } }, spec: { replicas: 3, template: { spec: { containers: [{ image: 'a:2' }] } } }, status: { ready: 0 } };
    expect(changedPaths(desired, live, 'Deployment')).toEqual(['/metadata/labels/app.kubernetes.io~1name', '/spec/replicas', '/spec/template/spec/containers/0/image']);
  });

  it('reports a list that changed length as the list itself', () => {
    expect(changedPaths({ spec: { ports: [1] } }, { spec: { ports: [1, 2] } }, 'Service')).toEqual(['/spec/ports']);
  });

  it('reports a field present on one side only', () => {
    expect(changedPaths({ data: { a: 'x' } }, { data: { a: 'x', b: 'y' } }, 'ConfigMap')).toEqual(['/data/b']);
  });

  it("reports a Secret's drift as /data/<key> whatever the field, and a whole data map by its keys", () => {
    expect(changedPaths({ data: { password: 'YQ==', user: 'dQ==' } }, { data: { password: 'Yg==', user: 'dQ==' } }, 'Secret')).toEqual(['/data/password']);
    expect(changedPaths({ stringData: { 'a/b': 'x' } }, {}, 'Secret')).toEqual(['/data/a~1b']);
    expect(changedPaths({ data: { k1: 'eA==', k2: 'eQ==' } }, { data: null }, 'Secret')).toEqual(['/data/k1', '/data/k2']);
  });

  it('never puts a value in a path', () => {
    const paths = changedPaths({ data: { token: 'c2VjcmV0LXZhbHVl' } }, { data: { token: 'b3RoZXItdmFsdWU=' } }, 'Secret');
    expect(paths.join()).not.toMatch(/c2Vj|b3Ro/);
  });

  it('escapes and unescapes reference tokens both ways (RFC 6901)', () => {
    expect(escapeToken('a/b~c')).toBe('a~1b~0c');
    expect(pointerTokens('/a~1b~0c/0')).toEqual(['a/b~c', '0']);
    expect(pointerTokens('')).toEqual([]);
  });

  it('reads and writes a value at a pointer without touching the original', () => {
    const doc = { spec: { replicas: 1, list: [{ x: 1 }] } };
    expect(valueAt(doc, '/spec/list/0/x')).toBe(1);
    expect(valueAt(doc, '/spec/missing/x')).toBeUndefined();
    const next = withValueAt(doc, '/spec/replicas', 5);
    expect(next.spec.replicas).toBe(5);
    expect(doc.spec.replicas).toBe(1);
    expect(withValueAt(doc, '/nothing/here', 1)).toBe(doc);
  });

  it('matches ignore rules by kind, name and namespace, each optional', () => {
    const rules = [
      { target: { kind: 'Deployment', name: 'web' }, paths: ['/spec/replicas'] },
      { target: { namespace: 'team-a' }, paths: ['/metadata/annotations'] },
      { target: {}, paths: ['/metadata/labels/owner'] },
    ];
    expect(ignoredPointers(rules, { kind: 'Deployment', name: 'web', namespace: 'team-b' })).toEqual(['/spec/replicas', '/metadata/labels/owner']);
    expect(ignoredPointers(rules, { kind: 'Deployment', name: 'api', namespace: 'team-a' })).toEqual(['/metadata/annotations', '/metadata/labels/owner']);
  });

  it('drops paths at or below an ignored pointer, not siblings that share a prefix', () => {
    expect(withoutIgnored(['/spec/replicas', '/spec/replicasExtra', '/metadata/annotations/x'], ['/spec/replicas', '/metadata/annotations'])).toEqual(['/spec/replicasExtra']);
    expect(withoutIgnored(['/spec/replicas'], [''])).toEqual([]);
  });
});
