// The version reader lives in the library (the agent writes it to status.agentVersion); the
// `--version` fast path of cli/sealops.ts imports it from here without loading the library.
export { ownVersion } from '../src/util/version.js';
