/**
 * Connection settings for the API server, read the way kubectl reads them: a `KUBECONFIG` list
 * of files merged (the first file to define a name wins), `--context`, exec credential plugins,
 * `proxy-url` / `HTTPS_PROXY` / `NO_PROXY`, or the in-cluster service account.
 *
 * Read directly rather than through @kubernetes/client-node: that package costs over 100 MB of
 * memory just to import (its generated models), so it is loaded lazily, only for the legacy
 * `auth-provider` plugins.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type https from 'node:https';
import { parse } from 'yaml';
import { describe, KubeError } from '../errors.js';
import { execCredential, type ExecConfig } from './exec-credential.js';
import { proxyFor } from './proxy.js';
import { isRecord } from '../util/record.js';

/** How to reach and authenticate to the API server. */
export interface KubeConnection {
  readonly server: string;
  /** The context's namespace (kubeconfig) or the pod's namespace (in-cluster), when known. */
  readonly namespace?: string;
  /** HTTP(S) proxy to tunnel through, when `proxy-url` or `HTTPS_PROXY` applies to `server`. */
  readonly proxy?: string;
  /** Fills TLS and auth into request options (re-reads token files, re-runs expired plugins). */
  apply(opts: https.RequestOptions): Promise<void>;
}

/** Where to read the connection from. */
export interface KubeConfigOptions {
  /** A kubeconfig file, or a list of files separated by the path delimiter (`:`), like `KUBECONFIG`. */
  readonly kubeconfig?: string;
  /** Context to use instead of the files' `current-context`. */
  readonly context?: string;
  /** Environment to read `KUBECONFIG`, `HOME`, proxies and in-cluster variables from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Where Kubernetes mounts a pod's service-account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

type Rec = Record<string, unknown>;

function rec(v: unknown): Rec {
  return isRecord(v) ? v : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** In-cluster: the service-account token (re-read, as projected tokens rotate), CA and namespace. */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new KubeError('failed to load in-cluster config: KUBERNETES_SERVICE_HOST is not set');
  let ca: Buffer;
  try {
    ca = readFileSync(join(dir, 'ca.crt'));
  } catch (err) {
    throw new KubeError(`failed to load in-cluster config: cannot read ${join(dir, 'ca.crt')}: ${describe(err)}`, { cause: err });
  }
  const nsFile = join(dir, 'namespace');
  const namespace = existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() || undefined : undefined;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    server,
    namespace,
    proxy: proxyFor(server, undefined, env),
    apply(opts) {
      opts.ca = ca;
      opts.headers = { ...opts.headers, authorization: `Bearer ${readFileSync(join(dir, 'token'), 'utf8').trim()}` };
      return Promise.resolve();
    },
  };
}

/** One named entry of a merged kubeconfig, with the folder of the file that defined it. */
interface Entry {
  readonly body: Rec;
  readonly base: string;
}

/** The merge of a KUBECONFIG list, by kubectl's rules: the first file to set a value wins. */
interface Merged {
  readonly files: readonly string[];
  currentContext?: string;
  readonly contexts: Map<string, Entry>;
  readonly clusters: Map<string, Entry>;
  readonly users: Map<string, Entry>;
}

function kubeconfigFiles(opts: KubeConfigOptions, env: NodeJS.ProcessEnv): { files: string[]; explicit: boolean } {
  const list = opts.kubeconfig ?? env.KUBECONFIG;
  if (list) return { files: list.split(delimiter).filter((f) => f !== ''), explicit: true };
  return { files: [join(env.HOME || homedir(), '.kube', 'config')], explicit: false };
}

