/**
 * Kind → resource mapping from the API server's discovery documents, cached per group version.
 * A miss refreshes that group version once, so kinds of a CRD applied moments ago are found.
 */
import { KubeApiError, type KubeClient } from './client.js';

/** Where objects of one kind live. */
export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

/** A reference to one object, enough to build its URL. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

/** Discovery cache over one client. */
export class Discovery {
  private readonly byGv = new Map<string, Promise<ApiResourceList | undefined>>();

  constructor(private readonly client: KubeClient) {}

  private load(apiVersion: string): Promise<ApiResourceList | undefined> {
    let p = this.byGv.get(apiVersion);
    if (!p) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      p = this.client.request<ApiResourceList>('GET', path).catch((err: unknown) => {
        if (err instanceof KubeApiError && err.status === 404) return undefined;
        this.byGv.delete(apiVersion);
        throw err;
      });
      this.byGv.set(apiVersion, p);
    }
    return p;
  }

  /** Forgets everything (after CRDs change). */
  reset(): void {
    this.byGv.clear();
  }

  /** The resource of `kind` in `apiVersion`, or undefined when the server does not serve it. */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const list = await this.load(apiVersion);
      const r = list?.resources?.find((x) => x.kind === kind && !x.name.includes('/'));
      if (r) {
        const slash = apiVersion.indexOf('/');
        return {
          group: slash < 0 ? '' : apiVersion.slice(0, slash),
          version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
          kind,
          plural: r.name,
          namespaced: r.namespaced,
        };
      }
      this.byGv.delete(apiVersion);
    }
    return undefined;
  }
}

/** URL path of the collection (`name` omitted) or of one object. */
export function resourcePath(info: ResourceInfo, namespace: string | undefined, name?: string): string {
  const root = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${ns}/${info.plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}
