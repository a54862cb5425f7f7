// Faults of git, of the control plane and of the agents themselves, on a control plane of this
// file's own (the shared one must keep answering other files): git unreachable, the API server and etcd stopped and
// started again on the same data, the API server frozen with SIGSTOP, and one of two agents
// stalled with SIGSTOP. Two `sealops agent` processes (the built CLI) run as the users agent-a
// and agent-b; the API server's audit log records every write with its user, so "never two
// writers" is checked from the server's own record: every write an agent made was made while
// the last Lease write before it was its own.
// Needs `npm run build` first (npm test does it): the agents run dist/cli/sealops.js.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithCluster, eventually } from '../support/kube.js';
import { startControlPlane, type ControlPlane } from '../cluster/control-plane.js';
import { createRepo, serveFile, type TestRepo } from '../support/git-servers.js';
import { createSync, getSync, installSyncCrd } from './agent-harness.js';
import { configMap } from './agent-fixtures.js';
import { KubeClient, loadKubeConfig } from '../../src/kube/client.js';

const CLI = new URL('../../dist/cli/sealops.js', import.meta.url).pathname;
const NS = { agent: 'sealops-system', sync: 'syncs', app: 'app' };

let cp: ControlPlane;
let admin: KubeClient;
let repo: TestRepo;
let dir: string;
const agents = new Map<string, ChildProcess>();

function startAgent(user: string): ChildProcess {
  const kubeconfig = join(dir, `${user}.kubeconfig`);
  writeFileSync(kubeconfig, cp.userKubeconfig(user, ['system:masters']), { mode: 0o600 });
  const child = spawn(
    process.execPath,
    [CLI, 'agent', '--kubeconfig', kubeconfig, '--namespace', NS.sync, '--agent-namespace', NS.agent, '--work-dir', join(dir, `work-${user}`), '--listen', '0', '--no-generate-keys'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, POD_NAME: user } },
  );
  const log = join(dir, `${user}.log`);
  child.stderr.on('data', (c: Buffer) => writeFileSync(log, c, { flag: 'a' }));
  agents.set(user, child);
  return child;
}

interface AuditEvent {
  user: { username: string };
  verb: string;
  objectRef?: { resource?: string; name?: string; namespace?: string };
  requestReceivedTimestamp: string;
  stage: string;
  responseStatus?: { code?: number };
}

