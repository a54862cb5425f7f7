// Barrel of src/keys; each module here adds its export line.
export {};
export * from './rsa-keygen.js';
export * from './rsa-cert.js';
export * from './rsa-private.js';
export * from './age-keys.js';
export * from './key-files.js';
export * from './config.js';
