// Tenancy against the real control plane: a Sync with spec.serviceAccountName (or under the
// agent's --default-service-account) is applied as that ServiceAccount of its namespace, so
// RBAC refuses a tenant's repository writing into another namespace, and the status says why
// with no secret byte; the cluster keys do not unseal, into a tenant's namespace, a Secret
// sealed for another namespace.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { describeWithCluster, eventually } from '../support/kube.js';
import { createRepo, serveFile, type TestRepo } from '../support/git-servers.js';
import { createNs, createSync, exists, getSync, makeClusterKeys, publishedText, secretValue, secretValues, setUpAgent, type ClusterKeys } from './agent-harness.js';
import { configMap, sealedFile, sopsFile } from './agent-fixtures.js';
import { Logger, reconcileSync, type ReconcileOutcome } from '../../src/agent/index.js';
import { Discovery, type KubeClient } from '../../src/kube/index.js';

let client: KubeClient;
let agentNs: string;
let keys: ClusterKeys;
let teamA: string;
let teamB: string;
const repos: TestRepo[] = [];
const logs: string[] = [];

/**
 * ServiceAccount `name` in `ns` with every right in `ns` and none elsewhere (a Role, not the
 * built-in `admin`, whose rules only the controller manager's aggregation fills in); waits until
 * RBAC grants it.
 */
