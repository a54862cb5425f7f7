/**
 * The shape of a SOPS value envelope, `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, without any
 * cryptography: the guard recognises sealed values with this and never loads node:crypto.
 */

/** The value types a SOPS envelope records, so a decrypted value gets its original type back. */
export type SopsValueType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'comment' | 'bytes';

/** Every {@link SopsValueType}. */
export const TYPES: ReadonlySet<string> = new Set(['str', 'int', 'float', 'bool', 'time', 'comment', 'bytes']);

/** A whole envelope: data, iv, tag, type. */
export const ENC_RE = /^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:([a-z]+)\]$/;

/** True when `value` starts like a SOPS envelope (it may still be malformed or fail to decrypt). */
export function isEncValue(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('ENC[AES256_GCM,');
}

/**
 * True when `value` is a whole, well-formed envelope: the one SOPS-value detector of the
 * library (a detector that only checks the prefix would take a cut or edited value as sealed).
 */
export function isWellFormedEncValue(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = ENC_RE.exec(value);
  return m !== null && TYPES.has(m[4] ?? '') && /^[A-Za-z0-9+/]*={0,2}$/.test(m[1] ?? '');
}
