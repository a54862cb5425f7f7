// `sealops status` and `sealops history` through the CLI, against the real control plane and real
// smart-HTTP git servers: two kubeconfig contexts, each a tenant ServiceAccount that may read the
// Syncs of its own namespace only, a third context whose API server is gone, one repository the
// user can read with their own git credentials and one they cannot.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { adminKubeConfig, adminKubeconfigPath, createServiceAccount, describeWithCluster } from '../support/kube.js';
import { createRepo, serveHttp, type HttpGitServer, type TestRepo } from '../support/git-servers.js';
import { AgentRunner, createNs, createSync, makeClusterKeys, publishedText, secretValue, setUpAgent, type ClusterKeys } from '../e2e/agent-harness.js';
import { configMap, sopsFile } from '../e2e/agent-fixtures.js';
import { run, type CliRun } from '../cli/helpers.js';
import { EXIT_CODES, type KubeClient, type SyncRow } from '../../src/index.js';
import { ownVersion } from '../../src/util/version.js';

let client: KubeClient;
let keys: ClusterKeys;
let runner: AgentRunner;
let repo: TestRepo;
let hidden: TestRepo;
let server: HttpGitServer;
let hiddenServer: HttpGitServer;
let home: string;
let kubeconfig: string;
let nsA: string;
let nsB: string;
const canaries: string[] = [];
const outputs: CliRun[] = [];

async function gitAuth(ns: string, s: HttpGitServer): Promise<void> {
  await client.request('POST', `/api/v1/namespaces/${ns}/secrets`, {
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: `git-auth-${s.url.split(':')[2]!.split('/')[0]}` }, stringData: { username: s.username, password: s.token } },
  });
}

function source(s: HttpGitServer): Record<string, unknown> {
  return { url: s.url, ref: { branch: 'main' }, secretRef: { name: `git-auth-${s.url.split(':')[2]!.split('/')[0]}` } };
}

async function cli(args: string[]): Promise<CliRun> {
  const r = await run(args, { cwd: home, env: { HOME: home } });
  outputs.push(r);
  return r;
}

