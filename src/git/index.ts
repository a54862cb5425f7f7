// Barrel of src/git: thin wrappers over the git CLI: staged blobs and trees for the guard, fetch and signature checks for the agent.
export * from './source.js';
export * from './local.js';
export * from './staged.js';
export * from './tree.js';
export * from './verify.js';
