// The README's "Running in a cluster", step by step, against the real control plane, with the
// agent run the way its pod runs it: the built CLI (dist/) with the args of deploy/'s Deployment,
// in a private mount namespace (`unshare -m`) where a service-account token minted through the
// TokenRequest API, the CA and the namespace are mounted at /var/run/secrets/kubernetes.io/
// serviceaccount, and KUBERNETES_SERVICE_HOST/PORT set. It holds exactly the RBAC of deploy/.
//
// Step 8 runs the same sync from the image built by the real buildah from deploy/Dockerfile
// (tools/build-image-local.sh: a local Debian + Node base, no registry), as 65532 with the token,
// CA and namespace mounted where Kubernetes mounts them. What differs from a pod: buildah runs it
// with chroot isolation (no runtime enforces readOnlyRootFilesystem here), and `kustomize build
// deploy/` is applied with server-side apply through sealops's installer instead of
// `kubectl apply -k` (no kubectl binary here).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { adminKubeconfigPath, describeWithCluster, eventually } from '../support/kube.js';
import { createRepo, serveFile, type TestRepo } from '../support/git-servers.js';
import { cacheBinDir, peerPath } from '../support/peers.js';
import { cleanCheckout, repoRoot } from '../support/checkout.js';
import { adminClient, exists, getSync, secretValue, secretValues, stopAgent } from './agent-harness.js';
import { configMap } from './agent-fixtures.js';
import { run } from '../cli/helpers.js';
import { freePort } from '../cluster/process.js';
import { installObjects, uninstallObjects, KubeApiError, KubeClient, loadKubeConnection, type InstallObject } from '../../src/index.js';

const CLI = join(repoRoot, 'dist', 'cli', 'sealops.js');
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
// An overlay of deploy/ with its own namespace and name suffix, so this file never touches the
// objects other test files install from deploy/ into sealops-system (the CRD is shared).
const NS = 'sealops-e2e';
const SFX = '-e2e';
const AGENT = `sealops-agent${SFX}`;
const SYNC_ROLE = `sealops-sync${SFX}`;
let installed: InstallObject[] = [];
const imageCache = join(cacheBinDir(), '..', 'image');

let admin: KubeClient;
let dir: string;
let repo: TestRepo;
let agent: ChildProcess | undefined;
let agentLog = '';
let token: string;
let server: URL;
const apps = `apps-${Date.now().toString(36)}`;

/** A client that holds nothing but the agent's minted token (and the cluster CA). */
function agentClient(): KubeClient {
  const kubeconfig = join(dir, 'agent-kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'agent',
      contexts: [{ name: 'agent', context: { cluster: 'c', user: 'agent' } }],
      clusters: [{ name: 'c', cluster: { server: server.href, 'certificate-authority': join(dir, 'sa', 'ca.crt') } }],
      users: [{ name: 'agent', user: { token } }],
    }),
    { mode: 0o600 },
  );
  return new KubeClient(loadKubeConnection({ kubeconfig, env: {} }));
}

async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    if (err instanceof KubeApiError) return err.status;
    throw err;
  }
}

beforeAll(async () => {
  if (spawnSync('unshare', ['-m', 'true']).status !== 0) throw new Error('failed to run unshare -m: this test needs root (or CAP_SYS_ADMIN) for a private mount namespace');
  admin = adminClient();
  dir = mkdtempSync(join(tmpdir(), 'sealops-incluster-'));
  const conn = loadKubeConnection(adminKubeconfigPath());
  server = new URL(conn.server);
  const opts: import('node:https').RequestOptions = {};
  await conn.apply(opts);
  mkdirSync(join(dir, 'sa'));
  writeFileSync(join(dir, 'sa', 'ca.crt'), String(opts.ca));
  repo = createRepo();
}, 120_000);

