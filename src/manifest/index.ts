// Barrel of src/manifest; each module here adds its export line.
export * from './parse.js';
export * from './secret.js';
