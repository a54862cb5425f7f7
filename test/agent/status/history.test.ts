// status.history: one entry per applied revision, re-applies counted, a digest free of secrets.
import { describe, expect, it } from 'vitest';
import { appliedDigest, nextHistory, readHistory } from '../../../src/agent/status/history.js';
import { HISTORY_LIMIT } from '../../../src/agent/sync.js';

const counts = { created: 1, configured: 0, unchanged: 2, deleted: 0 };
const entries = [{ id: 'ns_db__Secret', v: 'v1' }, { id: 'ns_app__ConfigMap', v: 'v1' }];
const secret = (password: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'ns' }, stringData: { password } });
const config = (mode: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'ns' }, data: { mode } });

describe('history', () => {
  it('adds a new revision on top and counts a re-apply of the newest one instead', () => {
    const one = nextHistory(undefined, { revision: 'main@sha1:a', counts, digest: 'sha256:1' }, 't1');
    expect(one).toEqual([{ revision: 'main@sha1:a', firstAppliedTime: 't1', lastAppliedTime: 't1', applies: 1, counts, digest: 'sha256:1' }]);
    const again = nextHistory(one, { revision: 'main@sha1:a', counts: { ...counts, unchanged: 3, created: 0 }, digest: 'sha256:1' }, 't2');
    expect(again).toEqual([{ ...one[0], lastAppliedTime: 't2', applies: 2 }]);
    const next = nextHistory(again, { revision: 'main@sha1:b', counts, digest: 'sha256:2' }, 't3');
    expect(next.map((h) => h.revision)).toEqual(['main@sha1:b', 'main@sha1:a']);
  });

  it(`keeps the newest ${HISTORY_LIMIT} revisions`, () => {
    let h: unknown = undefined;
    for (let i = 0; i < HISTORY_LIMIT + 3; i++) h = nextHistory(h, { revision: `main@sha1:${i}`, counts, digest: `sha256:${i}` }, `t${i}`);
    const list = readHistory(h);
    expect(list).toHaveLength(HISTORY_LIMIT);
    expect(list[0]!.revision).toBe(`main@sha1:${HISTORY_LIMIT + 2}`);
  });

  it('drops malformed entries of an untrusted status', () => {
    expect(readHistory([{ revision: 'x' }, 'junk', null, { revision: 'r', firstAppliedTime: 'a', lastAppliedTime: 'b', applies: -1, digest: 'd', counts }])).toEqual([]);
  });

  it('gives the same digest when only a secret value changed, and never hashes the value', () => {
    const a = appliedDigest(entries, [secret('hunter2'), config('prod')], ['hunter2']);
    const b = appliedDigest(entries, [secret('correct-horse'), config('prod')], ['correct-horse']);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a).toBe(b);
    expect(appliedDigest(entries, [config('prod'), secret('x')], ['x'])).toBe(a);
    expect(appliedDigest(entries, [secret('hunter2'), config('dev')], ['hunter2'])).not.toBe(a);
    expect(appliedDigest(entries.slice(1), [secret('hunter2'), config('prod')], ['hunter2'])).not.toBe(a);
  });

  it('does not depend on a secret value substituted into another object', () => {
    // postBuild.substituteFrom a Secret can put a secret value into a ConfigMap.
    const a = appliedDigest(entries, [config('token-aaaa')], ['token-aaaa']);
    const b = appliedDigest(entries, [config('token-bbbb')], ['token-bbbb']);
    expect(a).toBe(b);
    // Inside a longer string, as base64, as a key, or a short value anywhere in a string.
    const url = (pw: string) => config(`postgres://app:${pw}@db:5432/shop`);
    expect(appliedDigest(entries, [url('pw-one-1111')], ['pw-one-1111'])).toBe(appliedDigest(entries, [url('pw-two-2222')], ['pw-two-2222']));
    const binary = (pw: string) => ({ ...config('x'), binaryData: { blob: Buffer.from(pw).toString('base64') } });
    expect(appliedDigest(entries, [binary('bin-secret-1')], ['bin-secret-1'])).toBe(appliedDigest(entries, [binary('bin-secret-2')], ['bin-secret-2']));
    const keyed = (pw: string) => ({ ...config('x'), data: { [pw]: 'v' } });
    expect(appliedDigest(entries, [keyed('key-secret-1')], ['key-secret-1'])).toBe(appliedDigest(entries, [keyed('key-secret-2')], ['key-secret-2']));
    expect(appliedDigest(entries, [config('pin=12')], ['12'])).toBe(appliedDigest(entries, [config('pin=34')], ['34']));
    // The longest of two overlapping secrets is cut out whole.
    expect(appliedDigest(entries, [config('abcd-long-secret')], ['abcd', 'abcd-long-secret'])).toBe(appliedDigest(entries, [config('efgh-long-secret')], ['efgh-long-secret']));
  });
});
