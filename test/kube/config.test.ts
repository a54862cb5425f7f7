/**
 * kubeconfig loading like kubectl, with real kubeconfig files, a real exec plugin script, a real
 * TLS server and a real CONNECT proxy on loopback.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import { clearExecCredentials, KubeClient, loadKubeConnection, serviceAccountIdentity } from '../../src/index.js';
import { createCa, signLeaf } from '../cluster/pki.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sealops-kubeconfig-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => clearExecCredentials());

function kubeconfig(path: string, doc: Record<string, unknown>): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, stringify({ apiVersion: 'v1', kind: 'Config', ...doc }));
  return path;
}

async function headersOf(conn: ReturnType<typeof loadKubeConnection>): Promise<https.RequestOptions> {
  const opts: https.RequestOptions = {};
  await conn.apply(opts);
  return opts;
}

describe('a KUBECONFIG list', () => {
  it('merges files like kubectl: the first to define a name wins, and relative paths resolve next to their file', async () => {
    const a = kubeconfig(join(dir, 'list/a/config'), {
      'current-context': 'dev',
      contexts: [{ name: 'dev', context: { cluster: 'c1', user: 'alice', namespace: 'team-a' } }],
      users: [{ name: 'alice', user: { token: 'token-from-a' } }],
    });
    mkdirSync(join(dir, 'list/b'), { recursive: true });
    writeFileSync(join(dir, 'list/b/ca.crt'), 'CA OF B');
    const b = kubeconfig(join(dir, 'list/b/config'), {
      'current-context': 'ignored',
      clusters: [{ name: 'c1', cluster: { server: 'https://c1.example:6443', 'certificate-authority': 'ca.crt' } }],
      users: [{ name: 'alice', user: { token: 'token-from-b' } }],
    });
    const conn = loadKubeConnection({ kubeconfig: `${a}:${join(dir, 'missing')}:${b}`, env: {} });
    expect(conn.server).toBe('https://c1.example:6443');
    expect(conn.namespace).toBe('team-a');
    const opts = await headersOf(conn);
    expect(String(opts.ca)).toBe('CA OF B');
    expect(opts.headers).toMatchObject({ authorization: 'Bearer token-from-a' });
  });

  it('is read from the KUBECONFIG environment variable when no file is given', () => {
    const a = kubeconfig(join(dir, 'env/a'), { 'current-context': 'x', contexts: [{ name: 'x', context: { cluster: 'k' } }] });
    const b = kubeconfig(join(dir, 'env/b'), { clusters: [{ name: 'k', cluster: { server: 'https://from-b:443' } }] });
    expect(loadKubeConnection({ env: { KUBECONFIG: `${a}:${b}` } }).server).toBe('https://from-b:443');
  });

  it('fails with the list when none of its files exists', () => {
    expect(() => loadKubeConnection({ kubeconfig: `${join(dir, 'no1')}:${join(dir, 'no2')}`, env: {} })).toThrow(/failed to load kubeconfig: no such file: .*no1:.*no2/);
  });
});

describe('--context', () => {
  const file = (): string =>
    kubeconfig(join(dir, 'ctx/config'), {
      'current-context': 'one',
      contexts: [
        { name: 'one', context: { cluster: 'c1', user: 'u' } },
        { name: 'two', context: { cluster: 'c2', user: 'u' } },
        { name: 'dangling-cluster', context: { cluster: 'nowhere', user: 'u' } },
        { name: 'dangling-user', context: { cluster: 'c1', user: 'nobody' } },
      ],
      clusters: [
        { name: 'c1', cluster: { server: 'https://one:6443' } },
        { name: 'c2', cluster: { server: 'https://two:6443' } },
      ],
      users: [{ name: 'u', user: { token: 't' } }],
    });

  it('picks that context instead of current-context', () => {
    expect(loadKubeConnection({ kubeconfig: file(), env: {} }).server).toBe('https://one:6443');
    expect(loadKubeConnection({ kubeconfig: file(), context: 'two', env: {} }).server).toBe('https://two:6443');
  });

  it('names the context when it, its cluster or its user is missing', () => {
    const f = file();
    expect(() => loadKubeConnection({ kubeconfig: f, context: 'three', env: {} })).toThrow('context "three" is not defined');
    expect(() => loadKubeConnection({ kubeconfig: f, context: 'dangling-cluster', env: {} })).toThrow('context "dangling-cluster" names cluster "nowhere", which is not defined');
    expect(() => loadKubeConnection({ kubeconfig: f, context: 'dangling-user', env: {} })).toThrow('context "dangling-user" names user "nobody", which is not defined');
  });

  it('is refused in-cluster without a kubeconfig, rather than silently ignored', () => {
    expect(() => loadKubeConnection({ context: 'two', env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } })).toThrow(/--context "two" needs a kubeconfig/);
  });
});

describe('an exec credential plugin', () => {
  function plugin(name: string, body: string): string {
    const path = join(dir, 'exec', name);
    mkdirSync(join(dir, 'exec'), { recursive: true });
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }
  const config = (command: string, extra: Record<string, unknown> = {}): string =>
    kubeconfig(join(dir, 'exec', `config-${Math.random().toString(36).slice(2)}`), {
      'current-context': 'prod',
      contexts: [{ name: 'prod', context: { cluster: 'c', user: 'oidc' } }],
      clusters: [{ name: 'c', cluster: { server: 'https://prod:6443' } }],
      users: [{ name: 'oidc', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command, args: ['--audience', 'k8s'], env: [{ name: 'PLUGIN_GREETING', value: 'hello' }], ...extra } } }],
    });

  it('runs the script with KUBERNETES_EXEC_INFO, its args and env, and uses its token until it expires', async () => {
    const calls = join(dir, 'exec', 'calls');
    const expires = new Date(Date.now() + 3600_000).toISOString();
    const script = plugin(
      'token.sh',
      `echo "$1 $2 $PLUGIN_GREETING $KUBERNETES_EXEC_INFO" >> ${calls}\n` +
        `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token","expirationTimestamp":"${expires}"}}'`,
    );
    const conn = loadKubeConnection({ kubeconfig: config(script, { provideClusterInfo: true }), env: { PATH: process.env.PATH } });
    expect((await headersOf(conn)).headers).toMatchObject({ authorization: 'Bearer exec-token' });
    expect((await headersOf(conn)).headers).toMatchObject({ authorization: 'Bearer exec-token' });
    const lines = readFileSync(calls, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const [args, info] = [lines[0]!.slice(0, lines[0]!.indexOf('{')), JSON.parse(lines[0]!.slice(lines[0]!.indexOf('{'))) as unknown];
    expect(args.trim()).toBe('--audience k8s hello');
    expect(info).toEqual({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false, cluster: { server: 'https://prod:6443' } } });
  });

  it('runs again once the credential has expired', async () => {
    const calls = join(dir, 'exec', 'calls-expired');
    const script = plugin(
      'expired.sh',
      `echo x >> ${calls}\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"short","expirationTimestamp":"2000-01-01T00:00:00Z"}}'`,
    );
    const conn = loadKubeConnection({ kubeconfig: config(script), env: { PATH: process.env.PATH } });
    await headersOf(conn);
    await headersOf(conn);
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('says which user and context failed, with the plugin\'s reason and never its stdout', async () => {
    const script = plugin('fails.sh', `echo 'leaked-stdout-token'\necho 'login expired: run sso login' >&2\nexit 3`);
    const conn = loadKubeConnection({ kubeconfig: config(script), env: { PATH: process.env.PATH } });
    const err = await conn.apply({}).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/failed to get credentials for user "oidc" of context "prod" from exec plugin ".*fails\.sh": exited with 3: login expired: run sso login/);
    expect(err?.message).not.toContain('leaked-stdout-token');
  });

  it('gives the install hint when the command does not exist', async () => {
    const conn = loadKubeConnection({ kubeconfig: config('sealops-no-such-plugin', { installHint: 'install it with: apt install the-plugin' }), env: { PATH: '/nonexistent' } });
    await expect(conn.apply({})).rejects.toMatchObject({ message: expect.stringContaining('command not found') as string, hint: 'install it with: apt install the-plugin' });
  });

  it('refuses output that is not an ExecCredential of the requested version', async () => {
    const script = plugin('wrong.sh', `printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}'`);
    const conn = loadKubeConnection({ kubeconfig: config(script), env: { PATH: process.env.PATH } });
    await expect(conn.apply({})).rejects.toThrow(/answered apiVersion client\.authentication\.k8s\.io\/v1beta1, not client\.authentication\.k8s\.io\/v1/);
  });
});

describe('HTTPS_PROXY and NO_PROXY', () => {
  const ca = createCa();
  const leaf = signLeaf(ca, 'api', { kind: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  let api: https.Server;
  let proxy: http.Server;
  const tunnels: string[] = [];
  const seen: http.IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    api = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
      seen.push(req.headers);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ kind: 'Status', path: req.url }));
    });
    proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      tunnels.push(`${req.url ?? ''} ${req.headers['proxy-authorization'] ?? ''}`);
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  });
  afterAll(() => {
    api.close();
    proxy.close();
  });

  const apiConfig = (): string =>
    kubeconfig(join(dir, 'proxy/config'), {
      'current-context': 'p',
      contexts: [{ name: 'p', context: { cluster: 'c', user: 'u' } }],
      clusters: [{ name: 'c', cluster: { server: `https://localhost:${(api.address() as AddressInfo).port}`, 'certificate-authority-data': Buffer.from(ca.certPem).toString('base64') } }],
      users: [{ name: 'u', user: { token: 'tunnelled-token' } }],
    });

  it('tunnels the TLS session through the proxy with CONNECT, so the proxy never sees the token', async () => {
    tunnels.length = 0;
    const proxyUrl = `http://user:pa%40ss@127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const client = new KubeClient(loadKubeConnection({ kubeconfig: apiConfig(), env: { HTTPS_PROXY: proxyUrl } }));
    try {
      await expect(client.request('GET', '/version')).resolves.toMatchObject({ path: '/version' });
    } finally {
      client.close();
    }
    expect(tunnels).toEqual([`localhost:${(api.address() as AddressInfo).port} Basic ${Buffer.from('user:pa@ss').toString('base64')}`]);
    expect(seen.at(-1)?.authorization).toBe('Bearer tunnelled-token');
  });

  it('goes direct when NO_PROXY names the host', async () => {
    tunnels.length = 0;
    const client = new KubeClient(
      loadKubeConnection({ kubeconfig: apiConfig(), env: { HTTPS_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, NO_PROXY: '10.0.0.0/8,.example.com,localhost' } }),
    );
    try {
      await client.request('GET', '/version');
    } finally {
      client.close();
    }
    expect(tunnels).toEqual([]);
  });

  it('sends impersonation headers, one line per group, from an impersonating client', async () => {
    const client = new KubeClient(loadKubeConnection({ kubeconfig: apiConfig(), env: {} }));
    try {
      await client.impersonating(serviceAccountIdentity('team-a', 'deployer')).request('GET', '/api');
      expect(seen.at(-1)?.['impersonate-user']).toBe('system:serviceaccount:team-a:deployer');
      // The API server adds a service account's groups itself; sending them would need `impersonate groups`.
      expect(seen.at(-1)?.['impersonate-group']).toBeUndefined();
      await client.impersonating({ user: 'jane', groups: ['dev', 'ops'] }).request('GET', '/api');
      await client.request('GET', '/api');
    } finally {
      client.close();
    }
    const [asJane, asSelf] = seen.slice(-2);
    expect(asJane?.['impersonate-user']).toBe('jane');
    // Node joins repeated request headers with ", " on the receiving side.
    expect(asJane?.['impersonate-group']).toBe('dev, ops');
    expect(asSelf?.['impersonate-user']).toBeUndefined();
  });
});