afterAll(async () => {
  await stopAgent(agent);
  admin?.close();
  repo?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describeWithCluster('the control plane', () => {
  it('answers /version with the release kube-apiserver was built from, so helm can check kubeVersion', async () => {
    const built = readFileSync(join(cacheBinDir(), 'kube-apiserver.version'), 'utf8').split(/\s+/)[0]!;
    expect(built).toMatch(/^v1\.\d+\.\d+$/);
    const version = await admin.request<{ gitVersion: string; major: string; minor: string }>('GET', '/version');
    expect(version.gitVersion).toBe(built);
    expect(`v${version.major}.${version.minor}`).toBe(built.split('.').slice(0, 2).join('.'));
    // helm reads the server's version for the chart's kubeVersion (>=1.30): an unstamped v0.0.0 fails here.
    const rendered = execFileSync(peerPath('helm'), [
      // Own names: --validate refuses to render over objects another install already owns.
      'template', 'sealops', join(repoRoot, 'deploy', 'chart'), '--namespace', `${NS}-helm`, '--set', `name=sealops-agent${SFX}-helm,syncClusterRole=sealops-sync${SFX}-helm,reencryptClusterRole=sealops-reencrypt${SFX}-helm`,
      '--validate', '--kubeconfig', adminKubeconfigPath(),
    ], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HELM_CACHE_HOME: join(dir, 'helm'), HELM_CONFIG_HOME: join(dir, 'helm'), HELM_DATA_HOME: join(dir, 'helm') },
    });
    expect(rendered).toContain('kind: Deployment');
  });
});

