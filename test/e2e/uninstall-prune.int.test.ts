// `sealops uninstall --prune --delete-namespace --delete-crds` on a control plane of its own
// (pruning takes every Sync of the cluster, and deleting the CRD takes every Sync with it, so it
// must not share the suite's): what a Sync applied goes, an object it lists but does not own
// stays, the report names objects as every other line does, and the CRD and namespace go.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithCluster, eventually } from '../support/kube.js';
import { startControlPlane, type ControlPlane } from '../cluster/control-plane.js';
import { installManifests, installObjects, KubeApiError, KubeClient, loadKubeConfig, uninstallObjects, type InstallObject } from '../../src/index.js';
import { withOwner } from '../../src/agent/apply/index.js';
import { inventoryId } from '../../src/agent/inventory.js';

const NS = 'sealops-prune';
const TEAM = 'team-a';
let cp: ControlPlane | undefined;
let client: KubeClient;

const exists = (path: string): Promise<boolean> =>
  client.request('GET', path).then(
    () => true,
    (err: unknown) => {
      if (err instanceof KubeApiError && err.status === 404) return false;
      throw err;
    },
  );
const configMap = (name: string): InstallObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: TEAM }, data: { k: 'v' } });

describeWithCluster('uninstall --prune on a control plane of its own', () => {
  beforeAll(async () => {
    cp = await startControlPlane({ controllerManager: false });
    client = new KubeClient(loadKubeConfig(cp.kubeconfigPath));
  }, 120_000);
  afterAll(async () => {
    client?.close();
    await cp?.stop();
  });

  it('deletes what each Sync applied and nothing it does not own, then the agent, its namespace and the CRD', async () => {
    const objects = installManifests({ namespace: NS });
    await installObjects(client, objects);
    await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: TEAM } } });
    const syncs = `/apis/sealops.dev/v1alpha1/namespaces/${TEAM}/syncs`;
    await client.request('POST', syncs, { body: { apiVersion: 'sealops.dev/v1alpha1', kind: 'Sync', metadata: { name: 'app' }, spec: { source: { url: 'file:///nowhere', ref: { branch: 'main' } }, path: 'deploy' } } });
    // What an apply by Sync team-a/app leaves: its objects labelled as its own, listed in its inventory.
    await client.request('POST', `/api/v1/namespaces/${TEAM}/configmaps`, { body: withOwner(configMap('owned'), { namespace: TEAM, name: 'app' }, TEAM) });
    // Listed in the inventory (a hand edit of status) but not labelled as the Sync's: never deleted.
    await client.request('POST', `/api/v1/namespaces/${TEAM}/configmaps`, { body: configMap('not-ours') });
    const entries = ['owned', 'not-ours'].map((name) => ({ id: inventoryId({ namespace: TEAM, name, group: '', kind: 'ConfigMap' }), v: 'v1' }));
    await client.request('PATCH', `${syncs}/app/status`, { body: { status: { inventory: { entries } } }, contentType: 'application/merge-patch+json' });

    const removed = await uninstallObjects(client, objects, { pruneSyncs: true, deleteNamespace: true, deleteCrds: true });
    expect(removed).toContainEqual({ object: `ConfigMap/${TEAM}/owned`, action: 'deleted' });
    expect(removed.map((r) => r.object)).not.toContain(`ConfigMap/${TEAM}/not-ours`);
    expect(await exists(`/api/v1/namespaces/${TEAM}/configmaps/owned`)).toBe(false);
    expect(await exists(`/api/v1/namespaces/${TEAM}/configmaps/not-ours`)).toBe(true);
    expect(await exists(`/api/v1/namespaces/${TEAM}`)).toBe(true);
    expect(removed).toEqual(expect.arrayContaining([{ object: 'CustomResourceDefinition/syncs.sealops.dev', action: 'deleted' }, { object: `Namespace/${NS}`, action: 'deleted' }]));
    // The API server removes the CRD once it has removed its Syncs; the namespace is at least terminating (no namespace controller here).
    await eventually('the Sync CRD to be gone', async () => ((await exists('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/syncs.sealops.dev')) ? undefined : true), 60_000);
    const ns = await client.request<{ metadata: { deletionTimestamp?: string } }>('GET', `/api/v1/namespaces/${NS}`).catch((err: unknown) => {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    });
    expect(ns === undefined || ns.metadata.deletionTimestamp !== undefined).toBe(true);
  }, 120_000);
});
