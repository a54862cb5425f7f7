/**
 * HTML built by a tagged template that escapes every interpolated value unless it is itself
 * markup made by the template. Nothing reaches the page unescaped by forgetting to escape it.
 */

/** Markup produced by {@link html}: the only value interpolated without escaping. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `text` escaped for an HTML text node or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** A value as markup: Html as is, lists joined, nothing for null/undefined/false, anything else as escaped text. */
function markup(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(markup).join('');
  if (value === undefined || value === null || value === false) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return escapeHtml(String(value));
  // Anything else (an object that is not Html) as its JSON text, escaped like any text.
  return escapeHtml(JSON.stringify(value) ?? '');
}

/** Builds markup: the literal parts as written, every `${value}` escaped (see {@link markup}). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += markup(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}
