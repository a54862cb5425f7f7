/** The one record guard of the library. */

/** True for a non-null, non-array object: a YAML/JSON mapping once parsed. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
