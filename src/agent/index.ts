// Barrel of src/agent: the sync agent's pipeline stages and controller.
export * from './decrypt/index.js';
export * from './apply/index.js';
export { kindRank, compareApplyOrder, isStageOne } from './apply/order.js';
export * from './prune/index.js';
export * from './status/index.js';
export * from './source/index.js';
export * from './inventory.js';
export * from './sync.js';
export * from './log.js';
export * from './reconcile.js';
export * from './render.js';
export * from './postbuild.js';
export * from './controller.js';
export * from './leader.js';
export * from './keys.js';
export * from './redact/index.js';
