// Barrel of src/git; each module here adds its export line.
export {};
export * from './source.js';
export * from './local.js';
export * from './staged.js';
export * from './tree.js';
export * from './verify.js';
