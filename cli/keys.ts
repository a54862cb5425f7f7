/** How every command turns `-k` and the environment into keys. */
import { loadKeyRing, type KeyRing } from '../src/index.js';
import type { CliIo } from './io.js';

/** The keys of the `-k` files, else of the environment. */
export function keysFor(keyFiles: readonly string[] | undefined, io: CliIo): Promise<KeyRing> {
  return loadKeyRing({ ...(keyFiles ? { keyFiles } : {}), env: io.env, cwd: io.cwd });
}
