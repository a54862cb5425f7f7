/**
 * Where the real parts live. One helper for every binary the integration tests run:
 * the control plane (etcd, kube-apiserver, kube-controller-manager), the interop peers
 * (sops, kubeseal, sealed-secrets-controller) and Debian's age / age-keygen.
 *
 * Lookup order: KUBEBUILDER_ASSETS (control plane only), the build cache
 * ($SEALOPS_CACHE/bin, default ~/.cache/sealops/bin, filled by tools/build-assets.sh), then PATH.
 */
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Every binary a test may ask for. */
export type PeerName =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'sops'
  | 'kubeseal'
  | 'sealed-secrets-controller'
  | 'age'
  | 'age-keygen'
  | 'git'
  | 'sshd'
  | 'ssh'
  | 'kustomize'
  | 'helm'
  | 'chromium';

const CONTROL_PLANE = new Set<PeerName>(['etcd', 'kube-apiserver', 'kube-controller-manager']);

/** The folder tools/build-assets.sh fills, as seen through `env`. */
export function cacheBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.SEALOPS_CACHE ?? join(homedir(), '.cache', 'sealops'), 'bin');
}

/** True when `path` is a file this process may run. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Absolute path of `name`, or undefined when it is nowhere to be found. `env` defaults to the
 * process environment; tests pass their own to check the lookup without touching the machine.
 */
export function findPeer(name: PeerName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs: string[] = [];
  const assets = env.KUBEBUILDER_ASSETS;
  if (assets && CONTROL_PLANE.has(name)) dirs.push(assets);
  dirs.push(cacheBinDir(env));
  // sshd lives in /usr/sbin, which is not on every user's PATH.
  dirs.push(...(env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin');
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Absolute path of `name`; throws a message naming both ways to get it when it is missing.
 * Tests call this rather than skipping: on CI a missing peer is a failure, not a skip.
 */
export function peerPath(name: PeerName, env: NodeJS.ProcessEnv = process.env): string {
  const found = findPeer(name, env);
  if (found) return found;
  const how = CONTROL_PLANE.has(name)
    ? 'set KUBEBUILDER_ASSETS to a folder with etcd and kube-apiserver (setup-envtest), or run `npm run assets` with Go installed'
    : name === 'age' || name === 'age-keygen'
      ? 'install the Debian package `age` (apt-get install age)'
      : name === 'sshd' || name === 'ssh'
        ? 'install the Debian package `openssh-server` / `openssh-client`'
        : name === 'chromium'
          ? 'install the Debian package `chromium` (apt-get install chromium)'
          : 'run `npm run assets` with Go installed (builds it from the Go module proxy into ~/.cache/sealops/bin)';
  throw new Error(`failed to find ${name}: not in KUBEBUILDER_ASSETS, ${cacheBinDir(env)} or PATH; ${how}`);
}
