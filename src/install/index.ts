// Barrel of src/install: the manifests of deploy/ (what `kubectl apply -k deploy/` installs) and
// applying or removing them, for `sealops install` / `sealops uninstall`.
import { loadKubeConfig, withKubeClient } from '../kube/client.js';
import type { KubeConfigOptions } from '../kube/config.js';
import { installObjects, uninstallObjects, type InstallResult, type UninstallOptions } from './apply.js';
import { installManifests, type InstallOptions } from './manifests.js';

export { installManifests, exportManifests, defaultDeployDir, type InstallOptions, type KubeObject as InstallObject } from './manifests.js';
export { installObjects, uninstallObjects, INSTALL_FIELD_MANAGER, type InstallResult, type UninstallOptions } from './apply.js';

/** Where to install: a kubeconfig (list) and context, as kubectl takes them. */
export type ClusterTarget = KubeConfigOptions;

/** Installs (or upgrades) sealops into the cluster `target` names. */
export async function installToCluster(target: ClusterTarget, options: InstallOptions = {}): Promise<InstallResult[]> {
  const objects = installManifests(options);
  return withKubeClient(loadKubeConfig(target), (client) => installObjects(client, objects));
}

/** Removes sealops from the cluster `target` names; keeps the Syncs' objects and the keys unless asked. */
export async function uninstallFromCluster(target: ClusterTarget, options: InstallOptions & UninstallOptions = {}): Promise<InstallResult[]> {
  const objects = installManifests(options);
  return withKubeClient(loadKubeConfig(target), (client) => uninstallObjects(client, objects, options));
}
