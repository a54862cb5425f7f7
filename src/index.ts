/**
 * The sealops library: everything the CLI and the agent use. cli/ imports only this module.
 */
export * from './errors.js';
export * from './crypto/index.js';
export * from './formats/sops/index.js';
export * from './formats/sealedsecret/index.js';
export * from './manifest/index.js';
export * from './keys/index.js';
export * from './git/index.js';
export * from './scan/index.js';
export * from './kube/index.js';
export * from './build/index.js';
export * from './build/render.js';
export * from './build/substitute.js';
export * from './build/kustomize.js';
export * from './build/preflight.js';
export * from './agent/index.js';
export * from './server/index.js';
export * from './install/index.js';
export * from './formats/index.js';
export * from './operations/index.js';
