/**
 * Proof that the run's control plane (test/support/global-setup.ts) is a real Kubernetes API:
 * namespaces, CRDs and custom objects, server-side apply with field ownership, RBAC denial for
 * a service account with a real minted token, and kube-controller-manager's garbage collector
 * and namespace finalizer at work.
 */
import {
  ApiextensionsV1Api,
  AuthenticationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { beforeAll, expect, it } from 'vitest';
import {
  adminKubeConfig,
  createNamespace,
  createServiceAccount,
  describeWithCluster,
  eventually,
  statusOf,
  uniqueName,
} from '../support/kube.js';

describeWithCluster('the test control plane', () => {
  let admin: KubeConfig;
  let ns: string;

  beforeAll(async () => {
    admin = adminKubeConfig();
    ns = await createNamespace(admin, 'infra');
  });

  it('creates a namespace that the API then lists as active', async () => {
    const name = await createNamespace(admin, 'infra-list');
    const got = await admin.makeApiClient(CoreV1Api).readNamespace({ name });
    expect(got.metadata?.name).toBe(name);
    expect(got.status?.phase).toBe('Active');
  });

  it('serves a custom resource once its CRD is established', async () => {
    const group = `${uniqueName('t')}.sealops.dev`;
    const ext = admin.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
                },
              },
            },
          ],
        },
      },
    });
    await eventually('the CRD to be established', async () => {
      const crd = await ext.readCustomResourceDefinition({ name: `widgets.${group}` });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
    const objects = KubernetesObjectApi.makeApiClient(admin);
    const widget = { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1', namespace: ns }, spec: { size: 3 } };
    // Discovery of a brand-new group can lag the Established condition by a moment.
    await eventually('the custom object to be created', () => objects.create(widget));
    const read = await objects.read<KubernetesObject & { spec: { size: number } }>({
      apiVersion: widget.apiVersion,
      kind: 'Widget',
      metadata: { name: 'w1', namespace: ns },
    });
    expect(read.spec.size).toBe(3);
    // The schema is enforced: a string where an integer belongs is refused.
    const bad = { ...widget, metadata: { name: 'w2', namespace: ns }, spec: { size: 'three' } };
    expect(await statusOf(objects.create(bad))).toBe(422);
  });

  it('applies server-side, records the field manager and refuses a conflicting manager', async () => {
    const objects = KubernetesObjectApi.makeApiClient(admin);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa', namespace: ns }, data: { color: 'blue' } };
    await objects.patch(cm, undefined, undefined, 'sealops-test', true, PatchStrategy.ServerSideApply);
    const applied = await objects.patch<KubernetesObject & { data?: Record<string, string> }>(
      { ...cm, data: { color: 'green', size: 'L' } },
      undefined,
      undefined,
      'sealops-test',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(applied.data).toEqual({ color: 'green', size: 'L' });
    expect(applied.metadata?.managedFields?.map((m) => m.manager)).toContain('sealops-test');

    const rival = { ...cm, data: { color: 'red' } };
    expect(await statusOf(objects.patch(rival, undefined, undefined, 'someone-else', false, PatchStrategy.ServerSideApply))).toBe(409);
    const after = await admin.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'ssa', namespace: ns });
    expect(after.data?.color).toBe('green');
  });

  it('authenticates a minted service-account token and denies what RBAC does not grant', async () => {
    const sa = await createServiceAccount(admin, ns, 'reader', {
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    });
    const review = await admin.makeApiClient(AuthenticationV1Api).createTokenReview({ body: { spec: { token: sa.token } } });
    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.user?.username).toBe(`system:serviceaccount:${ns}:reader`);

    const asReader = sa.kubeConfig.makeApiClient(CoreV1Api);
    const list = await asReader.listNamespacedConfigMap({ namespace: ns });
    expect(list.items.map((c) => c.metadata?.name)).toContain('ssa');
    expect(await statusOf(asReader.listNamespacedSecret({ namespace: ns }))).toBe(403);
    expect(await statusOf(asReader.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'nope' } } }))).toBe(403);
    expect(await statusOf(asReader.listNamespacedConfigMap({ namespace: 'default' }))).toBe(403);
  });

  it('rejects a token that the API server did not sign', async () => {
    const sa = await createServiceAccount(admin, ns, 'forged');
    const [header, payload] = sa.token.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not a signature').toString('base64url')}`;
    const review = await admin.makeApiClient(AuthenticationV1Api).createTokenReview({ body: { spec: { token: forged } } });
    expect(review.status?.authenticated).not.toBe(true);
  });

  it('garbage-collects dependents and finalizes a deleted namespace (kube-controller-manager)', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const gcNs = await createNamespace(admin, 'infra-gc');
    const owner = await core.createNamespacedConfigMap({ namespace: gcNs, body: { metadata: { name: 'owner' } } });
    await core.createNamespacedConfigMap({
      namespace: gcNs,
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! }],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace: gcNs });
    await eventually('the dependent to be garbage-collected', async () =>
      (await statusOf(core.readNamespacedConfigMap({ name: 'dependent', namespace: gcNs }))) === 404 ? true : undefined,
    );
    await core.deleteNamespace({ name: gcNs });
    await eventually('the namespace to be finalized', async () =>
      (await statusOf(core.readNamespace({ name: gcNs }))) === 404 ? true : undefined,
    );
  });
});
