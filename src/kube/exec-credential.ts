/**
 * kubeconfig exec credential plugins (`users[].user.exec`), as kubectl runs them: the command
 * gets `KUBERNETES_EXEC_INFO` and prints an `ExecCredential` whose `status` holds a token or a
 * client certificate. The credential is kept until its `expirationTimestamp`, so a plugin runs
 * once per expiry, not once per request.
 */
import { execFile } from 'node:child_process';
import { isAbsolute, join } from 'node:path';
import { KubeError } from '../errors.js';

/** The `exec` stanza of a kubeconfig user. */
export interface ExecConfig {
  readonly command?: string;
  readonly args?: readonly string[];
  readonly env?: readonly { name: string; value: string }[] | null;
  readonly apiVersion?: string;
  readonly installHint?: string;
  readonly provideClusterInfo?: boolean;
}

/** What a plugin returned. */
export interface ExecResult {
  readonly token?: string;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Milliseconds since the epoch after which the plugin runs again (undefined: never expires). */
  readonly expires?: number;
}

const cache = new Map<string, ExecResult>();
const running = new Map<string, Promise<ExecResult>>();

// Renew a little before the stated expiry, so a request never carries a token that lapses in flight.
const EXPIRY_MARGIN_MS = 10_000;

interface ExecContext {
  /** `user "u" of context "c"`, for messages. */
  readonly label: string;
  /** Folder of the kubeconfig that defined the user: a relative command path resolves there. */
  readonly base: string;
  readonly server: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cacheKey: string;
}

/** Runs the plugin (or returns its unexpired result) and parses its `ExecCredential`. */
export function execCredential(exec: ExecConfig, ctx: ExecContext): Promise<ExecResult> {
  const held = cache.get(ctx.cacheKey);
  if (held && (held.expires === undefined || held.expires - EXPIRY_MARGIN_MS > Date.now())) return Promise.resolve(held);
  let pending = running.get(ctx.cacheKey);
  if (!pending) {
    pending = runPlugin(exec, ctx).finally(() => running.delete(ctx.cacheKey));
    running.set(ctx.cacheKey, pending);
  }
  return pending.then((r) => {
    cache.set(ctx.cacheKey, r);
    return r;
  });
}

/** Forgets every cached credential (tests; a 401 after a revocation). */
export function clearExecCredentials(): void {
  cache.clear();
}

function runPlugin(exec: ExecConfig, ctx: ExecContext): Promise<ExecResult> {
  const what = `failed to get credentials for ${ctx.label} from exec plugin "${exec.command ?? ''}"`;
  const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1';
  if (!exec.command) return Promise.reject(new KubeError(`${what}: exec.command is empty`));
  if (!/^client\.authentication\.k8s\.io\/v1(beta1)?$/.test(apiVersion)) {
    return Promise.reject(new KubeError(`${what}: unsupported apiVersion ${apiVersion} (use client.authentication.k8s.io/v1 or v1beta1)`));
  }
  // kubectl: a command with a path separator is relative to the kubeconfig's folder; a bare name is looked up on PATH.
  const command = exec.command.includes('/') && !isAbsolute(exec.command) ? join(ctx.base, exec.command) : exec.command;
  const info = {
    apiVersion,
    kind: 'ExecCredential',
    spec: { interactive: false, ...(exec.provideClusterInfo ? { cluster: { server: ctx.server } } : {}) },
  };
  const env: NodeJS.ProcessEnv = { ...ctx.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
  for (const e of exec.env ?? []) env[e.name] = e.value;
  return new Promise((resolve, reject) => {
    execFile(command, [...(exec.args ?? [])], { env, timeout: 60_000, maxBuffer: 1 << 20, windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(new KubeError(`${what}: command not found`, { hint: exec.installHint?.trim() || `install ${exec.command} or fix the kubeconfig` }));
          return;
        }
        // The plugin's own last stderr line says why; its stdout may hold a credential and is never shown.
        const last = stderr.trim().split('\n').pop()?.slice(0, 300);
        reject(new KubeError(`${what}: ${err.killed ? 'timed out' : `exited with ${String(err.code ?? err.signal)}`}${last ? `: ${last}` : ''}`, { cause: err }));
        return;
      }
      try {
        resolve(parseCredential(stdout, apiVersion));
      } catch (e) {
        reject(new KubeError(`${what}: ${(e as Error).message}`));
      }
    });
  });
}

function parseCredential(stdout: string, apiVersion: string): ExecResult {
  let doc: { apiVersion?: unknown; kind?: unknown; status?: Record<string, unknown> };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch {
    throw new Error('its output is not an ExecCredential JSON object');
  }
  if (doc.kind !== 'ExecCredential') throw new Error('its output is not an ExecCredential');
  if (doc.apiVersion !== apiVersion) throw new Error(`it answered apiVersion ${String(doc.apiVersion)}, not ${apiVersion}`);
  const s = doc.status ?? {};
  const token = typeof s.token === 'string' && s.token !== '' ? s.token : undefined;
  const certData = typeof s.clientCertificateData === 'string' ? s.clientCertificateData : undefined;
  const keyData = typeof s.clientKeyData === 'string' ? s.clientKeyData : undefined;
  if (!token && !(certData && keyData)) throw new Error('its ExecCredential has neither status.token nor clientCertificateData and clientKeyData');
  if (!token && (certData === undefined) !== (keyData === undefined)) throw new Error('its ExecCredential has a client certificate without a key, or a key without a certificate');
  let expires: number | undefined;
  if (typeof s.expirationTimestamp === 'string') {
    expires = Date.parse(s.expirationTimestamp);
    if (Number.isNaN(expires)) throw new Error('its status.expirationTimestamp is not a timestamp');
  }
  return {
    token,
    cert: certData ? Buffer.from(certData) : undefined,
    key: keyData ? Buffer.from(keyData) : undefined,
    expires,
  };
}
