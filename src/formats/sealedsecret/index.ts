// Barrel of src/formats/sealedsecret: the Bitnami SealedSecret format, compatible with kubeseal and the controller.
export * from './types.js';
export * from './codec.js';
export * from './seal.js';
export * from './merge.js';
export * from './unseal.js';
export * from './verify.js';
export * from './template-data.js';
export * from './template.js';
export * from './reencrypt.js';
