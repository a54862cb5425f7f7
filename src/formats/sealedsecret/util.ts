// Helpers private to the SealedSecret format (not exported from the barrel).

export { isRecord } from '../../util/record.js';

/** True for canonical, padded standard base64 with no whitespace. */
export function isStrictBase64(value: string): boolean {
  return value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value);
}
