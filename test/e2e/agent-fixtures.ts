// The fixture repository of the agent end-to-end tests, built in code so every run has fresh
// names and secret values: a Namespace, a CRD with an instance, a ConfigMap, a Deployment, a
// SOPS-sealed Secret (sealed by the real `sops` binary) and a SealedSecret.
import { stringify } from 'yaml';
import { sealedSecretYaml, sopsSeal, type ClusterKeys } from './agent-harness.js';

/** The values of one fixture, for assertions. */
export interface Fixture {
  appNs: string;
  group: string;
  files: Record<string, string>;
  sopsPassword: string;
  sealedToken: string;
}

/** The CRD (widgets.<group>) of the fixture. */
export function widgetCrd(group: string): string {
  return stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
        },
      ],
    },
  });
}

/** A ConfigMap manifest. */
export function configMap(ns: string, name: string, data: Record<string, string>): string {
  return stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data });
}

/** A Deployment manifest. */
export function deployment(ns: string, name: string): string {
  return stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] } },
    },
  });
}

/** The SealedSecret file for `token`. */
export function sealedFile(ns: string, token: string, keys: ClusterKeys): string {
  return sealedSecretYaml({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api-token', namespace: ns }, stringData: { token } }, keys);
}

/** The SOPS file for `password`. */
export function sopsFile(ns: string, password: string, keys: ClusterKeys): string {
  return sopsSeal({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: ns }, type: 'Opaque', stringData: { password, user: 'app' } }, keys.ageRecipient);
}

/** Builds the fixture under `deploy/` of the repository. */
export function makeFixture(appNs: string, keys: ClusterKeys, values: { sopsPassword: string; sealedToken: string }, withSops: boolean): Fixture {
  const group = `${appNs}.sealops.test`;
  const files: Record<string, string> = {
    'deploy/00-namespace.yaml': stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: appNs } }),
    'deploy/crd.yaml': widgetCrd(group),
    'deploy/widget.yaml': stringify({ apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1', namespace: appNs }, spec: { size: 3 } }),
    'deploy/config.yaml': configMap(appNs, 'settings', { mode: 'production' }),
    'deploy/app.yml': deployment(appNs, 'web'),
    'deploy/sealed.yaml': sealedFile(appNs, values.sealedToken, keys),
    'README.md': '# not a manifest\n',
  };
  if (withSops) files['deploy/db.sops.yaml'] = sopsFile(appNs, values.sopsPassword, keys);
  return { appNs, group, files, ...values };
}

/** A Secret manifest (`big` unless named) of `count` string keys: `key0`… or, with `canary`, `canary` then `key1`…. */
export function largeSecret(namespace: string, count: number, canary?: string, name = 'big'): string {
  let secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nstringData:\n`;
  if (canary !== undefined) secret += `  canary: ${canary}\n`;
  for (let i = canary === undefined ? 0 : 1; i < count; i++) secret += `  key${i}: value-${i}-of-a-large-sealed-secret\n`;
  return secret;
}