describeWithCluster('running in a cluster, as the README says', () => {
  it('1. kubectl apply -k deploy/ installs the Namespace, CRD, RBAC and Deployment', async () => {
    const overlay = join(dir, 'overlay');
    mkdirSync(overlay);
    writeFileSync(join(overlay, 'kustomization.yaml'), stringify({ resources: [relative(overlay, join(repoRoot, 'deploy'))], namespace: NS, nameSuffix: SFX }));
    const built = execFileSync(peerPath('kustomize'), ['build', overlay], { encoding: 'utf8' });
    installed = parseAllDocuments(built).map((d) => d.toJS() as InstallObject);
    const applied = await installObjects(admin, installed);
    expect(applied.map((a) => a.object)).toEqual(expect.arrayContaining([`Namespace/${NS}`, 'CustomResourceDefinition/syncs.sealops.dev', `Deployment/${NS}/${AGENT}`, `ClusterRole/${SYNC_ROLE}`]));
    expect(await exists(admin, `/apis/apps/v1/namespaces/${NS}/deployments/${AGENT}`)).toBe(true);
  });

  it('2. the agent starts with only its service-account token and makes the cluster keys', async () => {
    const minted = await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${NS}/serviceaccounts/${AGENT}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    });
    token = minted.status.token;
    writeFileSync(join(dir, 'sa', 'token'), token, { mode: 0o600 });
    writeFileSync(join(dir, 'sa', 'namespace'), NS);
    // The container's args, exactly as deploy/ ships them (the port moved off 8080).
    const dep = await admin.request<{ spec: { template: { spec: { containers: { args: string[] }[] } } } }>('GET', `/apis/apps/v1/namespaces/${NS}/deployments/${AGENT}`);
    const args = dep.spec.template.spec.containers[0]!.args;
    const port = await freePort();
    const agentArgs = args.map((a, i) => (args[i - 1] === '--listen' ? String(port) : a));
    expect(agentArgs).toContain('--default-service-account');
    mkdirSync(join(dir, 'work'));
    const script = `mount -t tmpfs -o size=1m tmpfs ${SA_DIR} && cp "$SA_SRC"/token "$SA_SRC"/ca.crt "$SA_SRC"/namespace ${SA_DIR}/ && exec "$NODE" "$CLI" "$@"`;
    agent = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ...agentArgs], {
      env: {
        PATH: process.env.PATH,
        HOME: '/nonexistent',
        NODE: process.execPath,
        CLI,
        SA_SRC: join(dir, 'sa'),
        KUBERNETES_SERVICE_HOST: server.hostname,
        KUBERNETES_SERVICE_PORT: server.port,
        SEALOPS_NAMESPACE: NS,
        SEALOPS_WORK_DIR: join(dir, 'work'),
        POD_NAME: `${AGENT}-0`,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    agent.stderr!.setEncoding('utf8').on('data', (c: string) => (agentLog += c));
    const cm = await eventually(
      'the agent to publish sealops-public-keys',
      async () => {
        if (agent?.exitCode !== null) throw new Error(`the agent exited: ${agentLog}`);
        return (await admin.request<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${NS}/configmaps/sealops-public-keys`).catch(() => undefined))?.data;
      },
      120_000,
    );
    expect(cm['cert.pem']).toContain('BEGIN CERTIFICATE');
    writeFileSync(join(dir, 'cert.pem'), cm['cert.pem']!);
    // The token file on this machine was never where the pod's is: the agent read its own mount.
    expect(spawnSync('test', ['-e', join(SA_DIR, 'token')]).status).not.toBe(0);
  }, 180_000);

  let password: string;
  it('3. a team prepares its namespace, seals a Secret with the published certificate and commits it', async () => {
    await admin.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: apps } } });
    await admin.request('POST', `/api/v1/namespaces/${apps}/serviceaccounts`, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sealops-sync' } } });
    await admin.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${apps}/rolebindings`, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'sealops-sync' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: SYNC_ROLE },
        subjects: [{ kind: 'ServiceAccount', name: 'sealops-sync', namespace: apps }],
      },
    });
    password = secretValue('db-password');
    const plain = stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: apps }, stringData: { password } });
    const sealed = await run(['seal', '--cert', join(dir, 'cert.pem')], { cwd: dir, stdin: plain });
    expect(sealed.status, sealed.stderr).toBe(0);
    expect(sealed.stdout).toContain('kind: SealedSecret');
    expect(sealed.stdout).not.toContain(password);
    repo.commitFiles({ 'apps/db.yaml': sealed.stdout, 'apps/config.yaml': configMap(apps, 'settings', { mode: 'production' }) });
  });

  it('4. a Sync applies it, the sealed Secret unsealed in memory, as the namespace\'s sealops-sync account', async () => {
    await admin.request('POST', `/apis/sealops.dev/v1alpha1/namespaces/${apps}/syncs`, {
      body: { apiVersion: 'sealops.dev/v1alpha1', kind: 'Sync', metadata: { name: 'apps' }, spec: { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, path: 'apps', interval: '1m' } },
    });
    const ready = await eventually(
      'the Sync to become Ready',
      async () => {
        if (agent?.exitCode !== null) throw new Error(`the agent exited: ${agentLog}`);
        const c = (await getSync(admin, apps, 'apps')).status?.conditions?.find((x) => x.type === 'Ready');
        if (c?.status === 'False' && c.reason !== 'Progressing') throw new Error(`the Sync failed: ${c.reason}: ${c.message}`);
        return c?.status === 'True' ? c : undefined;
      },
      120_000,
    );
    expect(ready.reason).toBe('ReconciliationSucceeded');
    expect(await secretValues(admin, apps, 'db')).toEqual({ password });
    expect(await exists(admin, `/api/v1/namespaces/${apps}/configmaps/settings`)).toBe(true);
    expect(agentLog).not.toContain(password);
  }, 180_000);

  it('5. what the agent must not do with its own token is denied', async () => {
    const self = agentClient();
    try {
      // It may read what it needs…
      expect(await statusOf(self.request('GET', `/api/v1/namespaces/${NS}/secrets/sealops-keys`))).toBe(200);
      expect(await statusOf(self.request('GET', '/apis/sealops.dev/v1alpha1/syncs'))).toBe(200);
      // …and nothing a tenant's Sync has no business with, nor anything that widens its rights.
      expect(await statusOf(self.request('GET', `/api/v1/namespaces/${apps}/secrets/db`))).toBe(403);
      expect(await statusOf(self.request('GET', '/api/v1/namespaces/kube-system/secrets'))).toBe(403);
      expect(await statusOf(self.request('GET', '/api/v1/secrets'))).toBe(403);
      expect(await statusOf(self.request('POST', `/api/v1/namespaces/${apps}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'by-agent' } } }))).toBe(403);
      expect(await statusOf(self.request('DELETE', `/api/v1/namespaces/${NS}/secrets/sealops-keys`))).toBe(403);
      expect(await statusOf(self.request('PUT', `/api/v1/namespaces/${NS}/secrets/sealops-keys`, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sealops-keys' } } }))).toBe(403);
      expect(await statusOf(self.impersonating({ user: 'admin', groups: ['system:masters'] }).request('GET', '/api/v1/namespaces'))).toBe(403);
      expect(await statusOf(self.request('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'sealops-agent-escalates' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: AGENT, namespace: NS }] },
      }))).toBe(403);
      // Through the namespace's account it reaches that namespace only.
      const asTenant = self.impersonating({ user: `system:serviceaccount:${apps}:sealops-sync` });
      expect(await statusOf(asTenant.request('GET', `/api/v1/namespaces/${apps}/secrets/db`))).toBe(200);
      expect(await statusOf(asTenant.request('GET', `/api/v1/namespaces/${NS}/secrets/sealops-keys`))).toBe(403);
    } finally {
      self.close();
    }
  });

  it('6. the install order has no race: the agent made one key set and kept it across restarts', async () => {
    const keys = await admin.request<{ metadata: { uid: string; resourceVersion: string }; data: Record<string, string> }>('GET', `/api/v1/namespaces/${NS}/secrets/sealops-keys`);
    expect(Object.keys(keys.data).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/\.agekey$/), expect.stringMatching(/\.pem$/)]));
    // A second agent (a restart, or a second replica) finds the keys and never replaces them.
    const again = await run(['agent', '--once', '--generate-keys', '--kubeconfig', join(dir, 'agent-kubeconfig'), '--agent-namespace', NS, '--namespace', apps, '--default-service-account', 'sealops-sync', '--work-dir', join(dir, 'work')], { cwd: dir });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^${apps}/apps\tReady\t`));
    const after = await admin.request<{ metadata: { uid: string; resourceVersion: string } }>('GET', `/api/v1/namespaces/${NS}/secrets/sealops-keys`);
    expect(after.metadata).toMatchObject({ uid: keys.metadata.uid, resourceVersion: keys.metadata.resourceVersion });
  });

  it('7. uninstall removes the agent and keeps the Syncs, what they applied and the keys; install brings it back', async () => {
    const exited = new Promise((r) => agent!.once('exit', r));
    agent!.kill('SIGTERM');
    await exited;
    // The library calls `sealops uninstall` / `install` make, on this file's overlay objects.
    const removed = await uninstallObjects(admin, installed);
    expect(removed).toEqual(expect.arrayContaining([{ object: `Deployment/${NS}/${AGENT}`, action: 'deleted' }, { object: 'CustomResourceDefinition/syncs.sealops.dev', action: 'kept' }, { object: `Namespace/${NS}`, action: 'kept' }]));
    expect(await exists(admin, `/apis/apps/v1/namespaces/${NS}/deployments/${AGENT}`)).toBe(false);
    expect(await exists(admin, `/apis/rbac.authorization.k8s.io/v1/clusterroles/sealops-agent-syncs${SFX}`)).toBe(false);
    expect(await secretValues(admin, apps, 'db')).toEqual({ password });
    expect(await exists(admin, `/api/v1/namespaces/${apps}/configmaps/settings`)).toBe(true);
    expect(await exists(admin, `/apis/sealops.dev/v1alpha1/namespaces/${apps}/syncs/apps`)).toBe(true);
    expect(await exists(admin, `/api/v1/namespaces/${NS}/secrets/sealops-keys`)).toBe(true);
    const back = await installObjects(admin, installed);
    expect(back).toContainEqual({ object: `Deployment/${NS}/${AGENT}`, action: 'applied' });
    expect(await exists(admin, `/apis/apps/v1/namespaces/${NS}/deployments/${AGENT}`)).toBe(true);
  });

  it('8. the image built from a clean clone by buildah runs the same sync with the mounted token', async () => {
    const clone = cleanCheckout();
    const buildah = (...args: string[]): string =>
      execFileSync('buildah', ['--root', join(imageCache, 'storage'), '--runroot', join(imageCache, 'run'), '--storage-driver', 'vfs', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    let ctr: string | undefined;
    const tag = `localhost/sealops:e2e-${process.pid}`;
    try {
      const built = spawnSync('bash', [join(repoRoot, 'tools', 'build-image-local.sh'), clone.dir, tag], { encoding: 'utf8', timeout: 1_500_000 });
      expect(built.status, built.stderr.slice(-3000)).toBe(0);
      const size = Number(built.stdout.trim().split('\n').pop());
      process.stdout.write(`sealops image: ${(size / 1e6).toFixed(1)} MB (${size} bytes)\n`);
      expect(size).toBeGreaterThan(0);
      const config = JSON.parse(buildah('inspect', '--type', 'image', tag)) as { OCIv1: { config: { User?: string; Entrypoint?: string[]; Env?: string[] } } };
      expect(config.OCIv1.config.User).toBe('65532:65532');
      expect(config.OCIv1.config.Env).toContain('HOME=/nonexistent');
      // The installed account was re-created by step 7: a fresh token for it.
      const minted = await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${NS}/serviceaccounts/${AGENT}/token`, {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
      });
      writeFileSync(join(dir, 'sa', 'token'), minted.status.token);
      // Kubernetes mounts the projected token 0644 (defaultMode 420); the container runs as 65532.
      chmodSync(join(dir, 'sa', 'token'), 0o644);
      const work = join(dir, 'image-work');
      const tmp = join(dir, 'image-tmp');
      for (const d of [work, tmp]) {
        mkdirSync(d);
        chownSync(d, 65532, 65532);
      }
      const password2 = secretValue('db-password-2');
      const plain = stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: apps }, stringData: { password: password2 } });
      const sealed = await run(['seal', '--cert', join(dir, 'cert.pem')], { cwd: dir, stdin: plain });
      expect(sealed.status, sealed.stderr).toBe(0);
      repo.commitFiles({ 'apps/db.yaml': sealed.stdout });
      // The agent runs as 65532, and git serves no repository owned by another user (safe.directory):
      // hand the repository (mounted as the file:// URL's path) to that user, as a git server pod would own it.
      execFileSync('chown', ['-R', '65532:65532', repo.bareDir]);
      ctr = buildah('from', '--pull=never', tag);
      // What Kubernetes would mount and set; the repository is mounted at the path its file:// URL names.
      const res = spawnSync(
        'buildah',
        [
          '--root', join(imageCache, 'storage'), '--runroot', join(imageCache, 'run'), '--storage-driver', 'vfs',
          'run', '--isolation', 'chroot', '--user', '65532:65532',
          // /var/run is a symlink to /run in the image; buildah mounts its own /run after
          // binds under /var/run, so the bind names the resolved path (the same files inside).
          '-v', `${join(dir, 'sa')}:${SA_DIR.replace(/^\/var\/run\//, '/run/')}:ro`, '-v', `${work}:/work`, '-v', `${tmp}:/tmp`, '-v', `${repo.bareDir}:${repo.bareDir}:ro`,
          '--env', `KUBERNETES_SERVICE_HOST=${server.hostname}`, '--env', `KUBERNETES_SERVICE_PORT=${server.port}`, '--env', `SEALOPS_NAMESPACE=${NS}`, '--env', 'SEALOPS_WORK_DIR=/work',
          ctr, '--', ...(config.OCIv1.config.Entrypoint ?? []), 'agent', '--once', '--default-service-account', 'sealops-sync', '--namespace', apps,
        ],
        { encoding: 'utf8', timeout: 300_000 },
      );
      expect(res.status, `${res.stdout}\n${res.stderr.slice(-3000)}`).toBe(0);
      expect(res.stdout).toMatch(new RegExp(`^${apps}/apps\tReady\tReconciliationSucceeded\t`));
      expect(await secretValues(admin, apps, 'db')).toEqual({ password: password2 });
      expect(res.stdout + res.stderr).not.toContain(password2);
      // deploy/ runs the container with readOnlyRootFilesystem and emptyDirs at /work and /tmp only,
      // as mounted here: the agent (65532) must not have written anything into the image's own
      // file system. buildah cannot mount the root read-only, so look for what it would have refused.
      const root = buildah('mount', ctr);
      const written = execFileSync('find', [root, '-xdev', '-user', '65532', '-print'], { encoding: 'utf8' }).trim();
      buildah('umount', ctr);
      expect(written).toBe('');
      // The agent's metrics library (prom-client, loaded only by the long-running agent) is in the image and runs on its Node.
      const scrape = "const m = await import('/app/dist/src/server/metrics.js'); process.stdout.write(await new m.AgentMetrics().render());";
      const metrics = buildah('run', '--isolation', 'chroot', '--user', '65532:65532', ctr, '--', 'node', '--input-type=module', '-e', scrape);
      expect(metrics).toContain('# TYPE sealops_reconcile_stage_duration_seconds histogram');
      expect(metrics).toMatch(/^process_cpu_user_seconds_total \d/m);
    } finally {
      if (ctr) buildah('rm', ctr);
      spawnSync('buildah', ['--root', join(imageCache, 'storage'), '--runroot', join(imageCache, 'run'), '--storage-driver', 'vfs', 'rmi', tag], { stdio: 'ignore' });
      clone.remove();
    }
  }, 1_800_000);
});