const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Successful writes of the agents, in the order the API server received them. */
function agentWrites(): AuditEvent[] {
  return readFileSync(cp.auditLogPath!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter((e) => e.stage === 'ResponseComplete' && e.user.username.startsWith('agent-') && WRITES.has(e.verb) && (e.responseStatus?.code ?? 500) < 400)
    .sort((a, b) => (a.requestReceivedTimestamp < b.requestReceivedTimestamp ? -1 : a.requestReceivedTimestamp > b.requestReceivedTimestamp ? 1 : 0));
}

/** Each agent write that came while the last Lease write before it was another agent's. */
function writesWithoutTheLease(): string[] {
  let holder = '';
  const wrong: string[] = [];
  for (const e of agentWrites()) {
    if (e.objectRef?.resource === 'leases' && e.objectRef.name === 'sealops-agent') holder = e.user.username;
    else if (e.user.username !== holder) wrong.push(`${e.user.username} ${e.verb} ${e.objectRef?.resource}/${e.objectRef?.name} at ${e.requestReceivedTimestamp} while ${holder || 'nobody'} held the lease`);
  }
  return wrong;
}

async function lease(): Promise<{ holderIdentity?: string; renewTime?: string; leaseTransitions?: number }> {
  const l = await admin.request<{ spec: { holderIdentity?: string; renewTime?: string; leaseTransitions?: number } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${NS.agent}/leases/sealops-agent`);
  return l.spec;
}

async function configMaps(): Promise<string[]> {
  const list = await admin.request<{ items: { metadata: { name: string } }[] }>('GET', `/api/v1/namespaces/${NS.app}/configmaps`, { query: { labelSelector: 'sealops.dev/name=apps' } });
  return list.items.map((i) => i.metadata.name).sort();
}

/** Waits until the Sync is Ready at the repository's head and holds exactly `names`. */
async function converged(names: string[]): Promise<void> {
  await eventually(
    `the Sync to be Ready at ${repo.head()} with ${names.length} ConfigMaps`,
    async () => {
      const s = await getSync(admin, NS.sync, 'apps').catch(() => undefined);
      const ready = s?.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True' || s?.status?.lastAppliedRevision !== `main@sha1:${repo.head()}`) return undefined;
      const have = await configMaps();
      return JSON.stringify(have) === JSON.stringify([...names].sort()) ? true : undefined;
    },
    240_000,
  );
}

function files(prefix: string, n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`cm/${prefix}-${String(i).padStart(3, '0')}.yaml`] = configMap(NS.app, `${prefix}-${i}`, { i: String(i) });
  return out;
}

const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describeWithCluster('the agent when the control plane or an agent fails', () => {
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`failed to find ${CLI}: run npm run build first`);
    cp = await startControlPlane({ audit: true, controllerManager: false });
    admin = new KubeClient(loadKubeConfig(cp.kubeconfigPath));
    dir = mkdtempSync(join(tmpdir(), 'sealops-cp-faults-'));
    await installSyncCrd(admin);
    for (const name of Object.values(NS)) await admin.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
    repo = createRepo();
    repo.commitFiles(files('a', 5), 'five');
    await createSync(admin, NS.sync, 'apps', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, interval: '2s' });
    startAgent('agent-a');
    await converged(names('a', 5));
    expect((await lease()).holderIdentity).toBe('agent-a');
  }, 600_000);

  afterAll(async () => {
    for (const child of agents.values()) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    admin?.close();
    await cp?.stop();
    repo?.cleanup();
  });

  it('reports git unreachable, keeps the cluster, and converges once git is back', async () => {
    const away = `${repo.bareDir}.away`;
    renameSync(repo.bareDir, away);
    try {
      await eventually('the Sync to report git unreachable', async () => {
        const ready = (await getSync(admin, NS.sync, 'apps')).status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.reason === 'GitUnreachable' ? ready : undefined;
      });
      expect(await configMaps()).toEqual(names('a', 5).sort());
    } finally {
      renameSync(away, repo.bareDir);
    }
    repo.commitFiles({ 'cm/a-004.yaml': null }, 'one fewer');
    repo.commitFiles({ 'cm/a-004.yaml': configMap(NS.app, 'a-4', { i: '4' }) }, 'back again');
    await converged(names('a', 5));
    expect(writesWithoutTheLease()).toEqual([]);
  });

  it('converges after the API server and etcd were stopped and started again on the same data', async () => {
    await cp.stopComponent('kube-apiserver');
    await cp.stopComponent('etcd');
    repo.commitFiles(files('b', 3), 'three more');
    await cp.start('etcd');
    await cp.start('kube-apiserver');
    await converged([...names('a', 5), ...names('b', 3)]);
    expect(writesWithoutTheLease()).toEqual([]);
  });

  it('never has two writers when the API server is frozen past the lease in the middle of an apply', async () => {
    startAgent('agent-b');
    const before = await lease();
    repo.commitFiles(files('c', 150), 'many');
    // Freeze once the leader is writing the new commit's objects.
    await eventually('the apply of the new commit to start', async () => ((await configMaps()).some((n) => n.startsWith('c-')) ? true : undefined), 120_000);
    cp.freeze('kube-apiserver');
    // Long enough for the lease to expire by every clock; the outcome is asserted, not the time.
    await new Promise((r) => setTimeout(r, 20_000));
    cp.thaw('kube-apiserver');
    await converged([...names('a', 5), ...names('b', 3), ...names('c', 150)]);
    expect(writesWithoutTheLease()).toEqual([]);
    expect((await lease()).leaseTransitions).toBeGreaterThanOrEqual(before.leaseTransitions ?? 0);
  });

  it('hands over to the other agent when the leader stalls, and the stalled one writes nothing when it wakes', async () => {
    const holder = (await lease()).holderIdentity!;
    const other = holder === 'agent-a' ? 'agent-b' : 'agent-a';
    const transitions = (await lease()).leaseTransitions ?? 0;
    agents.get(holder)!.kill('SIGSTOP');
    repo.commitFiles(files('d', 20), 'while the leader is stalled');
    await eventually('the other agent to take the lease', async () => ((await lease()).holderIdentity === other ? true : undefined), 120_000);
    await converged([...names('a', 5), ...names('b', 3), ...names('c', 150), ...names('d', 20)]);
    agents.get(holder)!.kill('SIGCONT');
    repo.commitFiles({ 'cm/d-000.yaml': null }, 'one fewer');
    await converged([...names('a', 5), ...names('b', 3), ...names('c', 150), ...names('d', 20).filter((n) => n !== 'd-0')]);
    expect((await lease()).leaseTransitions).toBeGreaterThan(transitions);
    expect(writesWithoutTheLease()).toEqual([]);
  });
});
