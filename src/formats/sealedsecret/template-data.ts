/**
 * `spec.template.data` of a SealedSecret: the controller copies it onto the Secret it creates,
 * unencrypted. A Go template that references the sealed keys (`{{ index . "password" }}`) is
 * ordinary kubeseal usage; a literal value is plaintext in git beside sealed ones. This is the
 * one test that tells them apart, shared by unseal, verify and the guard.
 */

/** True when a `template.data` value is a Go template (holds `{{`), not a literal. */
export function isTemplateExpression(value: string): boolean {
  return value.includes('{{');
}

/** The keys of `template.data` that hold a literal (non-template, non-null) value. */
export function literalTemplateKeys(data: Readonly<Record<string, string | null>> | undefined, sealedKeys: Readonly<Record<string, unknown>> = {}): string[] {
  return Object.entries(data ?? {})
    .filter(([key, v]) => v !== null && !(key in sealedKeys) && !isTemplateExpression(v))
    .map(([key]) => key);
}