function readMerged(opts: KubeConfigOptions, env: NodeJS.ProcessEnv): Merged {
  const { files } = kubeconfigFiles(opts, env);
  const merged: Merged = { files, contexts: new Map(), clusters: new Map(), users: new Map() };
  let found = 0;
  for (const file of files) {
    // kubectl skips list entries that do not exist; it fails only when none does.
    if (!existsSync(file)) continue;
    let doc: Rec;
    try {
      doc = rec(parse(readFileSync(file, 'utf8'), { logLevel: 'error' }));
    } catch (err) {
      throw new KubeError(`failed to read kubeconfig ${file}: ${describe(err)}`, { cause: err });
    }
    found++;
    merged.currentContext ??= str(doc['current-context']);
    const base = dirname(file);
    for (const [list, key, map] of [
      [doc.contexts, 'context', merged.contexts],
      [doc.clusters, 'cluster', merged.clusters],
      [doc.users, 'user', merged.users],
    ] as const) {
      for (const item of Array.isArray(list) ? list.map(rec) : []) {
        const name = str(item.name);
        if (name && !map.has(name)) map.set(name, { body: rec(item[key]), base });
      }
    }
  }
  if (found === 0) {
    throw new KubeError(`failed to load kubeconfig: no such file: ${files.join(delimiter) || '(empty KUBECONFIG)'}`, {
      hint: 'pass --kubeconfig FILE, set KUBECONFIG, or run in a pod with a service account',
    });
  }
  return merged;
}

/** One context of a kubeconfig: its name and the cluster it names. */
export interface KubeContextInfo {
  readonly name: string;
  readonly cluster?: string;
  readonly namespace?: string;
}

/**
 * The contexts of the kubeconfig list (`opts.kubeconfig`, else `$KUBECONFIG`, else
 * ~/.kube/config), merged as kubectl merges them, in name order, with the current context.
 */
