/**
 * Binds the decrypt stage to the sealops format readers (SOPS with age, SealedSecret).
 */
import { decryptSopsDocuments, isSopsEncrypted, openSopsDocuments } from '../../formats/sops/index.js';
import { isSealedSecret, unsealSealedSecret } from '../../formats/sealedsecret/index.js';
import { loadRsaPrivateKeys, parseAgeIdentities } from '../../keys/index.js';
import type { Unsealers } from './index.js';

const LIBRARY_UNSEALERS: Unsealers = Object.freeze({
  decryptSopsDocuments,
  openSopsDocuments,
  isSopsEncrypted,
  unsealSealedSecret,
  isSealedSecret,
  parseAgeIdentities: (text: string) => parseAgeIdentities(text),
  loadRsaPrivateKeys: (text: string) => loadRsaPrivateKeys(text),
});

/** The library's own readers. */
export function defaultUnsealers(): Unsealers {
  return LIBRARY_UNSEALERS;
}
