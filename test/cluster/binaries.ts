/**
 * Finds the control-plane binaries, building them with Go when they are missing and Go is
 * there, and otherwise explaining both ways to get them.
 *
 * Order: `KUBEBUILDER_ASSETS` when it names a folder holding both etcd and kube-apiserver (the
 * envtest convention, so `setup-envtest` users need nothing else); then the build cache
 * (`~/.cache/sealops/bin`, filled by tools/build-assets.sh); then PATH.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheBinDir, findPeer, isExecutable } from '../support/peers.js';

/** Absolute paths of the control-plane binaries. */
export interface ControlPlaneBinaries {
  /** etcd. */
  etcd: string;
  /** kube-apiserver. */
  kubeApiserver: string;
  /** kube-controller-manager; envtest's asset folders do not carry it, so it is optional. */
  kubeControllerManager: string | undefined;
}

/** The binaries are missing and cannot be built here. The message names both ways out. */
export class MissingControlPlaneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingControlPlaneError';
  }
}

/** The message shown when neither KUBEBUILDER_ASSETS nor Go can supply the binaries. */
export function missingControlPlaneMessage(env: NodeJS.ProcessEnv = process.env): string {
  const assets = env.KUBEBUILDER_ASSETS;
  const why = assets
    ? `KUBEBUILDER_ASSETS=${assets} does not hold both etcd and kube-apiserver`
    : 'KUBEBUILDER_ASSETS is not set';
  return (
    `failed to find the control plane (etcd, kube-apiserver): ${why}, they are not in ${cacheBinDir(env)}, ` +
    'and no Go toolchain is on PATH to build them. Either set KUBEBUILDER_ASSETS to a folder with etcd and ' +
    'kube-apiserver (e.g. `setup-envtest use -p path`), or install Go (https://go.dev/dl) and run ' +
    '`npm run assets` (tools/build-assets.sh builds them into ~/.cache/sealops/bin)'
  );
}

/** True when `go` is an executable on env's PATH. */
export function hasGo(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => isExecutable(join(dir, 'go')));
}

/** The binaries if present now (no building), else undefined. */
export function locateControlPlane(env: NodeJS.ProcessEnv = process.env): ControlPlaneBinaries | undefined {
  const assets = env.KUBEBUILDER_ASSETS;
  if (assets && existsSync(join(assets, 'etcd')) && existsSync(join(assets, 'kube-apiserver'))) {
    return {
      etcd: join(assets, 'etcd'),
      kubeApiserver: join(assets, 'kube-apiserver'),
      kubeControllerManager: findPeer('kube-controller-manager', env),
    };
  }
  // KUBEBUILDER_ASSETS without both binaries is ignored here, so the lookup goes on elsewhere.
  const rest = { ...env, KUBEBUILDER_ASSETS: undefined };
  const etcd = findPeer('etcd', rest);
  const kubeApiserver = findPeer('kube-apiserver', rest);
  if (!etcd || !kubeApiserver) return undefined;
  return { etcd, kubeApiserver, kubeControllerManager: findPeer('kube-controller-manager', rest) };
}

/** The repository root: the nearest folder above this file holding tools/build-assets.sh. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'tools', 'build-assets.sh'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('failed to find the repository root: no tools/build-assets.sh above the harness');
    dir = parent;
  }
}

/** Runs tools/build-assets.sh control-plane, its output going to our stderr. */
function buildWithGo(env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot(), 'tools', 'build-assets.sh'), 'control-plane'], {
      stdio: ['ignore', process.stderr, process.stderr],
      env,
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`failed to build the control plane: tools/build-assets.sh exited ${code}`)),
    );
  });
}

/**
 * The binaries, building them once with Go when they are missing (a cold build takes tens of
 * minutes on two cores; later runs reuse the cache). Throws {@link MissingControlPlaneError}
 * when they are missing and there is no Go.
 */
export async function ensureControlPlane(env: NodeJS.ProcessEnv = process.env): Promise<ControlPlaneBinaries> {
  const found = locateControlPlane(env);
  if (found) return found;
  if (!hasGo(env)) throw new MissingControlPlaneError(missingControlPlaneMessage(env));
  process.stderr.write('sealops: building etcd and kube-apiserver with Go once (cached in ~/.cache/sealops)…\n');
  await buildWithGo(env);
  const built = locateControlPlane(env);
  if (!built) throw new MissingControlPlaneError(missingControlPlaneMessage(env));
  return built;
}

/**
 * What to do when the control plane is missing: on CI (`CI=true`) the run must fail, because a
 * skipped integration suite would pass silently; on a developer machine tests that need the
 * cluster are skipped with the message instead.
 */
export function onMissingControlPlane(env: NodeJS.ProcessEnv = process.env): 'fail' | 'skip' {
  const ci = (env.CI ?? '').toLowerCase();
  return ci === 'true' || ci === '1' ? 'fail' : 'skip';
}
