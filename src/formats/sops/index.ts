// Barrel of src/formats/sops: the SOPS format with age recipients: stores, metadata, MAC, seal and unseal.
export * from './engine.js';
export * from './metadata.js';
export * from './mac.js';
export * from './policy.js';
export * from './values.js';
export { ReuseIndex } from './yaml-store.js';
export { loadStore, type LoadStoreOptions, type OpenOptions, type SopsStore, type StoreWalkOptions } from './store.js';
export { openDataKey, planOf, type KeyPlan } from './wrap.js';
export { checkScopes, formatScope, parseScope, SCOPE_ANNOTATION, SECRET_SCOPED_REGEX, type DocumentScope } from './scope.js';
