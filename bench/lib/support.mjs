// Shared set-up of the agent benchmarks: the Sync CRD, the agent namespace with its keys Secret,
// and a Sync named `bench` reading `spec` from a repository.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Discovery, Logger, sealSecret } from '../../dist/src/index.js';

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

/** A temp folder with `repo/` inside and `git(...args)` running there with a neutral identity and no user config. */
export function benchRepo(prefix) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const repo = join(root, 'repo');
  const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x.invalid', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x.invalid' };
  const git = (...args) => execFileSync('git', args, { cwd: repo, env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  return { root, repo, git };
}

/**
 * Commits to `repo` (on a new `main`) the folder `apps/` of the agent benchmarks: the `namespaces`
 * (in `namespacesFile`), `configMaps` ConfigMaps and `sealed` SealedSecrets sealed for
 * `publicKey`, spread over the namespaces in turn.
 */
export function commitBenchApps({ repo, git }, { namespaces, namespacesFile = 'namespaces.yaml', configMaps, sealed, publicKey }) {
  mkdirSync(join(repo, 'apps'), { recursive: true });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'apps', namespacesFile), namespaces.map((name) => stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })).join('---\n'));
  for (let i = 0; i < configMaps; i++) {
    const namespace = namespaces[i % namespaces.length];
    writeFileSync(join(repo, 'apps', `cm-${i}.yaml`), stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace }, data: { index: String(i), payload: 'x'.repeat(200) } }));
  }
  for (let i = 0; i < sealed; i++) {
    const namespace = namespaces[i % namespaces.length];
    const secret = sealSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `secret-${i}`, namespace }, stringData: { password: randomBytes(16).toString('hex') } }, publicKey);
    writeFileSync(join(repo, 'apps', `secret-${i}.yaml`), stringify(secret));
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'bench');
}

/** The reconcile context of a long-running agent (memories kept between reconciles), quiet unless `log` is given. */
export function benchAgentContext(client, root, log = new Logger(() => undefined)) {
  return { client, discovery: new Discovery(client), log, agentNamespace: 'sealops-system', workRoot: join(root, 'work'), concurrency: 16, applyCaches: new Map(), decryptMemos: new Map(), buildMemos: new Map() };
}

/**
 * Watches this thread's event loop with a 5 ms timer; `stop()` returns the largest gap between
 * its ticks (a stall lasting to the end included): how long /healthz or a Lease renewal would
 * have waited.
 */
export function stallMeter() {
  let last = performance.now();
  let worst = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  return {
    stop() {
      clearInterval(tick);
      return Math.max(worst, performance.now() - last);
    },
  };
}
