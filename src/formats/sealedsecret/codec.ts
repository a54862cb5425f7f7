/**
 * Reading manifests (multi-document YAML or JSON) and writing objects the way kubeseal
 * does with `-o yaml` (a `---` line, keys sorted, sequences not indented, no line wrapping),
 * so a file sealed by sealops and one sealed by kubeseal diff cleanly.
 */
import { Document } from 'yaml';
import { readDocuments } from '../../manifest/parse.js';

/**
 * Every document of a YAML or JSON text as plain JS values (empty documents dropped).
 * Parse errors become {@link InputError}s naming the line, never quoting the text.
 */
export function readSealedSecretDocuments(text: string, source = '<input>'): unknown[] {
  return readDocuments(text, source, { uniqueKeys: true });
}

/** One object as kubeseal prints it with `-o yaml`, `---` line included. */
export function formatKubesealYaml(obj: unknown): string {
  // YAML 1.1 rules for quoting: Go readers (kubectl, kubeseal, the controller) are YAML 1.1 and
  // would read an unquoted `yes`, `on` or `y` as a boolean, which a string map cannot hold.
  const doc = new Document(obj, { sortMapEntries: true, version: '1.1' });
  return `---\n${doc.toString({ indentSeq: false, lineWidth: 0, minContentWidth: 0 })}`;
}
