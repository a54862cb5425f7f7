// The agent on a kustomize repository laid out like a platform team's, end to end: the real
// control plane, the real kustomize binary and a real smart-HTTP git server. Each overlay is
// synced by its own Sync; what lands in the cluster equals `kustomize build` of the overlay with
// the Secrets unsealed; `sealops build` renders the same; every refusal applies nothing; and a
// post-build value from a Secret never reaches status, events or logs.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tempDir } from '../cli/helpers.js';
import { describeWithCluster } from '../support/kube.js';
import { createRepo, serveHttp, type GitServer, type TestRepo } from '../support/git-servers.js';
import { AgentRunner, createNs, createSync, exists, getSync, makeClusterKeys, publishedText, secretValue, secretValues, setUpAgent, sopsSeal, type ClusterKeys } from './agent-harness.js';
import { kustomizeBuild, PLAIN, teamRepository } from '../support/kustomize-repo.js';
import { Logger, reconcileSync, type KubeClient } from '../../src/index.js';

let client: KubeClient;
let agentNs: string;
let keys: ClusterKeys;
let repo: TestRepo;
let server: GitServer;
let runner: AgentRunner;
let syncNs: string;
let overlays: Record<string, string>;
let files: Map<string, string>;

const repoKeys = () => ({ identity: keys.ageIdentity, recipient: keys.ageRecipient, rsaPem: keys.rsaPrivatePem });
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; data?: Record<string, string>; spec?: Record<string, unknown> };

function pathOf(o: Obj): string {
  const ns = o.metadata.namespace;
  const plural = { Deployment: 'deployments', Service: 'services', ConfigMap: 'configmaps', Secret: 'secrets' }[o.kind]!;
  return o.apiVersion === 'v1' ? `/api/v1/namespaces/${ns}/${plural}/${o.metadata.name}` : `/apis/${o.apiVersion}/namespaces/${ns}/${plural}/${o.metadata.name}`;
}

async function sync(name: string, spec: Record<string, unknown>): Promise<void> {
  await createSync(client, syncNs, name, { source: { url: server.url, ref: { branch: 'main' }, secretRef: { name: 'git-auth' } }, interval: '1m', ...spec });
}

