// Shared set-up of the agent benchmarks: the Sync CRD, the agent namespace with its keys Secret,
// and a Sync named `bench` reading `spec` from a repository.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** Installs the CRD, creates `namespaces` (the agent's first) and the keys Secret, then the `bench` Sync. */
export async function prepareBenchSync(client, { keys, namespaces = ['sealops-system'], spec }) {
  const crd = parse(readFileSync(new URL('../../deploy/crd-sync.yaml', import.meta.url), 'utf8'));
  await client.request('PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, { body: crd, contentType: 'application/apply-patch+yaml', query: { fieldManager: 'bench', force: 'true' } });
  for (const name of namespaces) await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  await client.request('POST', `/api/v1/namespaces/${namespaces[0]}/secrets`, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sealops-keys' }, stringData: keys } });
  for (let i = 0; i < 100; i++) {
    try {
      await client.request('GET', '/apis/sealops.dev/v1alpha1/syncs');
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await client.request('POST', `/apis/sealops.dev/v1alpha1/namespaces/${namespaces[0]}/syncs`, { body: { apiVersion: 'sealops.dev/v1alpha1', kind: 'Sync', metadata: { name: 'bench' }, spec } });
}
