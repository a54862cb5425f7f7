// Barrel of src/manifest: YAML/JSON manifest reading with limits, and Secret detection.
export * from './parse.js';
export * from './secret.js';
export * from './unique-keys.js';
