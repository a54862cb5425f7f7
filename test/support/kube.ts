/**
 * Helpers for tests against the run's control plane (started by global-setup.ts): the admin
 * KubeConfig, a unique namespace per test file, and service accounts with real minted tokens,
 * so code under test can run under real RBAC rather than as cluster admin.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1PolicyRule,
} from '@kubernetes/client-node';
import { describe, inject } from 'vitest';

/** True when the run has a control plane (see global-setup.ts for when it does not). */
export function clusterAvailable(): boolean {
  return inject('kubeconfig') !== '';
}

/**
 * `describe` that skips when the run has no control plane. That only happens off CI, where
 * global-setup already printed why; on CI a missing control plane fails the whole run.
 */
export const describeWithCluster: typeof describe = describe.skipIf(!clusterAvailable()) as typeof describe;

/** Path of the admin kubeconfig; throws the reason when the run has no control plane. */
export function adminKubeconfigPath(): string {
  const path = inject('kubeconfig');
  if (!path) throw new Error(inject('clusterUnavailable') || 'failed to find the control plane: globalSetup provided none');
  return path;
}

/** The admin KubeConfig (group `system:masters`) of the run's control plane. */
export function adminKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfigPath());
  return kc;
}

/** A DNS-1123 name `prefix-xxxxxxxx` unlikely to collide across test files and runs. */
export function uniqueName(prefix = 'test'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'test';
  return `${clean}-${randomBytes(4).toString('hex')}`;
}

/** Creates a namespace with a unique name built from `prefix` and returns the name. */
export async function createNamespace(kc: KubeConfig, prefix = 'test', labels: Record<string, string> = {}): Promise<string> {
  const name = uniqueName(prefix);
  await kc.makeApiClient(CoreV1Api).createNamespace({
    body: { metadata: { name, labels: { 'sealops.dev/test': 'true', ...labels } } },
  });
  return name;
}

/** Deletes a namespace; a namespace already gone is fine. */
export async function deleteNamespace(kc: KubeConfig, name: string): Promise<void> {
  try {
    await kc.makeApiClient(CoreV1Api).deleteNamespace({ name });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
}

/** A KubeConfig for the same API server as `admin` that authenticates with a bearer token. */
export function tokenKubeConfig(admin: KubeConfig, user: string, token: string): KubeConfig {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('failed to build a kubeconfig: the admin kubeconfig has no current cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: cluster.name, server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: user, token }],
    contexts: [{ name: `${user}@${cluster.name}`, cluster: cluster.name, user }],
    currentContext: `${user}@${cluster.name}`,
  });
  return kc;
}

/** Mints a token for a service account through the TokenRequest API (audience: the API server). */
export async function mintToken(kc: KubeConfig, namespace: string, name: string, expirationSeconds = 3600): Promise<string> {
  const res = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds } },
  });
  const token = res.status?.token;
  if (!token) throw new Error(`failed to mint a token for ${namespace}/${name}: the TokenRequest answer holds none`);
  return token;
}

/** A service account with a minted token and a kubeconfig acting as it. */
export interface ServiceAccountAccess {
  /** Service account name. */
  name: string;
  /** Its namespace. */
  namespace: string;
  /** Kubernetes user name: `system:serviceaccount:<ns>:<name>`. */
  user: string;
  /** The bearer token (a real signed JWT). */
  token: string;
  /** KubeConfig acting as the service account. */
  kubeConfig: KubeConfig;
  /** The same as a file, for processes (`sealops agent --kubeconfig FILE`). */
  kubeconfigPath: string;
}

/** Options of {@link createServiceAccount}. */
export interface ServiceAccountOptions {
  /** Rules of a Role bound in the SA's namespace. */
  rules?: V1PolicyRule[];
  /** Rules of a ClusterRole bound cluster-wide (named `<namespace>-<name>`). */
  clusterRules?: V1PolicyRule[];
  /** Token lifetime (default one hour). */
  expirationSeconds?: number;
}

/**
 * Creates a service account (with an optional Role and ClusterRole bound to it), mints a token
 * and writes a kubeconfig for it. Waits until RBAC grants the first rule, because the
 * authorizer reads bindings from a cache that lags the write by a moment.
 */
export async function createServiceAccount(
  admin: KubeConfig,
  namespace: string,
  name: string,
  options: ServiceAccountOptions = {},
): Promise<ServiceAccountAccess> {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const subject = { kind: 'ServiceAccount', name, namespace };
  if (options.rules?.length) {
    await rbac.createNamespacedRole({ namespace, body: { metadata: { name }, rules: options.rules } });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [subject] },
    });
  }
  if (options.clusterRules?.length) {
    const clusterName = `${namespace}-${name}`;
    await rbac.createClusterRole({ body: { metadata: { name: clusterName, labels: { 'sealops.dev/test': 'true' } }, rules: options.clusterRules } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: clusterName, labels: { 'sealops.dev/test': 'true' } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
        subjects: [subject],
      },
    });
  }
  const token = await mintToken(admin, namespace, name, options.expirationSeconds);
  const user = `system:serviceaccount:${namespace}:${name}`;
  const kubeConfig = tokenKubeConfig(admin, user, token);
  const dir = mkdtempSync(join(tmpdir(), 'sealops-sa-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeConfig.exportConfig(), { mode: 0o600 });
  const first = options.rules?.[0] ?? options.clusterRules?.[0];
  if (first) await waitUntilAllowed(kubeConfig, first, options.rules?.length ? namespace : undefined);
  return { name, namespace, user, token, kubeConfig, kubeconfigPath };
}

/** Polls SelfSubjectAccessReview as `kc` until the first verb/resource of `rule` is allowed. */
async function waitUntilAllowed(kc: KubeConfig, rule: V1PolicyRule, namespace: string | undefined): Promise<void> {
  // Non-resource rules (URLs) have nothing this check can ask about.
  if (!rule.resources?.length) return;
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const resourceAttributes = {
    namespace,
    verb: rule.verbs[0] === '*' ? 'get' : rule.verbs[0],
    group: rule.apiGroups?.[0] === '*' ? '' : (rule.apiGroups?.[0] ?? ''),
    resource: rule.resources?.[0] === '*' ? 'configmaps' : rule.resources?.[0],
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const review = await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes } } });
    if (review.status?.allowed) return;
    if (Date.now() > deadline) throw new Error(`failed to see RBAC grant ${JSON.stringify(resourceAttributes)} take effect`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls `check` every 200 ms until it returns a value other than undefined, or times out. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: lastError });
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The HTTP status of a rejected client call (ApiException carries it as `code`); 200 when it succeeded. */
export async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw err;
  }
}
