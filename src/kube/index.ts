// Barrel of src/kube: the API client, kubeconfig loading and discovery, used by the agent and
// by every command that talks to a cluster.
export { KubeClient, KubeApiError, loadKubeConfig, serviceAccountIdentity, type Impersonation } from './client.js';
export { loadKubeConnection, inClusterConnection, SERVICE_ACCOUNT_DIR, type KubeConfigOptions, type KubeConnection } from './config.js';
export { clearExecCredentials } from './exec-credential.js';
export { Discovery, resourcePath, type ResourceInfo } from './discovery.js';
