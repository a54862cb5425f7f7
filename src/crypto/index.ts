// Barrel of src/crypto; each module here adds its export line.
export * from './aesgcm.js';
export * from './datakey.js';
export * from './age.js';
export * from './rsa-oaep.js';
export * from './rsa-fingerprint.js';
