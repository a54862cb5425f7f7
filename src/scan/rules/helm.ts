/**
 * Helm templates (`templates/` of a chart) are Go templates, not YAML, until rendered, so the
 * manifest rules cannot parse them. A Secret written there with a literal value is still a
 * plaintext secret in git: this reads the template line by line, finds the `data:` and
 * `stringData:` blocks of each document with `kind: Secret`, and flags every value that is not
 * a template expression (`{{ … }}`) or a placeholder.
 */
import type { RawFinding } from '../findings.js';
import { isPlaceholder } from './placeholder.js';

const KIND_SECRET = /^\s*kind:\s*["']?Secret["']?\s*(?:#.*)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function unquote(v: string): string {
  const t = v.replace(/\s+#.*$/, '').trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t;
}

interface Line {
  text: string;
  start: number;
}

/** The lines of `text` with their offsets, grouped into `---`-separated documents. */
function documents(text: string): Line[][] {
  const docs: Line[][] = [[]];
  let start = 0;
  for (const t of text.split('\n')) {
    if (/^---(\s|$)/.test(t)) docs.push([]);
    else docs[docs.length - 1]?.push({ text: t, start });
    start += t.length + 1;
  }
  return docs;
}

/** Findings for literal values under `data`/`stringData` of the Secrets in a Go-templated manifest. */
export function checkTemplatedSecrets(text: string): RawFinding[] {
  const out: RawFinding[] = [];
  for (const doc of documents(text)) {
    if (!doc.some((l) => KIND_SECRET.test(l.text))) continue;
    let field: 'data' | 'stringData' | undefined;
    let fieldIndent = -1;
    for (const { text: line, start: lineStart } of doc) {
      const indent = /^ */.exec(line)?.[0].length ?? 0;
      const head = /^(\s*)(data|stringData):\s*(?:#.*)?$/.exec(line);
      if (head) {
        field = head[2] as 'data' | 'stringData';
        fieldIndent = indent;
        continue;
      }
      const trimmed = line.trim();
      if (!field || trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('{{')) continue;
      if (indent <= fieldIndent) {
        field = undefined;
        continue;
      }
      const kv = /^\s*([\w.-]+):\s*(.+)$/.exec(line);
      if (!kv?.[1] || kv[2] === undefined) continue;
      const value = unquote(kv[2]);
      if (value === '' || value.includes('{{') || value === '|' || value === '>') continue;
      const plain = field === 'data' && BASE64.test(value) ? Buffer.from(value, 'base64').toString('latin1') : value;
      if (isPlaceholder(plain)) continue;
      const valueAt = lineStart + line.indexOf(kv[2]);
      out.push({
        rule: field === 'data' ? 'secret-plaintext-data' : 'secret-plaintext-stringdata',
        offset: valueAt,
        message: `Secret in a Helm template: ${field}.${kv[1]} holds a literal value, not a template expression`,
        subject: plain,
        span: [valueAt, valueAt + kv[2].length],
      });
    }
  }
  return out;
}
