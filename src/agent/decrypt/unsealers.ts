/**
 * Binds the decrypt stage to the sealops format readers (SOPS with age, SealedSecret).
 * Looked up through the barrels at call time so the agent has no import cycle with them.
 */
import type { KeyObject } from 'node:crypto';
import * as sops from '../../formats/sops/index.js';
import * as sealed from '../../formats/sealedsecret/index.js';
import * as keys from '../../keys/index.js';
import { EnvironmentError } from '../../errors.js';
import type { Unsealers } from './index.js';

type Fn = (...args: never[]) => unknown;

function pick<T extends Fn>(name: string): T {
  for (const mod of [sops, sealed, keys] as Record<string, unknown>[]) {
    const f = mod[name];
    if (typeof f === 'function') return f as T;
  }
  throw new EnvironmentError(`failed to decrypt manifests: this build of sealops has no ${name}`);
}

/** The library's own readers. */
export function defaultUnsealers(): Unsealers {
  return {
    decryptSopsDocuments: (text, options) => pick<(t: string, o: typeof options) => Promise<unknown[]>>('decryptSopsDocuments')(text, options),
    // Until a reader is present, anything with SOPS metadata counts as sealed (and then fails closed).
    isSopsEncrypted: (doc) =>
      typeof (sops as Record<string, unknown>).isSopsEncrypted === 'function'
        ? pick<(d: unknown) => boolean>('isSopsEncrypted')(doc)
        : typeof doc === 'object' && doc !== null && 'sops' in doc,
    unsealSealedSecret: (obj, privateKeys) => pick<(o: unknown, k: KeyObject[]) => unknown>('unsealSealedSecret')(obj, privateKeys),
    isSealedSecret: (obj) => pick<(o: unknown) => boolean>('isSealedSecret')(obj),
    parseAgeIdentities: (text) => pick<(t: string) => string[]>('parseAgeIdentities')(text),
    loadRsaPrivateKeys: (text) => pick<(t: string) => KeyObject[]>('loadRsaPrivateKeys')(text),
  };
}
