// Barrel of src/crypto: envelopes without I/O: AES-GCM values, data keys, age wrapping, RSA-OAEP.
export * from './aesgcm.js';
export * from './datakey.js';
export * from './age.js';
export * from './rsa-oaep.js';
export * from './rsa-fingerprint.js';
export * from './shamir.js';
