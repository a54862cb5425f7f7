// Reading a Sync's spec: defaults, durations and the errors for bad fields.
import { describe, expect, it } from 'vitest';
import { massDeletionOverride, parseDuration, parseSyncSpec, revisionOf, type SyncObject } from '../../src/agent/sync.js';

describe('parseSyncSpec', () => {
  it('reads components, targetNamespace and postBuild with Flux’s names, and refuses malformed ones', () => {
    const spec = parseSyncSpec({
      source: { url: 'https://git.example/repo.git' },
      components: ['../../components/monitoring'],
      targetNamespace: 'tenant-a',
      postBuild: { substitute: { cluster: 'eu-1' }, substituteFrom: [{ kind: 'ConfigMap', name: 'vars' }, { kind: 'Secret', name: 'tokens', optional: true }] },
    });
    expect(spec.components).toEqual(['../../components/monitoring']);
    expect(spec.targetNamespace).toBe('tenant-a');
    expect(spec.postBuild).toEqual({ substitute: { cluster: 'eu-1' }, substituteFrom: [{ kind: 'ConfigMap', name: 'vars', optional: false }, { kind: 'Secret', name: 'tokens', optional: true }] });
    const base = { source: { url: 'https://git.example/repo.git' } };
    expect(() => parseSyncSpec({ ...base, targetNamespace: 'Not_A_Namespace' })).toThrow(/spec\.targetNamespace/);
    expect(() => parseSyncSpec({ ...base, components: 'x' })).toThrow(/spec\.components/);
    expect(() => parseSyncSpec({ ...base, postBuild: { substituteFrom: [{ kind: 'Pod', name: 'x' }] } })).toThrow(/substituteFrom\[0\]/);
    expect(() => parseSyncSpec({ ...base, postBuild: { substitute: { n: 3 } } })).toThrow(/substitute\.n must be a string/);
  });

  it('applies the documented defaults', () => {
    const spec = parseSyncSpec({ source: { url: 'https://git.example/repo.git' } });
    expect(spec).toMatchObject({ path: '', intervalMs: 300_000, prune: true, suspend: false, maxDeletionPercent: 50, allowMassDeletion: false });
    expect(spec.decryptionSecretRef).toBeUndefined();
  });

  it('reads every field', () => {
    const spec = parseSyncSpec({
      source: { url: 'ssh://git@h/r.git', ref: { tag: 'v1' }, secretRef: { name: 'auth' } },
      path: './clusters/prod',
      interval: '1m30s',
      prune: false,
      suspend: true,
      decryption: { secretRef: { name: 'keys' } },
      deletionGuard: { maxPercent: 10, allowMassDeletion: true },
    });
    expect(spec).toMatchObject({ path: 'clusters/prod', intervalMs: 90_000, prune: false, suspend: true, decryptionSecretRef: 'keys', maxDeletionPercent: 10, allowMassDeletion: true });
    expect(spec.source).toEqual({ url: 'ssh://git@h/r.git', ref: { tag: 'v1', branch: undefined, commit: undefined }, secretRef: 'auth' });
  });

  it('refuses a missing url, a path leaving the repository and an out-of-range guard', () => {
    expect(() => parseSyncSpec({ source: {} })).toThrow(/spec\.source\.url is required/);
    expect(() => parseSyncSpec({ source: { url: 'file:///r' }, path: 'a/../../etc' })).toThrow(/spec\.path/);
    expect(() => parseSyncSpec({ source: { url: 'file:///r' }, deletionGuard: { maxPercent: 101 } })).toThrow(/maxPercent/);
    expect(() => parseSyncSpec({ source: { url: 'file:///r' }, interval: 'soon' })).toThrow(/duration/);
  });
});

describe('parseSyncSpec: spec.source.verify', () => {
  it('reads the verification Secret and defaults the mode to HEAD', () => {
    expect(parseSyncSpec({ source: { url: 'file:///r', verify: { secretRef: { name: 'signers' } } } }).source.verify).toEqual({ mode: 'HEAD', secretRef: 'signers' });
    expect(parseSyncSpec({ source: { url: 'file:///r', verify: { mode: 'head', secretRef: { name: 's' } } } }).source.verify).toEqual({ mode: 'HEAD', secretRef: 's' });
  });

  it('leaves verification off when the field is absent', () => {
    expect(parseSyncSpec({ source: { url: 'file:///r' } }).source.verify).toBeUndefined();
  });

  it('refuses verification without a Secret, an unknown mode and a non-object', () => {
    expect(() => parseSyncSpec({ source: { url: 'file:///r', verify: {} } })).toThrow(/spec\.source\.verify\.secretRef\.name is required/);
    expect(() => parseSyncSpec({ source: { url: 'file:///r', verify: { mode: 'Tag', secretRef: { name: 's' } } } })).toThrow(/mode must be HEAD/);
    expect(() => parseSyncSpec({ source: { url: 'file:///r', verify: true } })).toThrow(/verify must be an object/);
  });
});

