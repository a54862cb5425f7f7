// A repository laid out the way platform teams lay them out: base/, a component, and two
// overlays, with every sealed input kustomize can carry (SOPS dotenv for a secretGenerator, a
// SOPS-sealed Secret resource, a SealedSecret resource). Shared by the build, decrypt and e2e tests.
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { sealSops } from '../../src/formats/sops/index.js';
import { sealSecret } from '../../src/formats/sealedsecret/index.js';
import { peerPath } from './peers.js';
import { makeClusterKeys } from '../e2e/agent-harness.js';

/** Keys for one test repository (age identity text, its recipient, an RSA private key). */
export interface RepoKeys {
  readonly identity: string;
  readonly recipient: string;
  readonly rsaPem: string;
}

/** A fresh age identity (Debian's age-keygen) and RSA key. */
export function makeRepoKeys(): RepoKeys {
  const k = makeClusterKeys();
  return { identity: k.ageIdentity, recipient: k.ageRecipient, rsaPem: k.rsaPrivatePem };
}

/** The plaintext values sealed into the repository. */
export const PLAIN = { dbPassword: 'dotenv-pw-7f3a9c', dbUser: 'app-user-42', apiToken: 'sops-api-token-91d2', tlsKey: 'sealed-tls-key-5b8e' } as const;

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'registry.k8s.io/pause:3.10',
            envFrom: [{ secretRef: { name: 'db' } }, { configMapRef: { name: 'settings' } }],
            env: [{ name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }],
          },
        ],
      },
    },
  },
};

/** Overlay name → the namespace it deploys to. */
export const DEFAULT_OVERLAYS: Readonly<Record<string, string>> = { staging: 'shop-staging', production: 'shop-production' };

/** Files of the repository, by path. `dbPassword` overrides the sealed dotenv's password. */
export async function teamRepository(keys: RepoKeys, overlays: Readonly<Record<string, string>> = DEFAULT_OVERLAYS, dbPassword: string = PLAIN.dbPassword): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const recipients = [keys.recipient];
  files.set('base/deployment.yaml', stringify(deployment));
  files.set('base/service.yaml', stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }));
  files.set('base/db.env', await sealSops(`DB_PASSWORD=${dbPassword}\nDB_USER=${PLAIN.dbUser}\n`, { recipients, format: 'dotenv', source: 'base/db.env' }));
  // Sealed cluster-wide (bound `/`): each overlay places it and renames it with its prefix.
  files.set(
    'base/api-secret.yaml',
    await sealSops(stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api' }, stringData: { token: PLAIN.apiToken } }), { recipients, source: 'base/api-secret.yaml', scope: 'cluster-wide' }),
  );
  files.set(
    'base/kustomization.yaml',
    stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['deployment.yaml', 'service.yaml', 'api-secret.yaml'],
      configMapGenerator: [{ name: 'settings', literals: ['LOG_LEVEL=info'] }],
      secretGenerator: [{ name: 'db', envs: ['db.env'] }],
    }),
  );
  files.set('components/monitoring/kustomization.yaml', stringify({ apiVersion: 'kustomize.config.k8s.io/v1alpha1', kind: 'Component', commonAnnotations: { 'monitoring.example.com/scrape': 'true' } }));
  for (const [env, ns] of Object.entries(overlays)) {
    const sealed = sealSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls', namespace: ns }, stringData: { 'tls.key': PLAIN.tlsKey } }, createPublicKey(keys.rsaPem), {
      scope: 'namespace-wide',
    });
    files.set(`overlays/${env}/tls-sealed.yaml`, stringify(sealed));
    files.set(`overlays/${env}/replicas.yaml`, stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: env === 'production' ? 3 : 1 } }));
    files.set(`overlays/${env}/image.yaml`, stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.k8s.io/pause:3.9' }]));
    files.set(
      `overlays/${env}/kustomization.yaml`,
      stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: ns,
        namePrefix: `${env}-`,
        labels: [{ pairs: { env }, includeSelectors: false }],
        resources: ['../../base', 'tls-sealed.yaml'],
        components: ['../../components/monitoring'],
        patches: [{ path: 'replicas.yaml' }, { path: 'image.yaml', target: { kind: 'Deployment', name: 'web' } }],
        configMapGenerator: [{ name: 'settings', behavior: 'merge', literals: [`ENVIRONMENT=${env}`] }],
      }),
    );
  }
  return files;
}

/** The files as the source stage hands them over. */
export function asInputs(files: ReadonlyMap<string, string>): { path: string; content: Buffer }[] {
  return [...files].map(([path, text]) => ({ path, content: Buffer.from(text) }));
}

/** `kustomize build` of `folder`, run directly on the files written to a temporary folder. */
export function kustomizeBuild(files: ReadonlyMap<string, string>, folder: string): Record<string, unknown>[] {
  const dir = mkdtempSync(join(tmpdir(), 'sealops-kz-direct-'));
  try {
    for (const [path, text] of files) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const out = execFileSync(peerPath('kustomize'), ['build', join(dir, folder)], { encoding: 'utf8' });
    return parseAllDocuments(out).map((d) => d.toJS() as Record<string, unknown>);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `text` sealed by the real sops binary for `recipient`: no scope binding, as a team using plain sops writes it. */
export function sopsEncrypt(text: string, recipient: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealops-kz-sops-'));
  try {
    writeFileSync(join(dir, 'secret.yaml'), text);
    return execFileSync(peerPath('sops'), ['--encrypt', '--age', recipient, '--encrypted-regex', '^(data|stringData)$', join(dir, 'secret.yaml')], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
