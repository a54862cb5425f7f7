// Barrel of src/formats/sealedsecret; each module here adds its export line.
export * from './types.js';
export * from './codec.js';
export * from './seal.js';
export * from './merge.js';
export * from './unseal.js';
export * from './verify.js';
