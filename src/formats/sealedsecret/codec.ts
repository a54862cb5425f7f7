/**
 * Reading manifests (multi-document YAML or JSON) and writing objects the way kubeseal
 * does with `-o yaml` (a `---` line, keys sorted, sequences not indented, no line wrapping),
 * so a file sealed by sealops and one sealed by kubeseal diff cleanly.
 */
import { Composer, Document, Parser } from 'yaml';
import { InputError } from '../../errors.js';
import { checkManifestDepth, lineOf, MAX_MANIFEST_DEPTH } from '../../manifest/parse.js';
import { duplicateKeyOffset, LINEAR_COMPOSE_OPTIONS } from '../../manifest/unique-keys.js';

/**
 * Every document of a YAML or JSON text as plain JS values (empty documents dropped).
 * Parse errors become {@link InputError}s naming the line, never quoting the text.
 */
export function readSealedSecretDocuments(text: string, source = '<input>'): unknown[] {
  // One CST serves the depth check and the composer (parseAllDocuments would parse it again).
  const tokens = [...new Parser().parse(text)];
  checkManifestDepth(text, source, MAX_MANIFEST_DEPTH, tokens);
  const out: unknown[] = [];
  for (const doc of new Composer({ prettyErrors: false, ...LINEAR_COMPOSE_OPTIONS }).compose(tokens)) {
    const [err] = doc.errors;
    if (err) {
      const line = err.linePos?.[0]?.line;
      throw new InputError(`failed to parse ${source}: invalid YAML${line === undefined ? '' : ` at line ${line}`} (${err.code})`);
    }
    const dup = duplicateKeyOffset(doc);
    if (dup !== undefined) throw new InputError(`failed to parse ${source}: invalid YAML at line ${lineOf(text, dup)} (DUPLICATE_KEY)`);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (cause) {
      // Alias bombs and similar: the parser's message may quote the text, so it stays out.
      throw new InputError(`failed to parse ${source}: the YAML cannot be converted (too many aliases?)`, { cause });
    }
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** One object as kubeseal prints it with `-o yaml`, `---` line included. */
export function formatKubesealYaml(obj: unknown): string {
  // YAML 1.1 rules for quoting: Go readers (kubectl, kubeseal, the controller) are YAML 1.1 and
  // would read an unquoted `yes`, `on` or `y` as a boolean, which a string map cannot hold.
  const doc = new Document(obj, { sortMapEntries: true, version: '1.1' });
  return `---\n${doc.toString({ indentSeq: false, lineWidth: 0, minContentWidth: 0 })}`;
}
