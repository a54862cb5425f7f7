/**
 * A small raw HTTP client for the Kubernetes API, using the kubeconfig's TLS and credentials.
 *
 * The apply engine must send manifests exactly as written: the typed models of
 * @kubernetes/client-node drop fields they do not know. So bodies are plain JSON here; TLS and
 * credentials come from ./config.ts.
 */
import https from 'node:https';
import http from 'node:http';
import { setMaxListeners } from 'node:events';
import { loadKubeConnection, type KubeConfigOptions, type KubeConnection } from './config.js';
import { TunnelAgent } from './proxy.js';
import { KubeError, describe } from '../errors.js';

/** A failed API call: HTTP status and the Status object's reason and message. */
export class KubeApiError extends KubeError {
  /** HTTP status (0 when the server could not be reached). */
  readonly status: number;
  /** `Status.reason` (NotFound, Conflict, Invalid, …) or a transport reason. */
  readonly reason: string;
  constructor(status: number, reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.reason = reason;
  }
}

/**
 * A request refused or abandoned by the client itself: the write fence was closed (leadership
 * lost) or the reconcile's signal aborted (deadline, shutdown). Status 499, so no retry loop
 * takes it for a transient server error.
 */
export class RequestAbortedError extends KubeApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(499, 'Aborted', message, options);
  }
}

/**
 * Guards the requests of one reconcile. `signal` abandons requests in flight; `canWrite` is
 * asked before every request that changes something, so a replica that may have lost its
 * Lease sends no further write.
 */
export interface RequestFence {
  readonly signal: AbortSignal;
  readonly canWrite: () => boolean;
  /** Latest moment (epoch ms) a write may still be in flight; writes time out before it. */
  readonly writeDeadline?: () => number;
}

/** Default time limit of one request: a frozen API server must not hang the agent. */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Options of one request. */
export interface RequestOptions {
  readonly body?: unknown;
  readonly contentType?: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  /** Milliseconds before the request is abandoned (default 30 s). */
  readonly timeoutMs?: number;
  /** Accept header (default application/json). */
  readonly accept?: string;
}

/** Loads a kubeconfig like kubectl: the file (or `:` list) given, in-cluster service account, or the default chain. */
export function loadKubeConfig(opts?: KubeConfigOptions | string): KubeConnection {
  return loadKubeConnection(opts);
}

/** Who a client acts as, through the API server's impersonation headers. */
export interface Impersonation {
  readonly user: string;
  readonly groups?: readonly string[];
}

/**
 * The identity of ServiceAccount `name` in `namespace`. No groups are sent: for a service-account
 * user the API server adds `system:serviceaccounts`, `system:serviceaccounts:<ns>` and
 * `system:authenticated` itself, so the agent needs only `impersonate` on `serviceaccounts`, never
 * on `groups` (which would let it claim `system:masters`).
 */
export function serviceAccountIdentity(namespace: string, name: string): Impersonation {
  return { user: `system:serviceaccount:${namespace}:${name}` };
}

/** Raw JSON client with a keep-alive connection pool and a request counter. */
export class KubeClient {
  /** Requests sent since creation (for the benchmark and metrics). */
  requests = 0;
  private readonly server: URL;
  private readonly agent: https.Agent | http.Agent;
  private cached: { at: number; opts: https.RequestOptions } | undefined;
  private fence: RequestFence | undefined;
  /** Where {@link fenced} views count their requests. */
  private root: KubeClient = this;

  /** Set on a client made by {@link KubeClient.impersonating}: every request carries it. */
  readonly impersonation?: Impersonation;

  constructor(private readonly conn: KubeConnection, maxSockets = 16, shared?: { agent: https.Agent | http.Agent; impersonation: Impersonation }) {
    this.server = new URL(conn.server);
    this.impersonation = shared?.impersonation;
    // Idle pooled sockets close after 30 s: the API server drops idle connections on its own,
    // and a request on a socket it already closed fails with ECONNRESET.
    const pool = { keepAlive: true, maxSockets, timeout: 30_000 };
    if (shared) this.agent = shared.agent;
    else if (this.server.protocol === 'http:') this.agent = new http.Agent(pool);
    else if (conn.proxy) this.agent = new TunnelAgent(conn.proxy, pool);
    else this.agent = new https.Agent(pool);
  }

  /**
   * A client that acts as `who` (Impersonate-User / Impersonate-Group) over the same connections.
   * The API server authorizes each request as that identity, so it can do no more than `who` may.
   */
  impersonating(who: Impersonation): KubeClient {
    return new KubeClient(this.conn, 0, { agent: this.agent, impersonation: who });
  }

  /**
   * A view of this client (same connections and credentials) whose requests obey `fence`:
   * aborted with its signal, and writes refused once `canWrite()` says no.
   */
  fenced(fence: RequestFence): KubeClient {
    // Every request in flight holds one abort listener on the fence's signal until it ends: with
    // more than ten in parallel (apply, dry-runs) Node would print a leak warning for each reconcile.
    setMaxListeners(0, fence.signal);
    const view = Object.create(this) as KubeClient;
    view.fence = fence;
    view.root = this.root;
    return view;
  }

