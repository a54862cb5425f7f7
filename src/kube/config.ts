/**
 * Connection settings for the API server from a kubeconfig file or the in-cluster service
 * account, read directly. @kubernetes/client-node costs over 100 MB of memory just to import
 * (its generated models), so it is loaded lazily, only for kubeconfigs that need an exec or
 * auth-provider plugin.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type https from 'node:https';
import { parse } from 'yaml';
import { KubeError } from '../errors.js';

/** How to reach and authenticate to the API server. */
export interface KubeConnection {
  readonly server: string;
  /** Fills TLS and auth into request options (re-reads token files each call). */
  apply(opts: https.RequestOptions): Promise<void>;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** In-cluster: the service-account token (re-read, as projected tokens rotate) and CA. */
export function inClusterConnection(): KubeConnection {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new KubeError('failed to load in-cluster config: KUBERNETES_SERVICE_HOST is not set');
  const ca = readFileSync(join(SA_DIR, 'ca.crt'));
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    server,
    apply(opts) {
      opts.ca = ca;
      opts.headers = { ...opts.headers, authorization: `Bearer ${readFileSync(join(SA_DIR, 'token'), 'utf8').trim()}` };
      return Promise.resolve();
    },
  };
}

/** Reads `file` (default $KUBECONFIG's first entry or ~/.kube/config) for its current context. */
export function fileConnection(file?: string): KubeConnection {
  const path = file ?? (process.env.KUBECONFIG?.split(':')[0] || join(homedir(), '.kube', 'config'));
  let doc: Record<string, unknown>;
  try {
    doc = rec(parse(readFileSync(path, 'utf8')));
  } catch (err) {
    throw new KubeError(`failed to read kubeconfig ${path}: ${(err as Error).message}`, { cause: err });
  }
  const ctxName = str(doc['current-context']);
  const named = (list: unknown, name: string | undefined): Record<string, unknown> =>
    rec((Array.isArray(list) ? list : []).map(rec).find((x) => x.name === name));
  const ctx = rec(named(doc.contexts, ctxName).context);
  const cluster = rec(named(doc.clusters, str(ctx.cluster)).cluster);
  const user = rec(named(doc.users, str(ctx.user)).user);
  const server = str(cluster.server);
  if (!server) throw new KubeError(`failed to read kubeconfig ${path}: the current context names no cluster server`);
  const base = dirname(path);
  const fileOrData = (data: unknown, f: unknown): Buffer | undefined => {
    if (str(data)) return Buffer.from(data as string, 'base64');
    const p = str(f);
    return p ? readFileSync(isAbsolute(p) ? p : join(base, p)) : undefined;
  };
  if (user.exec || user['auth-provider']) return pluginConnection(path, server);
  const ca = fileOrData(cluster['certificate-authority-data'], cluster['certificate-authority']);
  const cert = fileOrData(user['client-certificate-data'], user['client-certificate']);
  const key = fileOrData(user['client-key-data'], user['client-key']);
  const insecure = cluster['insecure-skip-tls-verify'] === true;
  const token = str(user.token);
  const tokenFile = str(user.tokenFile);
  const basic = str(user.username) && str(user.password) ? Buffer.from(`${str(user.username)}:${str(user.password)}`).toString('base64') : undefined;
  return {
    server,
    apply(opts) {
      if (ca) opts.ca = ca;
      if (cert) opts.cert = cert;
      if (key) opts.key = key;
      if (insecure) opts.rejectUnauthorized = false;
      const t = token ?? (tokenFile ? readFileSync(tokenFile, 'utf8').trim() : undefined);
      if (t) opts.headers = { ...opts.headers, authorization: `Bearer ${t}` };
      else if (basic) opts.headers = { ...opts.headers, authorization: `Basic ${basic}` };
      return Promise.resolve();
    },
  };
}

function pluginConnection(path: string, server: string): KubeConnection {
  return {
    server,
    async apply(opts) {
      const { KubeConfig } = await import('@kubernetes/client-node');
      const kc = new KubeConfig();
      kc.loadFromFile(path);
      await kc.applyToHTTPSOptions(opts);
    },
  };
}

/** The connection: the file given, in-cluster when running in a pod without KUBECONFIG, else the default file. */
export function loadKubeConnection(file?: string): KubeConnection {
  if (file) return fileConnection(file);
  if (process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) return inClusterConnection();
  return fileConnection();
}