async function tenantAccount(ns: string, name: string): Promise<void> {
  await client.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } } });
  await client.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
    body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'namespace-admin' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
  });
  await client.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${name}-admin` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'namespace-admin' },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
    },
  });
  await eventually(`RBAC to grant ${ns}/${name}`, async () => {
    const review = await client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: `system:serviceaccount:${ns}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`], resourceAttributes: { namespace: ns, verb: 'patch', resource: 'configmaps' } },
      },
    });
    return review.status?.allowed ? true : undefined;
  });
}

async function reconcile(ns: string, name: string, defaultServiceAccount?: string): Promise<ReconcileOutcome> {
  const sync = await getSync(client, ns, name);
  const log = new Logger((line) => logs.push(line));
  return reconcileSync({ client, discovery: new Discovery(client), log, agentNamespace: agentNs, workRoot: `/tmp/sealops-tenants-${agentNs}`, defaultServiceAccount }, sync);
}

function repoWith(files: Record<string, string>): string {
  const repo = createRepo();
  repos.push(repo);
  repo.commitFiles(files);
  return serveFile(repo.bareDir).url;
}

beforeAll(async () => {
  keys = makeClusterKeys();
  ({ client, agentNs } = await setUpAgent(keys));
  teamA = await createNs(client, 'team-a');
  teamB = await createNs(client, 'team-b');
  await tenantAccount(teamA, 'deployer');
});
afterAll(() => {
  for (const r of repos) r.cleanup();
  client?.close();
});

describeWithCluster('a tenant Sync with spec.serviceAccountName', () => {
  it('applies its own namespace as that ServiceAccount, sealed Secret included', async () => {
    const token = secretValue('tenant-token');
    const url = repoWith({ 'app/config.yaml': configMap(teamA, 'settings', { mode: 'a' }), 'app/token.yaml': sealedFile(teamA, token, keys) });
    await createSync(client, teamA, 'own', { source: { url, ref: { branch: 'main' } }, path: 'app', serviceAccountName: 'deployer' });
    const outcome = await reconcile(teamA, 'own');
    expect(outcome, outcome.message).toMatchObject({ ok: true, reason: 'ReconciliationSucceeded' });
    expect(await secretValues(client, teamA, 'api-token')).toEqual({ token });
    const cm = await client.request<{ metadata: { managedFields: { manager: string }[] } }>('GET', `/api/v1/namespaces/${teamA}/configmaps/settings`);
    expect(cm.metadata.managedFields.map((f) => f.manager)).toContain('sealops');
  });

  it('is refused writing into another namespace: nothing is applied, and the status says why without secret bytes', async () => {
    const token = secretValue('tenant-token');
    const url = repoWith({
      'app/own.yaml': configMap(teamA, 'mine', { mode: 'a' }),
      'app/token.yaml': sealedFile(teamA, token, keys),
      'app/intrusion.yaml': configMap(teamB, 'not-yours', { mode: 'owned' }),
    });
    await createSync(client, teamA, 'intruder', { source: { url, ref: { branch: 'main' } }, path: 'app', serviceAccountName: 'deployer' });
    const outcome = await reconcile(teamA, 'intruder');
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toBe('ApplyFailed');
    expect(outcome.message).toContain(`(applying as ServiceAccount ${teamA}/deployer)`);
    expect(outcome.message).toMatch(new RegExp(`configmaps "not-yours" is forbidden: User "system:serviceaccount:${teamA}:deployer" cannot \\w+ resource "configmaps" in API group "" in the namespace "${teamB}"`));
    expect(await exists(client, `/api/v1/namespaces/${teamB}/configmaps/not-yours`)).toBe(false);
    // The dry run of every object comes first: the allowed objects of this revision were not written either.
    expect(await exists(client, `/api/v1/namespaces/${teamA}/configmaps/mine`)).toBe(false);
    const ready = (await getSync(client, teamA, 'intruder')).status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'ApplyFailed' });
    expect(ready?.message).toContain('forbidden');
    const published = await publishedText(client, teamA, 'intruder');
    expect(published).not.toContain(token);
    expect(logs.join('\n')).not.toContain(token);
  });

  it('under --default-service-account, a Sync that names no account gets the same limits', async () => {
    const url = repoWith({ 'app/intrusion.yaml': configMap(teamB, 'default-intrusion', { mode: 'owned' }) });
    await createSync(client, teamA, 'unnamed', { source: { url, ref: { branch: 'main' } }, path: 'app' });
    const outcome = await reconcile(teamA, 'unnamed', 'deployer');
    expect(outcome).toMatchObject({ ok: false, reason: 'ApplyFailed' });
    expect(outcome.message).toContain(`(applying as ServiceAccount ${teamA}/deployer)`);
    expect(await exists(client, `/api/v1/namespaces/${teamB}/configmaps/default-intrusion`)).toBe(false);
    // Without it the agent's own (admin here) identity applies: the same Sync goes through.
    expect((await reconcile(teamA, 'unnamed')).ok).toBe(true);
    expect(await exists(client, `/api/v1/namespaces/${teamB}/configmaps/default-intrusion`)).toBe(true);
  });
});

describeWithCluster('a Secret sealed for another namespace', () => {
  it('does not unseal when a tenant moves it into its own namespace: the scope bound into the ciphertext refuses', async () => {
    const token = secretValue('team-b-token');
    const stolen = parse(sealedFile(teamB, token, keys)) as { metadata: { namespace: string }; spec: { template?: { metadata?: { namespace?: string } } } };
    stolen.metadata.namespace = teamA;
    if (stolen.spec.template?.metadata) stolen.spec.template.metadata.namespace = teamA;
    const url = repoWith({ 'app/stolen.yaml': stringify(stolen) });
    await createSync(client, teamA, 'moved', { source: { url, ref: { branch: 'main' } }, path: 'app', serviceAccountName: 'deployer' });
    const outcome = await reconcile(teamA, 'moved');
    expect(outcome).toMatchObject({ ok: false, reason: 'DecryptionFailed' });
    expect(outcome.message).toMatch(/api-token/);
    // (teamA's own api-token from the first test stays as it was.)
    expect((await secretValues(client, teamA, 'api-token'))?.token).not.toBe(token);
    expect(await publishedText(client, teamA, 'moved')).not.toContain(token);
  });

  it('does not unseal a SOPS Secret bound to another namespace that a tenant overlay moves into its own', async () => {
    const password = secretValue('team-b-sops');
    const url = repoWith({
      'app/db.yaml': sopsFile(teamB, password, keys),
      'app/kustomization.yaml': stringify({ namespace: teamA, resources: ['db.yaml'] }),
    });
    await createSync(client, teamA, 'moved-sops', { source: { url, ref: { branch: 'main' } }, path: 'app', serviceAccountName: 'deployer' });
    const outcome = await reconcile(teamA, 'moved-sops');
    expect(outcome).toMatchObject({ ok: false, reason: 'DecryptionFailed' });
    expect(outcome.message).toContain(`app/db.yaml was sealed for namespace ${teamB} and may not be moved to ${teamA} (scope)`);
    expect(await exists(client, `/api/v1/namespaces/${teamA}/secrets/db`)).toBe(false);
    expect(await publishedText(client, teamA, 'moved-sops')).not.toContain(password);
    expect(logs.join('\n')).not.toContain(password);
  });

  it('left in its own namespace, unseals but is refused writing there by the tenant account', async () => {
    const token = secretValue('team-b-token');
    const url = repoWith({ 'app/copied.yaml': sealedFile(teamB, token, keys) });
    await createSync(client, teamA, 'copied', { source: { url, ref: { branch: 'main' } }, path: 'app', serviceAccountName: 'deployer' });
    const outcome = await reconcile(teamA, 'copied');
    expect(outcome).toMatchObject({ ok: false, reason: 'ApplyFailed' });
    expect(outcome.message).toContain(`"${teamB}"`);
    expect(await exists(client, `/api/v1/namespaces/${teamB}/secrets/api-token`)).toBe(false);
    expect(await publishedText(client, teamA, 'copied')).not.toContain(token);
    expect(logs.join('\n')).not.toContain(token);
  });
});
