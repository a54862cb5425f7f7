// Barrel of src/kube: the API client, kubeconfig loading and discovery, used by the agent and
// by every command that talks to a cluster.
export { KubeClient, KubeApiError, loadKubeConfig } from './client.js';
export { Discovery, resourcePath, type ResourceInfo } from './discovery.js';
