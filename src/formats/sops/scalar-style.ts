/**
 * Writing one scalar of the yaml CST in place, so sealing and unsealing change only that value's
 * bytes. Sealing keeps the scalar's style (plain, quoted, block) so unsealing can restore it;
 * unsealing picks the closest style that reads back as the same value.
 */
import { CST, parse as parseYaml } from 'yaml';
import type { SopsValueType } from '../../crypto/index.js';
import { goTimestamp, scalarLiteral } from './values.js';

/** A scalar token of the CST. */
export type ScalarToken = CST.FlowScalar | CST.BlockScalar;

// Control characters are exactly what this must find.
// eslint-disable-next-line no-control-regex
const NON_PRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufeff\ufffe\uffff]/u;

/** Double-quoted YAML (and JSON) text of `s`, escaping everything that is not printable. */
export function doubleQuoted(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** True when `s` written plain reads back as the same string. */
export function isPlainSafe(s: string, inFlow: boolean): boolean {
  // Only space and tab are YAML whitespace: a value that starts or ends with a no-break or
  // ideographic space stays plain, as `sops -d` writes it. U+2028/9 are line breaks to YAML 1.1.
  if (s === '' || /^[ \t]|[ \t]$/.test(s) || /[\n\r\t\u2028\u2029]/.test(s) || NON_PRINTABLE.test(s)) return false;
  if (inFlow && /[,[\]{}]/.test(s)) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) && !/^[-?:][^\s]/.test(s)) return false;
  if (/: |:$| #/.test(s)) return false;
  // Most values are simple words; only look harder at the ones that could read as another type.
  // YAML 1.1 readers (kubectl's go-yaml v2) take these words as booleans or null: quote them.
  if (/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(s)) return false;
  // sops (yaml.v3) reads these plain as a time or a number (Go accepts `1_000`, `0o17`, `0b1`):
  // a string that looks like one is quoted, as `sops -d` quotes it.
  if (/^[-+.]?\d/.test(s) && (goTimestamp(s) !== undefined || /^[-+]?(0[bBoOxX][\da-fA-F_]+|\d[\d_]*(\.[\d_]*)?([eE][-+]?\d+)?|\.\d[\d_]*([eE][-+]?\d+)?)$/.test(s))) return false;
  if (/^[A-Za-z_/][\w./-]*$/.test(s) && !/^(nan|inf)$/i.test(s)) return true;
  try {
    return (parseYaml(`k: ${s}`, { logLevel: 'error' }) as { k?: unknown } | null)?.k === s;
  } catch {
    return false;
  }
}

function splitBody(body: string): { indent: string; trailing: string; eol: string } {
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  const lines = body.split(/(?<=\n)/);
  let indent = '';
  for (const l of lines) {
    const m = /^( *)\S/.exec(l);
    if (m) {
      indent = m[1] ?? '';
      break;
    }
  }
  // Blank lines after the last content line: kept where they are, outside the value.
  let cut = lines.length;
  // A line of spaces deeper than the indentation is content (a space), not a blank line.
  const isBlank = (l: string): boolean => /^ *\r?\n?$/.test(l) && l.replace(/\r?\n$/, '').length <= indent.length;
  while (cut > 0 && isBlank(lines[cut - 1] ?? '')) cut--;
  return { indent, trailing: lines.slice(cut).join(''), eol };
}

function setFlow(token: ScalarToken, type: CST.FlowScalar['type'], source: string, trailing = ''): void {
  if (token.type === 'block-scalar') {
    // setScalarValue moves the header's comment and newline into `end` for us.
    CST.setScalarValue(token, 'x', { type: 'PLAIN' });
    const t = token as unknown as CST.FlowScalar;
    t.type = type;
    t.source = source;
    t.end ??= [];
    if (trailing) t.end.push({ type: 'newline', offset: -1, indent: 0, source: trailing });
    return;
  }
  token.type = type;
  token.source = source;
}

