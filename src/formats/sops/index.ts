// Barrel of src/formats/sops; each module here adds its export line.
export * from './engine.js';
export * from './metadata.js';
export * from './mac.js';
export * from './policy.js';
export * from './values.js';
export { ReuseIndex } from './yaml-store.js';
