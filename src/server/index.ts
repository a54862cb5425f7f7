// Barrel of src/server: the agent's health, readiness and metrics endpoint.
export * from './health.js';
export * from './metrics.js';
export * from './page.js';
export * from './webhook.js';
export * from './keys.js';
export * from './reencrypt.js';
export * from './auth.js';