export function listKubeContexts(opts: Pick<KubeConfigOptions, 'kubeconfig' | 'env'> = {}): { current?: string; contexts: KubeContextInfo[] } {
  const merged = readMerged(opts, opts.env ?? process.env);
  const contexts = [...merged.contexts.entries()]
    .map(([name, e]) => ({ name, ...(str(e.body.cluster) ? { cluster: str(e.body.cluster) } : {}), ...(str(e.body.namespace) ? { namespace: str(e.body.namespace) } : {}) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ...(merged.currentContext ? { current: merged.currentContext } : {}), contexts };
}

/** Reads the kubeconfig list (`opts.kubeconfig`, else `$KUBECONFIG`, else ~/.kube/config) for the chosen context. */
export function fileConnection(opts: KubeConfigOptions | string = {}): KubeConnection {
  const o: KubeConfigOptions = typeof opts === 'string' ? { kubeconfig: opts } : opts;
  const env = o.env ?? process.env;
  const merged = readMerged(o, env);
  const where = merged.files.join(delimiter);
  const ctxName = o.context ?? merged.currentContext;
  if (!ctxName) throw new KubeError(`failed to load kubeconfig ${where}: no current-context is set`, { hint: 'pass --context NAME' });
  const ctxEntry = merged.contexts.get(ctxName);
  if (!ctxEntry) throw new KubeError(`failed to load kubeconfig ${where}: context "${ctxName}" is not defined`);
  const ctx = ctxEntry.body;
  const clusterName = str(ctx.cluster);
  const cluster = clusterName ? merged.clusters.get(clusterName) : undefined;
  if (!cluster) throw new KubeError(`failed to load kubeconfig ${where}: context "${ctxName}" names cluster "${clusterName ?? ''}", which is not defined`);
  const server = str(cluster.body.server);
  if (!server) throw new KubeError(`failed to load kubeconfig ${where}: cluster "${clusterName}" of context "${ctxName}" has no server`);
  const userName = str(ctx.user);
  const userEntry = userName ? merged.users.get(userName) : undefined;
  // A context without a user is allowed (anonymous); one that names a missing user is a mistake.
  if (userName && !userEntry) throw new KubeError(`failed to load kubeconfig ${where}: context "${ctxName}" names user "${userName}", which is not defined`);
  const user = userEntry?.body ?? {};
  const label = `user "${userName ?? ''}" of context "${ctxName}"`;

  const fileOrData = (entry: Entry, dataKey: string, fileKey: string): Buffer | undefined => {
    const data = str(entry.body[dataKey]);
    if (data) return Buffer.from(data, 'base64');
    const p = str(entry.body[fileKey]);
    if (!p) return undefined;
    const path = isAbsolute(p) ? p : join(entry.base, p);
    try {
      return readFileSync(path);
    } catch (err) {
      throw new KubeError(`failed to load kubeconfig ${where}: ${fileKey} of context "${ctxName}" cannot be read: ${describe(err)}`, { cause: err });
    }
  };
  const ca = fileOrData(cluster, 'certificate-authority-data', 'certificate-authority');
  const tlsServerName = str(cluster.body['tls-server-name']);
  const insecure = cluster.body['insecure-skip-tls-verify'] === true;
  const proxy = proxyFor(server, str(cluster.body['proxy-url']), env);
  const namespace = str(ctx.namespace);
  const tls = (opts: https.RequestOptions): void => {
    if (ca) opts.ca = ca;
    if (tlsServerName) opts.servername = tlsServerName;
    if (insecure) opts.rejectUnauthorized = false;
  };

  if (user.exec) {
    const exec = user.exec as ExecConfig;
    const base = userEntry?.base ?? dirname(merged.files[0] ?? '.');
    return {
      server,
      namespace,
      proxy,
      async apply(opts) {
        tls(opts);
        const cred = await execCredential(exec, { label, base, server, env, cacheKey: `${where}\0${ctxName}` });
        if (cred.token) opts.headers = { ...opts.headers, authorization: `Bearer ${cred.token}` };
        if (cred.cert) opts.cert = cred.cert;
        if (cred.key) opts.key = cred.key;
      },
    };
  }
  if (user['auth-provider']) return authProviderConnection(merged.files, ctxName, server, namespace, proxy);

  const userRef = userEntry ?? { body: {}, base: '.' };
  const cert = fileOrData(userRef, 'client-certificate-data', 'client-certificate');
  const key = fileOrData(userRef, 'client-key-data', 'client-key');
  const token = str(user.token);
  const tokenFileRaw = str(user.tokenFile);
  const tokenFile = tokenFileRaw && !isAbsolute(tokenFileRaw) ? join(userRef.base, tokenFileRaw) : tokenFileRaw;
  const username = str(user.username);
  const password = str(user.password);
  const basic = username && password ? Buffer.from(`${username}:${password}`).toString('base64') : undefined;
  return {
    server,
    namespace,
    proxy,
    apply(opts) {
      tls(opts);
      if (cert) opts.cert = cert;
      if (key) opts.key = key;
      const t = token ?? (tokenFile ? readFileSync(tokenFile, 'utf8').trim() : undefined);
      if (t) opts.headers = { ...opts.headers, authorization: `Bearer ${t}` };
      else if (basic) opts.headers = { ...opts.headers, authorization: `Basic ${basic}` };
      return Promise.resolve();
    },
  };
}

function authProviderConnection(files: readonly string[], context: string, server: string, namespace: string | undefined, proxy: string | undefined): KubeConnection {
  return {
    server,
    namespace,
    proxy,
    async apply(opts) {
      const { KubeConfig } = await import('@kubernetes/client-node');
      const kc = new KubeConfig();
      // client-node merges a list the same way; pick the same context.
      kc.loadFromFile(files.find((f) => existsSync(f)) ?? files[0] ?? '');
      kc.setCurrentContext(context);
      await kc.applyToHTTPSOptions(opts);
    },
  };
}

/**
 * The connection, chosen like kubectl: the kubeconfig given (a file or a `:` list); else
 * in-cluster when running in a pod and `KUBECONFIG` is unset; else `$KUBECONFIG` or ~/.kube/config.
 * A string argument is a kubeconfig (list), for callers that pass a path.
 */
export function loadKubeConnection(opts: KubeConfigOptions | string = {}): KubeConnection {
  const o: KubeConfigOptions = typeof opts === 'string' ? { kubeconfig: opts } : opts;
  const env = o.env ?? process.env;
  if (!o.kubeconfig && !env.KUBECONFIG && env.KUBERNETES_SERVICE_HOST) {
    if (o.context) throw new KubeError(`failed to load kubeconfig: --context "${o.context}" needs a kubeconfig, and none is set (running in-cluster)`);
    return inClusterConnection(env);
  }
  return fileConnection(o);
}