  private checkFence(method: string, path: string): number | undefined {
    const fence = this.fence;
    if (!fence) return undefined;
    if (fence.signal.aborted) throw new RequestAbortedError(`failed to ${method.toLowerCase()} ${path}: ${describe(fence.signal.reason)}`);
    if (method === 'GET') return undefined;
    if (!fence.canWrite()) throw new RequestAbortedError(`failed to ${method.toLowerCase()} ${path}: this replica no longer holds the leader lease`);
    return fence.writeDeadline?.();
  }

  /** Closes pooled connections. */
  close(): void {
    // An impersonating client borrows its parent's pool; the parent closes it.
    if (!this.impersonation) this.agent.destroy();
  }

  private async options(): Promise<https.RequestOptions> {
    // Re-read credentials every minute: projected service-account tokens rotate.
    if (this.cached && Date.now() - this.cached.at < 60_000) return this.cached.opts;
    const opts: https.RequestOptions = {};
    await this.conn.apply(opts);
    if (this.impersonation) {
      // Node sends an array header value as repeated header lines, which is how the API server reads several groups.
      opts.headers = { ...opts.headers, 'impersonate-user': this.impersonation.user, ...(this.impersonation.groups?.length ? { 'impersonate-group': [...this.impersonation.groups] } : {}) };
    }
    this.cached = { at: Date.now(), opts };
    return opts;
  }

  /** Sends one request; resolves with the parsed JSON body, or throws KubeApiError for status ≥ 400. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const writeDeadline = this.checkFence(method, path);
    const base = await this.options();
    const url = new URL(this.server.href.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    let timeout = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    // A write must not still be on its way when the Lease could pass to another replica.
    if (writeDeadline !== undefined) timeout = Math.max(1, Math.min(timeout, writeDeadline - Date.now()));
    const signal = this.fence?.signal;
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number | string[]> = { ...(base.headers as Record<string, string | string[]>), accept: options.accept ?? 'application/json' };
    if (payload) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    const mod = url.protocol === 'http:' ? http : https;
    const send = (attempt: number): Promise<T> => new Promise<T>((resolve, reject) => {
      this.root.requests++;
      const req = mod.request(
        url,
        { ...base, method, headers, agent: this.agent, timeout, ...(signal ? { signal } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let body: unknown = undefined;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = undefined;
            }
            if (status >= 400) {
              const st = (body ?? {}) as { reason?: string; message?: string };
              reject(new KubeApiError(status, st.reason ?? `HTTP${status}`, `failed to ${method.toLowerCase()} ${url.pathname}: ${st.message ?? `HTTP ${status}`}`));
            } else resolve(body as T);
          });
          res.on('error', (e) => reject(new KubeApiError(0, 'ConnectionFailed', `failed to read response of ${url.pathname}: ${e.message}`, { cause: e })));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`request timed out after ${timeout} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        // A pooled keep-alive socket the server closed meanwhile: the request never reached it,
        // so sending it again on a fresh socket is safe (the pattern Node's http docs give).
        if (attempt === 0 && req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
          resolve(send(1));
          return;
        }
        if (signal?.aborted) reject(new RequestAbortedError(`failed to ${method.toLowerCase()} ${url.pathname}: ${describe(signal.reason)}`, { cause: e }));
        else reject(new KubeApiError(0, 'ConnectionFailed', `failed to reach the API server: ${e.message}`, { cause: e }));
      });
      req.end(payload);
    });
    return send(0);
  }

  // A watch holds its connection for minutes: its own socket, not one of the pool's.
  private watchAgent(): https.Agent | false {
    return this.conn.proxy && this.server.protocol === 'https:' ? new TunnelAgent(this.conn.proxy, {}) : false;
  }

  /**
   * Streams a watch on `path` (a collection URL): calls `onEvent` per event until the server
   * ends the stream, `signal` aborts, or an error occurs. Resolves when the stream ends.
   */
  async watch(path: string, query: Readonly<Record<string, string>>, onEvent: (type: string, object: unknown) => void, signal: AbortSignal): Promise<void> {
    const base = await this.options();
    const url = new URL(this.server.href.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries({ ...query, watch: 'true' })) url.searchParams.set(k, v);
    this.root.requests++;
    const mod = url.protocol === 'http:' ? http : https;
    await new Promise<void>((resolve, reject) => {
      const req = mod.request(url, { ...base, method: 'GET', headers: { ...(base.headers as Record<string, string | string[]>), accept: 'application/json' }, agent: this.watchAgent(), signal }, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          res.resume();
          reject(new KubeApiError(res.statusCode ?? 0, `HTTP${res.statusCode}`, `failed to watch ${url.pathname}: HTTP ${res.statusCode}`));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              const ev = JSON.parse(line) as { type: string; object: unknown };
              onEvent(ev.type, ev.object);
            } catch {
              // a partial or foreign line: ignore it, the next relist catches up
            }
          }
        });
        res.on('end', () => resolve());
        res.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      });
      req.on('error', (e) => (signal.aborted ? resolve() : reject(new KubeApiError(0, 'ConnectionFailed', `failed to watch ${url.pathname}: ${e.message}`, { cause: e }))));
      req.end();
    });
  }
}

/** Runs `fn` with a client for `conn` and closes it afterwards: its pooled sockets would keep a CLI process alive. */
export async function withKubeClient<T>(conn: KubeConnection, fn: (client: KubeClient) => Promise<T>): Promise<T> {
  const client = new KubeClient(conn);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