beforeAll(async () => {
  keys = makeClusterKeys();
  let agentNs: string;
  ({ client, agentNs } = await setUpAgent(keys));
  runner = new AgentRunner(client, agentNs);
  nsA = await createNs(client, 'east');
  nsB = await createNs(client, 'west');
  const appA = await createNs(client, 'east-app');
  const appB = await createNs(client, 'west-app');
  canaries.push(secretValue('east-canary'), secretValue('west-canary'));
  repo = createRepo();
  repo.commitFiles({
    'east/db.yaml': sopsFile(appA, canaries[0]!, keys),
    'east/cm.yaml': configMap(appA, 'settings', { mode: 'a' }),
    'west/db.yaml': sopsFile(appB, canaries[1]!, keys),
    'west/idle.yaml': stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'idle', namespace: appB },
      spec: { replicas: 0, selector: { matchLabels: { app: 'idle' } }, template: { metadata: { labels: { app: 'idle' } }, spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] } } },
    }),
  });
  hidden = createRepo({ name: 'hidden' });
  hidden.commitFiles({ 'cm.yaml': configMap(appB, 'hidden', { mode: 'x' }) });
  server = await serveHttp(repo.bareDir);
  hiddenServer = await serveHttp(hidden.bareDir);
  for (const ns of [nsA, nsB]) await gitAuth(ns, server);
  await gitAuth(nsB, hiddenServer);
  await createSync(client, nsA, 'shop', { source: source(server), path: 'east', interval: '1h' });
  await createSync(client, nsB, 'shop', { source: source(server), path: 'west', interval: '1h', wait: true });
  await createSync(client, nsB, 'hidden', { source: source(hiddenServer), path: '', interval: '1h' });
  for (const [ns, name] of [[nsA, 'shop'], [nsB, 'shop'], [nsB, 'hidden']] as const) expect((await runner.reconcile(ns, name)).ok).toBe(true);
  // The branch moves on; only west applies it, so east is behind.
  repo.commitFiles({ 'west/cm.yaml': configMap(appB, 'settings', { mode: 'b' }) });
  expect((await runner.reconcile(nsB, 'shop')).ok).toBe(true);
  // What other parts of the agent write (drift checks, key sets in use), set here as they would.
  await client.request('PATCH', `/apis/sealops.dev/v1alpha1/namespaces/${nsA}/syncs/shop/status`, {
    contentType: 'application/merge-patch+json',
    body: {
      status: {
        keysInUse: ['ks-0123456789abcdef'],
        drift: { checkedTime: new Date().toISOString(), revision: 'main@sha1:x', mode: 'report', objects: [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: appA, name: 'settings', paths: ['/data/mode'] }] },
      },
    },
  });

  // The user's own git credentials: a store helper knowing the first server only.
  home = mkdtempSync(join(tmpdir(), 'sealops-status-home-'));
  writeFileSync(join(home, '.gitconfig'), '[credential]\n\thelper = store\n');
  writeFileSync(join(home, '.git-credentials'), `${server.urlWithCredentials.replace(/\/[^/]*$/, '')}\n`, { mode: 0o600 });

  // Two tenants, each allowed to read the Syncs of its own namespace, and a cluster that is gone.
  const admin = adminKubeConfig();
  const rules = [{ apiGroups: ['sealops.dev'], resources: ['syncs'], verbs: ['get', 'list'] }];
  const east = await createServiceAccount(admin, nsA, 'viewer', { rules });
  const west = await createServiceAccount(admin, nsB, 'viewer', { rules });
  const adminCfg = parse(readFileSync(adminKubeconfigPath(), 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
  const cluster = adminCfg.clusters[0]!.cluster;
  kubeconfig = join(home, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'east',
      clusters: [
        { name: 'east-cluster', cluster },
        { name: 'west-cluster', cluster },
        { name: 'gone-cluster', cluster: { ...cluster, server: 'https://127.0.0.1:1' } },
      ],
      users: [
        { name: 'east-viewer', user: { token: east.token } },
        { name: 'west-viewer', user: { token: west.token } },
      ],
      contexts: [
        { name: 'east', context: { cluster: 'east-cluster', user: 'east-viewer', namespace: nsA } },
        { name: 'west', context: { cluster: 'west-cluster', user: 'west-viewer', namespace: nsB } },
        { name: 'gone', context: { cluster: 'gone-cluster', user: 'east-viewer', namespace: nsA } },
      ],
    }),
    { mode: 0o600 },
  );
});

afterAll(async () => {
  await server?.stop();
  await hiddenServer?.stop();
  runner?.cleanup();
  repo?.cleanup();
  hidden?.cleanup();
  if (home) rmSync(home, { recursive: true, force: true });
  client?.close();
});

