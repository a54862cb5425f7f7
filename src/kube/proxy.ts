/**
 * HTTPS through an HTTP proxy, as kubectl does it: the cluster's `proxy-url`, else
 * `HTTPS_PROXY` / `https_proxy` unless `NO_PROXY` / `no_proxy` exempts the server. The API
 * connection is a TLS session tunnelled through `CONNECT`, so the proxy never sees a token.
 * Node 20's https module has no proxy support of its own.
 */
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { KubeError } from '../errors.js';

/** True when a `NO_PROXY` list exempts `host` (`*`, a name, a `.domain` suffix, an IP, a CIDR, each optionally `:port`). */
function noProxyMatches(noProxy: string | undefined, host: string, port: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  for (const raw of (noProxy ?? '').split(',')) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const portMatch = /^(.*[^:]):(\d+)$/.exec(entry);
    if (portMatch && !entry.includes('/') && isIP(entry) !== 6) {
      if (portMatch[2] !== port) continue;
      entry = portMatch[1]!;
    }
    entry = entry.replace(/^\[|\]$/g, '');
    if (entry.includes('/')) {
      const [addr, bits] = entry.split('/');
      const family = isIP(addr ?? '');
      if (!family || !isIP(h) || isIP(h) !== family) continue;
      const list = new BlockList();
      list.addSubnet(addr!, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
      if (list.check(h, family === 6 ? 'ipv6' : 'ipv4')) return true;
      continue;
    }
    const domain = entry.replace(/^\*?\./, '');
    if (h === domain || h.endsWith(`.${domain}`)) return true;
  }
  return false;
}

/** The proxy for `server`: the kubeconfig's `proxy-url`, else the environment's, else none. */
export function proxyFor(server: string, proxyUrl: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (proxyUrl) return proxyUrl;
  const url = new URL(server);
  const fromEnv = url.protocol === 'https:' ? env.HTTPS_PROXY ?? env.https_proxy : env.HTTP_PROXY ?? env.http_proxy;
  if (!fromEnv) return undefined;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (noProxyMatches(env.NO_PROXY ?? env.no_proxy, url.hostname, port)) return undefined;
  return fromEnv;
}

/** An https.Agent whose connections are TLS sessions tunnelled through `proxy` with CONNECT. */
export class TunnelAgent extends https.Agent {
  private readonly proxy: URL;

  constructor(proxy: string, options: https.AgentOptions) {
    super(options);
    try {
      this.proxy = new URL(proxy.includes('://') ? proxy : `http://${proxy}`);
    } catch {
      throw new KubeError('failed to read the proxy URL: it is not a URL');
    }
    if (this.proxy.protocol !== 'http:' && this.proxy.protocol !== 'https:') {
      throw new KubeError(`failed to use proxy ${this.proxy.protocol}//${this.proxy.host}: only http:// and https:// proxies are supported`);
    }
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): undefined {
    const done = callback ?? (() => undefined);
    const target = `${options.host ?? options.hostname ?? 'localhost'}:${String(options.port ?? 443)}`;
    const headers: Record<string, string> = { host: target };
    if (this.proxy.username) {
      const auth = `${decodeURIComponent(this.proxy.username)}:${decodeURIComponent(this.proxy.password)}`;
      headers['proxy-authorization'] = `Basic ${Buffer.from(auth).toString('base64')}`;
    }
    const mod = this.proxy.protocol === 'https:' ? https : http;
    const req = mod.request({ host: this.proxy.hostname, port: this.proxy.port || (this.proxy.protocol === 'https:' ? 443 : 80), method: 'CONNECT', path: target, headers, agent: false });
    // Name the proxy by host only: its URL may carry a password.
    const where = `proxy ${this.proxy.host}`;
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        done(new KubeError(`failed to reach the API server through ${where}: CONNECT answered ${res.statusCode}`), undefined as unknown as Duplex);
        return;
      }
      const host = String(options.host ?? options.hostname ?? '');
      const secure = tls.connect({ ...(options as tls.ConnectionOptions), socket, servername: options.servername ?? (isIP(host) ? undefined : host) });
      done(null, secure);
    });
    req.once('error', (err) => done(new KubeError(`failed to reach ${where}: ${err.message}`, { cause: err }), undefined as unknown as Duplex));
    req.end();
    return undefined;
  }
}