describe('parseDuration and revisionOf', () => {
  it('parses Go-style durations', () => {
    expect([parseDuration('500ms'), parseDuration('30s'), parseDuration('1h2m3s')]).toEqual([500, 30_000, 3_723_000]);
  });

  it('names the ref in the revision', () => {
    expect(revisionOf({ branch: 'main' }, 'abc')).toBe('main@sha1:abc');
    expect(revisionOf({ tag: 'v1' }, 'abc')).toBe('v1@sha1:abc');
    expect(revisionOf({}, 'abc')).toBe('HEAD@sha1:abc');
  });
});

describe('source size limits', () => {
  it('reads bytes and binary quantities, and refuses anything else', () => {
    const spec = parseSyncSpec({ source: { url: 'file:///r', limits: { maxFileSize: '16Mi', maxTotalSize: 1000 } } });
    expect(spec.source).toMatchObject({ maxFileBytes: 16 * 1024 * 1024, maxTotalBytes: 1000 });
    expect(() => parseSyncSpec({ source: { url: 'file:///r', limits: { maxFileSize: '8MB' } } })).toThrow(/maxFileSize must be a size/);
  });
});

describe('massDeletionOverride', () => {
  const commit = 'a'.repeat(40);
  const sync = (annotations: Record<string, string>, managedFields: SyncObject['metadata']['managedFields'], allow: boolean): [SyncObject, ReturnType<typeof parseSyncSpec>] => {
    const spec = { source: { url: 'file:///r' }, deletionGuard: { allowMassDeletion: allow } };
    return [{ apiVersion: 'sealops.dev/v1alpha1', kind: 'Sync', metadata: { name: 's', namespace: 'n', annotations, managedFields }, spec }, parseSyncSpec(spec)];
  };
  const byAgent = (fields: unknown) => [{ manager: 'sealops', operation: 'Apply', fieldsV1: fields }];

  it('honours the annotation naming this exact commit, set from outside the repository', () => {
    expect(massDeletionOverride(...sync({ 'sealops.dev/allow-mass-deletion': commit }, [{ manager: 'kubectl-annotate', fieldsV1: {} }], false), commit).allowed).toBe(true);
    expect(massDeletionOverride(...sync({ 'sealops.dev/allow-mass-deletion': 'b'.repeat(40) }, [], false), commit).allowed).toBe(false);
  });

  it('ignores an override that the agent itself applied from the synced repository', () => {
    const annotated = byAgent({ 'f:metadata': { 'f:annotations': { 'f:sealops.dev/allow-mass-deletion': {} } } });
    const viaAnnotation = massDeletionOverride(...sync({ 'sealops.dev/allow-mass-deletion': commit }, annotated, false), commit);
    expect(viaAnnotation.allowed).toBe(false);
    expect(viaAnnotation.ignored).toMatch(/from outside/);
    const viaSpec = massDeletionOverride(...sync({}, byAgent({ 'f:spec': { 'f:deletionGuard': { 'f:allowMassDeletion': {} } } }), true), commit);
    expect(viaSpec.allowed).toBe(false);
  });

  it('honours spec.deletionGuard.allowMassDeletion set by hand', () => {
    expect(massDeletionOverride(...sync({}, [{ manager: 'kubectl-patch', fieldsV1: { 'f:spec': { 'f:deletionGuard': { 'f:allowMassDeletion': {} } } } }], true), commit).allowed).toBe(true);
  });
});

describe('parseSyncSpec: wait and drift', () => {
  const base = { source: { url: 'https://example.com/r.git' } };
  it('defaults to no wait, drift checked every reconcile and corrected', () => {
    const spec = parseSyncSpec(base);
    expect(spec.wait).toBe(false);
    expect(spec.driftIntervalMs).toBeUndefined();
    expect(spec.drift).toEqual({ mode: 'correct', ignore: [] });
  });
  it('reads wait, driftInterval, report mode and ignore rules', () => {
    const spec = parseSyncSpec({
      ...base,
      wait: true,
      driftInterval: '10m',
      drift: { mode: 'report', ignore: [{ target: { kind: 'Deployment', name: 'web' }, paths: ['/spec/replicas'] }] },
    });
    expect(spec.wait).toBe(true);
    expect(spec.driftIntervalMs).toBe(600_000);
    expect(spec.drift).toEqual({ mode: 'report', ignore: [{ target: { kind: 'Deployment', name: 'web' }, paths: ['/spec/replicas'] }] });
  });
  it('refuses an unknown mode, a path that is not a JSON pointer and a sub-second interval', () => {
    expect(() => parseSyncSpec({ ...base, drift: { mode: 'ignore' } })).toThrow(/spec.drift.mode must be correct or report/);
    expect(() => parseSyncSpec({ ...base, drift: { ignore: [{ paths: ['spec.replicas'] }] } })).toThrow(/spec.drift.ignore\[0\].paths/);
    expect(() => parseSyncSpec({ ...base, driftInterval: '10ms' })).toThrow(/driftInterval must be at least 1s/);
  });
});