describeWithCluster('sealops status and history', () => {
  it('shows the Syncs of two contexts: revision against the branch head, drift, health, keys and agent version', async () => {
    const r = await cli(['status', '--kubeconfig', kubeconfig, '--context', 'east', '--context', 'west', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const fleet = JSON.parse(r.stdout) as { syncs: SyncRow[]; failures: unknown[] };
    expect(fleet.failures).toEqual([]);
    expect(fleet.syncs.map((s) => `${s.context} ${s.namespace}/${s.name}`)).toEqual([`east ${nsA}/shop`, `west ${nsB}/hidden`, `west ${nsB}/shop`]);
    const [east, hiddenRow, west] = fleet.syncs;
    const head = repo.head();
    expect(east).toMatchObject({ cluster: 'east-cluster', ready: 'True', git: 'behind', head, drift: 1, keysInUse: ['ks-0123456789abcdef'], agentVersion: ownVersion() });
    expect(east!.revision).not.toContain(head);
    expect(east!.health).toBeUndefined();
    expect(west).toMatchObject({ cluster: 'west-cluster', ready: 'True', git: 'current', revision: `main@sha1:${head}`, health: 'True', unhealthy: [], keysInUse: [expect.stringMatching(/^ks-[0-9a-f]{16}$/)] });
    expect(west!.drift).toBeUndefined();
    // The user holds no credential for this repository: unknown, and the rest still shown.
    expect(hiddenRow).toMatchObject({ ready: 'True', git: 'unknown' });
    expect(hiddenRow!.gitError).toMatch(/failed to read the head of http:\/\/127\.0\.0\.1:\d+\/hidden\.git/);
    expect(hiddenRow!.gitError).not.toContain(hiddenServer.token);
  });

  it('prints a table, and with --all-contexts a row for the unreachable cluster and a failing exit status', async () => {
    const table = await cli(['status', '--kubeconfig', kubeconfig, '--all-contexts']);
    expect(table.status).toBe(EXIT_CODES.KUBE);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CONTEXT\s+SYNC\s+READY\s+REVISION\s+GIT\s+CHANGED\s+DRIFT\s+HEALTH\s+KEYS\s+AGENT$/);
    expect(lines.find((l) => l.startsWith('east ') && l.includes(`${nsA}/shop`))).toMatch(/True\s+main@[0-9a-f]{7}\s+behind\s+\d+[smhd]\s+1\s+-\s+ks-0123456789abcdef\s+\S+$/);
    expect(lines.find((l) => l.startsWith('west ') && l.includes(`${nsB}/shop`))).toMatch(/\scurrent\s.*\sTrue\s/);
    expect(lines.find((l) => l.startsWith('gone '))).toMatch(/^gone\s+-\s+Error\s/);
    expect(table.stderr).toContain('sealops: warning: context gone: ');
  });

  it('reads the current context by default and refuses --all-contexts with --context', async () => {
    const r = await cli(['status', '--kubeconfig', kubeconfig, '-o', 'json']);
    expect((JSON.parse(r.stdout) as { syncs: SyncRow[] }).syncs.map((s) => s.context)).toEqual(['east']);
    const bad = await cli(['status', '--kubeconfig', kubeconfig, '--all-contexts', '--context', 'east']);
    expect(bad.status).toBe(EXIT_CODES.USAGE);
    expect(bad.stderr).toContain('--all-contexts and --context exclude each other');
  });

  it('prints the history of a Sync, newest first', async () => {
    const r = await cli(['history', 'shop', '--kubeconfig', kubeconfig, '--context', 'west', '-o', 'json']);
    expect(r.status).toBe(0);
    const history = JSON.parse(r.stdout) as { namespace: string; entries: { revision: string; applies: number; counts: Record<string, number> }[] };
    expect(history.namespace).toBe(nsB);
    expect(history.entries.map((e) => e.revision)).toEqual([`main@sha1:${repo.head()}`, expect.stringMatching(/^main@sha1:[0-9a-f]{40}$/)]);
    expect(history.entries[0]!.counts).toEqual({ created: 1, configured: 0, unchanged: 2, deleted: 0 });
    const table = await cli(['history', 'shop', '-n', nsB, '--kubeconfig', kubeconfig, '--context', 'west']);
    expect(table.stdout.split('\n')[0]).toMatch(/^REVISION\s+FIRST APPLIED\s+LAST APPLIED\s+APPLIES/);
    expect(table.stdout).toContain(`main@${repo.head().slice(0, 7)}`);
    const missing = await cli(['history', 'nope', '--kubeconfig', kubeconfig, '--context', 'west']);
    expect(missing.status).toBe(EXIT_CODES.KUBE);
    expect(missing.stderr).toContain(`failed to read Sync ${nsB}/nope: not found`);
  });

  it('never shows a secret byte in any output, status, event or log', async () => {
    const everything = [
      ...outputs.map((o) => o.stdout + o.stderr),
      await publishedText(client, nsA, 'shop'),
      await publishedText(client, nsB, 'shop'),
      runner.logs.join('\n'),
    ].join('\n');
    expect(outputs.length).toBeGreaterThan(0);
    for (const c of canaries) {
      expect(everything).not.toContain(c);
      expect(everything).not.toContain(Buffer.from(c).toString('base64'));
    }
    expect(everything).not.toContain(server.token);
  });
});