/** Writes an `ENC[…]` envelope into `token`, keeping its style (flow plain becomes double-quoted). */
export function writeSealedScalar(token: ScalarToken, enc: string, inFlow: boolean, parentIndent: number): void {
  switch (token.type) {
    case 'block-scalar': {
      const header = token.props[0];
      // Keep literal or folded, so unsealing can restore the style; strip chomping keeps the
      // envelope free of a trailing newline.
      if (header?.type === 'block-scalar-header') header.source = header.source.startsWith('>') ? '>-' : '|-';
      const { indent, trailing, eol } = splitBody(token.source);
      const ind = indent || ' '.repeat(parentIndent + 2);
      token.source = `${ind}${enc}${eol}${trailing}`;
      return;
    }
    case 'single-quoted-scalar':
      token.source = `'${enc}'`;
      return;
    case 'double-quoted-scalar':
      token.source = `"${enc}"`;
      return;
    default:
      if (inFlow) setFlow(token, 'double-quoted-scalar', `"${enc}"`);
      else token.source = enc;
  }
}

/** Writes an envelope as a plain scalar (the way sops writes every envelope), whatever the token's style was. */
export function writeSealedPlain(token: ScalarToken, enc: string): void {
  if (token.type === 'block-scalar') setFlow(token, 'scalar', enc, splitBody(token.source).trailing);
  else setFlow(token, 'scalar', enc);
}

function literalBody(s: string, indent: string, eol: string): { header: string; body: string } | null {
  // The first content line decides the indentation a reader detects; it must not start with a
  // space or tab (that would need an indentation indicator), and blank lines are written empty.
  if (!s.includes('\n') || /\r/.test(s) || NON_PRINTABLE.test(s) || /^\n*[ \t]/.test(s) || /^\n*$/.test(s)) return null;
  const m = /\n*$/.exec(s);
  const nl = m ? m[0].length : 0;
  // Keep chomping (`|+`) would swallow any blank line that follows the value in the file, so
  // such values are written double-quoted instead.
  if (nl > 1) return null;
  const header = nl === 0 ? '|-' : '|';
  const content = s.slice(0, s.length - nl);
  const lines = content.split('\n').map((l) => (l === '' ? eol : `${indent}${l}${eol}`));
  return { header, body: lines.join('') };
}

/**
 * Writes a decrypted value into `token`: a typed literal for int/float/bool, a string in the
 * token's current style when that style can carry it, double-quoted otherwise.
 */
export function writePlainScalar(
  token: ScalarToken,
  bytes: Buffer,
  type: SopsValueType,
  ctx: { inFlow: boolean; json: boolean; parentIndent: number },
): void {
  const literal = type === 'str' ? null : scalarLiteral(bytes, type, ctx.json);
  const s = bytes.toString('utf8');
  if (literal !== null) {
    if (token.type === 'block-scalar') {
      const { trailing } = splitBody(token.source);
      setFlow(token, 'scalar', literal, trailing);
    } else setFlow(token, 'scalar', literal);
    return;
  }
  switch (token.type) {
    case 'block-scalar': {
      const { indent, trailing, eol } = splitBody(token.source);
      const header = token.props[0];
      const ind = indent || ' '.repeat(ctx.parentIndent + 2);
      if (header?.type === 'block-scalar-header' && header.source.startsWith('>') && !s.includes('\n') && isPlainSafe(s, false)) {
        header.source = '>-';
        token.source = `${ind}${s}${eol}${trailing}`;
        return;
      }
      const lit = literalBody(s, ind, eol);
      if (lit) {
        if (header?.type === 'block-scalar-header') header.source = lit.header;
        token.source = lit.body + trailing;
        return;
      }
      if (!s.includes('\n') && isPlainSafe(s, false)) setFlow(token, 'scalar', s, trailing);
      else setFlow(token, 'double-quoted-scalar', doubleQuoted(s), trailing);
      return;
    }
    case 'single-quoted-scalar':
      if (!/[\n\r]/.test(s) && !NON_PRINTABLE.test(s)) token.source = `'${s.replace(/'/g, "''")}'`;
      else setFlow(token, 'double-quoted-scalar', doubleQuoted(s));
      return;
    case 'double-quoted-scalar':
      token.source = doubleQuoted(s);
      return;
    default:
      if (!ctx.json && isPlainSafe(s, ctx.inFlow)) token.source = s;
      else setFlow(token, 'double-quoted-scalar', doubleQuoted(s));
  }
}
