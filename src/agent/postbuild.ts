/**
 * Reads the values of a Sync's `spec.postBuild` (Flux's semantics): `substituteFrom` entries in
 * order, a later one overriding an earlier one, then `substitute` over all of them. A missing
 * ConfigMap or Secret fails the reconcile unless the entry is `optional`. Values read from a
 * Secret are returned for redaction: they never reach status, events or logs.
 */
import { InputError } from '../errors.js';
import { checkVariableNames, type PostBuildValues } from '../build/substitute.js';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import type { PostBuildSpec } from './sync.js';

/** Variables for the build, and the Secret-sourced values to redact. */
export interface LoadedPostBuild {
  readonly values: PostBuildValues;
  readonly secrets: string[];
}

/** Loads `spec` from the Sync's namespace. Throws InputError naming the missing object. */
export async function loadPostBuild(client: KubeClient, namespace: string, spec: PostBuildSpec): Promise<LoadedPostBuild> {
  const vars: Record<string, string> = {};
  const secret = new Set<string>();
  const secrets: string[] = [];
  for (const ref of spec.substituteFrom) {
    const plural = ref.kind === 'Secret' ? 'secrets' : 'configmaps';
    let obj: { data?: Record<string, string> };
    try {
      obj = await client.request('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(ref.name)}`);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404 && ref.optional) continue;
      const why = err instanceof KubeApiError && err.status === 404 ? 'not found' : 'could not be read';
      throw new InputError(`failed to read substituteFrom ${ref.kind} ${namespace}/${ref.name}: ${why}`, { cause: err });
    }
    for (const [k, raw] of Object.entries(obj.data ?? {})) {
      const v = ref.kind === 'Secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
      vars[k] = v;
      if (ref.kind === 'Secret') {
        secret.add(k);
        secrets.push(v);
      } else secret.delete(k);
    }
  }
  for (const [k, v] of Object.entries(spec.substitute)) {
    vars[k] = v;
    secret.delete(k);
  }
  checkVariableNames(vars, 'spec.postBuild');
  return { values: { vars, secret }, secrets };
}
