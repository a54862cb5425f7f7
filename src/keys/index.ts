// Barrel of src/keys: age and RSA key files, certificates, and repository configuration (.sealops.yaml / .sops.yaml).
export * from './rsa-keygen.js';
export * from './rsa-cert.js';
export * from './rsa-private.js';
export * from './age-keys.js';
export * from './key-files.js';
export * from './config.js';
export * from './rsa-key-files.js';
export * from './key-ring.js';
export * from './fingerprint.js';
export * from './reencrypt-keys.js';