describeWithCluster('the agent on kustomize overlays', () => {
  beforeAll(async () => {
    keys = makeClusterKeys();
    ({ client, agentNs } = await setUpAgent(keys));
    syncNs = await createNs(client, 'sync-kz');
    overlays = { staging: await createNs(client, 'shop-staging'), production: await createNs(client, 'shop-prod') };
    repo = createRepo();
    const http = await serveHttp(repo.bareDir);
    server = http;
    await client.request('POST', `/api/v1/namespaces/${syncNs}/secrets`, {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'git-auth' }, stringData: { username: http.username, password: http.token } },
    });
    files = await teamRepository(repoKeys(), overlays);
    repo.commitFiles(Object.fromEntries(files), 'team layout');
    runner = new AgentRunner(client, agentNs);
    for (const env of Object.keys(overlays)) await sync(env, { path: `overlays/${env}` });
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
    runner?.cleanup();
    client?.close();
  });

  it('applies each overlay as kustomize builds it, Secrets unsealed, hash suffixes applied and referenced', async () => {
    for (const [env, ns] of Object.entries(overlays)) {
      const outcome = await runner.reconcile(syncNs, env);
      expect(outcome.message).toContain('@sha1:');
      expect(outcome.reason).toBe('ReconciliationSucceeded');
      const expected = kustomizeBuild(files, `overlays/${env}`) as Obj[];
      for (const o of expected.filter((x) => x.kind !== 'SealedSecret' && x.kind !== 'Secret')) {
        const live = await client.request<Obj>('GET', pathOf(o));
        expect(live.metadata.labels ?? {}).toMatchObject(o.metadata.labels ?? {});
        if (o.data) expect(live.data).toEqual(o.data);
        if (o.kind === 'Deployment') expect((live.spec as { replicas: number }).replicas).toBe((o.spec as { replicas: number }).replicas);
      }
      const db = expected.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith(`${env}-db-`))!;
      expect(await secretValues(client, ns, db.metadata.name)).toEqual({ DB_PASSWORD: PLAIN.dbPassword, DB_USER: PLAIN.dbUser });
      expect(await secretValues(client, ns, `${env}-api`)).toEqual({ token: PLAIN.apiToken });
      expect(await secretValues(client, ns, `${env}-tls`)).toEqual({ 'tls.key': PLAIN.tlsKey });
      const deployment = JSON.stringify(await client.request('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${env}-web`));
      expect(deployment).toContain(`"name":"${db.metadata.name}"`);
      expect(deployment).toContain('"image":"registry.k8s.io/pause:3.9"');
    }
    expect(runner.logs.join('\n')).not.toContain(PLAIN.dbPassword);
  });

  it('renders with sealops build exactly what the agent applied, for every overlay', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      writeFileSync(join(dir, 'age.txt'), keys.ageIdentity);
      writeFileSync(join(dir, 'rsa.pem'), keys.rsaPrivatePem);
      for (const [env, ns] of Object.entries(overlays)) {
        // The CLI on the team's checkout, as CI runs it on a pull request.
        const r = await run(['build', join(repo.workDir, 'overlays', env), '-k', 'age.txt', '-k', 'rsa.pem'], { cwd: dir });
        expect(r.stderr).toBe('');
        const local = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
        const sync = await getSync(client, syncNs, env);
        const ids = (sync.status?.inventory?.entries ?? []).map((e) => e.id);
        expect(ids).toHaveLength(local.length);
        for (const o of local) {
          expect(o.metadata.namespace).toBe(ns);
          const live = await client.request<Obj>('GET', pathOf(o));
          if (o.kind === 'Secret' || o.kind === 'ConfigMap') expect(live.data).toEqual(o.data);
          if (o.kind === 'Deployment') expect(live.spec!.template).toMatchObject(o.spec!.template as object);
        }
      }
    } finally {
      await cleanup();
    }
  });

  it('changing one sealed dotenv value creates the new hash-suffixed Secret, updates the reference and prunes the old one', async () => {
    const ns = overlays.staging!;
    const before = kustomizeBuild(files, 'overlays/staging').find((o) => (o as Obj).kind === 'Secret' && (o as Obj).metadata.name.startsWith('staging-db-')) as Obj;
    const changed = await teamRepository(repoKeys(), overlays, 'rotated-db-password-1');
    repo.commitFiles({ 'base/db.env': changed.get('base/db.env')! }, 'rotate db password');
    files.set('base/db.env', changed.get('base/db.env')!);
    const outcome = await runner.reconcile(syncNs, 'staging');
    expect(outcome.reason).toBe('ReconciliationSucceeded');
    const after = kustomizeBuild(files, 'overlays/staging').find((o) => (o as Obj).kind === 'Secret' && (o as Obj).metadata.name.startsWith('staging-db-')) as Obj;
    expect(after.metadata.name).not.toBe(before.metadata.name);
    expect(await secretValues(client, ns, after.metadata.name)).toEqual({ DB_PASSWORD: 'rotated-db-password-1', DB_USER: PLAIN.dbUser });
    expect(await exists(client, `/api/v1/namespaces/${ns}/secrets/${before.metadata.name}`)).toBe(false);
    expect(JSON.stringify(await client.request('GET', `/apis/apps/v1/namespaces/${ns}/deployments/staging-web`))).toContain(`"name":"${after.metadata.name}"`);
  });

  it('refuses each unsafe build with a status naming the file, and applies nothing of it', async () => {
    const victim = await createNs(client, 'victim');
    const canary = stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'canary', namespace: victim }, data: { a: 'b' } });
    const sealedForVictim = sopsSeal({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: victim }, stringData: { password: secretValue('victim-pw') } }, keys.ageRecipient);
    const cases: Record<string, { files: Record<string, string>; reason: string; message: RegExp }> = {
      remote: { files: { 'bad/remote/kustomization.yaml': stringify({ resources: ['canary.yaml', 'https://github.com/org/repo//base?ref=v1'] }) }, reason: 'BuildFailed', message: /bad\/remote\/kustomization\.yaml: remote resources/ },
      escape: { files: { 'bad/escape/kustomization.yaml': stringify({ resources: ['canary.yaml', '../../../etc'] }) }, reason: 'BuildFailed', message: /bad\/escape\/kustomization\.yaml: resources "\.\.\/\.\.\/\.\.\/etc" leaves the repository/ },
      exec: {
        files: {
          'bad/exec/kustomization.yaml': stringify({ resources: ['canary.yaml'], generators: ['fn.yaml'] }),
          'bad/exec/fn.yaml': stringify({ apiVersion: 'x.example/v1', kind: 'Gen', metadata: { name: 'g', annotations: { 'config.kubernetes.io/function': 'exec:\n  path: ./run.sh\n' } } }),
        },
        reason: 'BuildFailed',
        message: /bad\/exec\/kustomization\.yaml: KRM functions/,
      },
      helm: { files: { 'bad/helm/kustomization.yaml': stringify({ resources: ['canary.yaml'], helmCharts: [{ name: 'nginx', repo: 'https://charts.example.com' }] }) }, reason: 'BuildFailed', message: /Helm chart inflation/ },
      moved: {
        files: { 'bad/moved/db.yaml': sealedForVictim, 'bad/moved/kustomization.yaml': stringify({ namespace: overlays.staging, resources: ['canary.yaml', 'db.yaml'] }) },
        reason: 'DecryptionFailed',
        message: new RegExp(`bad/moved/db\\.yaml was sealed for namespace ${victim} and may not be moved to ${overlays.staging!} \\(scope\\)`),
      },
    };
    const commit: Record<string, string> = {};
    for (const [name, c] of Object.entries(cases)) Object.assign(commit, c.files, { [`bad/${name}/canary.yaml`]: canary });
    repo.commitFiles(commit, 'unsafe builds');
    for (const [name, c] of Object.entries(cases)) {
      await sync(`bad-${name}`, { path: `bad/${name}` });
      const outcome = await runner.reconcile(syncNs, `bad-${name}`);
      expect(outcome.ok).toBe(false);
      expect(outcome.reason).toBe(c.reason);
      expect(outcome.message).toMatch(c.message);
      const ready = (await getSync(client, syncNs, `bad-${name}`)).status?.conditions?.find((x) => x.type === 'Ready');
      expect(ready).toMatchObject({ status: 'False', reason: c.reason });
      expect(ready?.message).toMatch(c.message);
    }
    // Over the output cap: the agent's configured limit, same folder layout.
    await sync('bad-big', { path: 'overlays/production' });
    const big = await reconcileSync(
      { client, discovery: runner.discovery, log: new Logger(() => undefined), agentNamespace: agentNs, workRoot: runner.workRoot, kustomize: { maxOutputBytes: 2048 } },
      await getSync(client, syncNs, 'bad-big'),
    );
    expect(big).toMatchObject({ ok: false, reason: 'BuildFailed' });
    expect(big.message).toMatch(/overlays\/production\/kustomization\.yaml: the build output exceeds 2048 bytes/);
    expect(await exists(client, `/api/v1/namespaces/${victim}/configmaps/canary`)).toBe(false);
    expect(await exists(client, `/api/v1/namespaces/${overlays.staging!}/configmaps/canary`)).toBe(false);
  });

  it('substitutes post-build values from a ConfigMap and a Secret; the Secret value never reaches status, events or logs, even when the API server rejects the object', async () => {
    const ns = await createNs(client, 'postbuild');
    const token = secretValue('pb-token');
    await client.request('POST', `/api/v1/namespaces/${syncNs}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-vars' }, data: { cluster: 'eu-1' } } });
    await client.request('POST', `/api/v1/namespaces/${syncNs}/secrets`, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cluster-secrets' }, stringData: { token } } });
    const cm = (labels: Record<string, string>) => stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns, labels }, data: { cluster: '${cluster}', token: '${token}', region: '${region:=eu-west}' } });
    repo.commitFiles({ 'vars/settings.yaml': cm({ cluster: '${cluster}' }), 'rejected/settings.yaml': cm({ bad: '!!${token}' }) }, 'post-build');
    const postBuild = { substituteFrom: [{ kind: 'ConfigMap', name: 'cluster-vars' }, { kind: 'Secret', name: 'cluster-secrets' }, { kind: 'Secret', name: 'absent', optional: true }] };
    await sync('vars', { path: 'vars', postBuild });
    expect((await runner.reconcile(syncNs, 'vars')).reason).toBe('ReconciliationSucceeded');
    const live = await client.request<Obj>('GET', `/api/v1/namespaces/${ns}/configmaps/settings`);
    expect(live.data).toEqual({ cluster: 'eu-1', token, region: 'eu-west' });
    expect(live.metadata.labels).toMatchObject({ cluster: 'eu-1' });

    await sync('rejected', { path: 'rejected', postBuild });
    const rejected = await runner.reconcile(syncNs, 'rejected');
    expect(rejected).toMatchObject({ ok: false, reason: 'ApplyFailed' });
    expect(rejected.message).toMatch(/Invalid value/);
    for (const name of ['vars', 'rejected']) expect(await publishedText(client, syncNs, name)).not.toContain(token);
    expect(rejected.message).not.toContain(token);
    expect(runner.logs.join('\n')).not.toContain(token);
  });
});
