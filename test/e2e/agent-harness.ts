// Shared set-up of the agent end-to-end tests: the Sync CRD, a keys Secret with a real age
// identity (from Debian's age-keygen) and an RSA key, fixture repositories whose Secrets are
// sealed by the real `sops` binary and by sealops's SealedSecret writer, and a reconcile runner
// that captures every log line so tests can assert no secret byte leaked.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { KubeClient, Discovery, Logger, reconcileSync, type SyncObject, type ReconcileOutcome } from '../../src/index.js';
import { sealSecret } from '../../src/formats/sealedsecret/index.js';
import { SCOPE_ANNOTATION, SECRET_SCOPED_REGEX } from '../../src/formats/sops/index.js';
import { adminKubeconfigPath, eventually } from '../support/kube.js';
import { createRepo, type TestRepo } from '../support/git-servers.js';
import { loadKubeConfig } from '../../src/kube/client.js';
import { peerPath } from '../support/peers.js';
import { rsaKeyPair } from '../support/rsa.js';

/** The admin raw client for the run's control plane. */
export function adminClient(): KubeClient {
  return new KubeClient(loadKubeConfig(adminKubeconfigPath()));
}

/** Applies deploy/crd-sync.yaml and waits until the API server serves Syncs. */
export async function installSyncCrd(client: KubeClient): Promise<void> {
  const crd = parse(readFileSync(new URL('../../deploy/crd-sync.yaml', import.meta.url), 'utf8')) as { metadata: { name: string } };
  await client.request('PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, {
    body: crd,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: 'sealops-test', force: 'true' },
  });
  for (let i = 0; i < 200; i++) {
    try {
      await client.request('GET', '/apis/sealops.dev/v1alpha1/syncs');
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('Sync CRD never became served');
}

/** Creates a namespace. */
export async function createNs(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  return name;
}

/** The cluster's key set: an age identity and an RSA key, as the agent's keys Secret holds them. */
export interface ClusterKeys {
  ageIdentity: string;
  ageRecipient: string;
  rsaPrivatePem: string;
  rsaPublic: ReturnType<typeof createPublicKey>;
}

/** Generates keys with the real age-keygen and node:crypto. */
export function makeClusterKeys(): ClusterKeys {
  const dir = mkdtempSync(join(tmpdir(), 'sealops-keys-'));
  try {
    execFileSync(peerPath('age-keygen'), ['-o', join(dir, 'key.txt')], { stdio: 'ignore' });
    const text = readFileSync(join(dir, 'key.txt'), 'utf8');
    const ageRecipient = /public key: (age1\S+)/.exec(text)![1]!;
    const { privateKey } = rsaKeyPair(2048);
    const rsaPrivatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    return { ageIdentity: text, ageRecipient, rsaPrivatePem, rsaPublic: createPublicKey(privateKey) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Stores `keys` as the keys Secret `name` in `namespace` (entries `cluster.agekey`, `cluster.pem`). */
export async function storeKeys(client: KubeClient, namespace: string, name: string, keys: ClusterKeys): Promise<void> {
  await client.request('POST', `/api/v1/namespaces/${namespace}/secrets`, {
    body: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      stringData: { 'cluster.agekey': keys.ageIdentity, 'cluster.pem': keys.rsaPrivatePem },
    },
  });
}

/**
 * The set-up most agent tests share: the admin client, the Sync CRD and a fresh agent
 * namespace; with `keys`, the keys Secret `sealops-keys` there holding them.
 */
export async function setUpAgent(keys?: ClusterKeys): Promise<{ client: KubeClient; agentNs: string }> {
  const client = adminClient();
  await installSyncCrd(client);
  const agentNs = await createNs(client, 'sealops-system');
  if (keys) await storeKeys(client, agentNs, 'sealops-keys', keys);
  return { client, agentNs };
}

/** A Secret manifest sealed by the real `sops` binary for the cluster's age recipient. */
export function sopsSeal(secret: Record<string, unknown>, recipient: string, opts: { bind?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealops-sops-'));
  try {
    const file = join(dir, 'secret.yaml');
    // Bound the way sealops binds, but written by the real sops: the plaintext carries the scope
    // annotation and encrypted_regex names it, so sops encrypts it under its path.
    const meta = (secret.metadata ?? {}) as { name?: string; namespace?: string; annotations?: Record<string, string> };
    const bound = opts.bind !== false && secret.kind === 'Secret';
    const body = bound ? { ...secret, metadata: { ...meta, annotations: { ...meta.annotations, [SCOPE_ANNOTATION]: `${meta.namespace ?? ''}/${meta.name ?? ''}` } } } : secret;
    writeFileSync(file, stringify(body));
    return execFileSync(peerPath('sops'), ['--encrypt', '--age', recipient, '--encrypted-regex', bound ? SECRET_SCOPED_REGEX : '^(data|stringData)$', file], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: dir },
      // Sealed Secrets of thousands of keys run past the default 1 MiB.
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A SealedSecret manifest sealed by sealops's writer (the format kubeseal writes). */
export function sealedSecretYaml(secret: Record<string, unknown>, keys: ClusterKeys): string {
  return stringify(sealSecret(secret, keys.rsaPublic));
}

/** Creates a Sync. */
export async function createSync(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await client.request('POST', `/apis/sealops.dev/v1alpha1/namespaces/${namespace}/syncs`, {
    body: { apiVersion: 'sealops.dev/v1alpha1', kind: 'Sync', metadata: { name }, spec },
  });
}

/** Merge-patches a Sync's spec. */
export async function patchSyncSpec(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await client.request('PATCH', `/apis/sealops.dev/v1alpha1/namespaces/${namespace}/syncs/${name}`, { body: { spec }, contentType: 'application/merge-patch+json' });
}

/** Reads a Sync. */
export function getSync(client: KubeClient, namespace: string, name: string): Promise<SyncObject> {
  return client.request<SyncObject>('GET', `/apis/sealops.dev/v1alpha1/namespaces/${namespace}/syncs/${name}`);
}

/** The status of condition `type` of a Sync. */
export function condition(s: SyncObject | undefined, type: string): string | undefined {
  return s?.status?.conditions?.find((c) => c.type === type)?.status;
}

/**
 * Waits until the agent process works on `revision` of Sync `namespace/name` (Reconciling=True with
 * it as the attempted revision); fails at once, with its log, when the agent has exited.
 */
export async function waitForReconcileStart(client: KubeClient, namespace: string, name: string, revision: string, agent: ChildProcess, log: () => string): Promise<void> {
  await eventually(
    'the reconcile to start',
    async () => {
      const s = await getSync(client, namespace, name);
      if (agent.exitCode !== null) throw new Error(`the agent exited: ${log()}`);
      return condition(s, 'Reconciling') === 'True' && s.status?.lastAttemptedRevision === revision ? true : undefined;
    },
    120_000,
  );
}

/** The built CLI (`npm run build` first): what the long-running agent tests start. */
export const BUILT_CLI = new URL('../../dist/cli/sealops.js', import.meta.url).pathname;


/**
 * What a test of the built agent process needs: cluster keys, the agent's namespace with the CRD
 * and keys in place, a namespace for its Syncs and one for their objects, a work dir and a repo.
 */
export async function setUpAgentProcess(name: string): Promise<{ keys: ClusterKeys; client: KubeClient; agentNs: string; syncNs: string; appNs: string; workDir: string; repo: TestRepo }> {
  if (!existsSync(BUILT_CLI)) throw new Error(`failed to find ${BUILT_CLI}: run npm run build first`);
  const keys = makeClusterKeys();
  const { client, agentNs } = await setUpAgent(keys);
  const syncNs = await createNs(client, name);
  const appNs = await createNs(client, `${name}-app`);
  return { keys, client, agentNs, syncNs, appNs, workDir: mkdtempSync(join(tmpdir(), `sealops-${name}-`)), repo: createRepo() };
}

/** Ends an agent process with SIGTERM, as Kubernetes stops a pod, and waits for it to exit. */
export async function stopAgent(agent: ChildProcess | undefined): Promise<void> {
  if (!agent || agent.exitCode !== null) return;
  const exited = new Promise((r) => agent.once('exit', r));
  agent.kill('SIGTERM');
  await exited;
}
/**
 * Starts `sealops agent` (the built CLI, long-running, `--no-generate-keys`) as `identity`,
 * passing each chunk of its stderr to `onStderr`.
 */
export function spawnAgent(o: { syncNs: string; agentNs: string; workDir: string; port: number; identity: string; leaseSeconds: number }, onStderr: (text: string) => void): ChildProcess {
  const child = spawn(
    process.execPath,
    [BUILT_CLI, 'agent', '--kubeconfig', adminKubeconfigPath(), '--namespace', o.syncNs, '--agent-namespace', o.agentNs, '--work-dir', o.workDir, '--listen', String(o.port), '--lease-duration', String(o.leaseSeconds), '--no-generate-keys'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, POD_NAME: o.identity } },
  );
  child.stderr.on('data', (c: Buffer) => onStderr(c.toString('utf8')));
  return child;
}

/** Runs the agent's reconcile in-process, appending its JSON log lines to `logs`. */
export class AgentRunner {
  readonly logs: string[] = [];
  readonly workRoot = mkdtempSync(join(tmpdir(), 'sealops-agent-work-'));
  readonly discovery: Discovery;
  constructor(
    readonly client: KubeClient,
    readonly agentNamespace: string,
  ) {
    this.discovery = new Discovery(client);
  }

  /** One reconcile of the named Sync, reading it fresh from the API server. */
  async reconcile(namespace: string, name: string): Promise<ReconcileOutcome> {
    const sync = await getSync(this.client, namespace, name);
    const log = new Logger((line) => this.logs.push(line));
    return reconcileSync({ client: this.client, discovery: this.discovery, log, agentNamespace: this.agentNamespace, workRoot: this.workRoot }, sync);
  }

  cleanup(): void {
    rmSync(this.workRoot, { recursive: true, force: true });
  }
}

/** Everything a Sync published: status and the events about it, as one string. */
export async function publishedText(client: KubeClient, namespace: string, name: string): Promise<string> {
  const sync = await getSync(client, namespace, name);
  const events = await client.request<{ items: unknown[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${namespace}/events`);
  return JSON.stringify(sync.status) + JSON.stringify(events.items);
}

/** Reads a Secret's decoded values, or undefined when it does not exist. */
export async function secretValues(client: KubeClient, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  try {
    const s = await client.request<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${namespace}/secrets/${name}`);
    return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  } catch {
    return undefined;
  }
}

/** Whether an object exists at `path`. */
export async function exists(client: KubeClient, path: string): Promise<boolean> {
  try {
    await client.request('GET', path);
    return true;
  } catch {
    return false;
  }
}

/** The renewTime of the agent's leader Lease, or undefined when there is none (yet). */
export async function leaseRenewTime(client: KubeClient, agentNs: string): Promise<string | undefined> {
  const lease = await client.request<{ spec: { renewTime?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${agentNs}/leases/sealops-agent`).catch(() => undefined);
  return lease?.spec.renewTime;
}

/** A random secret value that cannot occur by chance in any output. */
export function secretValue(label: string): string {
  return `${label}-${randomBytes(12).toString('hex')}`;
}

/** A rule of deploy/rbac.yaml. */
export interface ShippedRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** The rules of one RBAC object of deploy/rbac.yaml, as shipped. */
export function shippedRules(kind: string, name: string): ShippedRule[] {
  for (const doc of parseAllDocuments(readFileSync(new URL('../../deploy/rbac.yaml', import.meta.url), 'utf8'))) {
    const obj = doc.toJS() as { kind: string; metadata: { name: string }; rules?: ShippedRule[] };
    if (obj.kind === kind && obj.metadata.name === name) return obj.rules ?? [];
  }
  throw new Error(`deploy/rbac.yaml has no ${kind} ${name}`);
}
