/**
 * `spec.template.data` of a SealedSecret: Go templates the sealed-secrets controller executes
 * with `text/template` and sprig's generic functions (minus `env`, `expandenv`,
 * `getHostByName`), the decrypted values as the data. sealops renders expressions (text,
 * `.key`, `index . "key"`, pipelines, parentheses, literals) with the functions below, and
 * refuses any other construct or function by name rather than render it differently.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../../errors.js';

class Missing {}
const MISSING = new Missing();
/** The value `.` evaluates to: the data map itself. */
class Dot {}
const DOT = new Dot();
type Value = string | number | boolean | Missing | Dot;

const str = (v: Value): string => (v instanceof Missing || v instanceof Dot ? '' : String(v));

/** Go's strconv.Quote for the characters a template is likely to meet. */
function goQuote(s: string): string {
  return JSON.stringify(s)
    .replace(/\\u00([0-7][0-9a-f])/g, (_, h: string) => ({ '07': '\\a', '0b': '\\v' })[h] ?? `\\x${h}`)
    .replace(/\u007f/g, '\\x7f');
}

function printf(format: string, args: Value[]): string {
  let i = 0;
  return format.replace(/%([%sdvq])/g, (_, verb: string) => {
    if (verb === '%') return '%';
    const a = args[i++];
    if (a === undefined) return `%!${verb}(MISSING)`;
    if (verb === 'q') return goQuote(str(a));
    if (verb === 'd' && typeof a !== 'number') return `%!d(string=${str(a)})`;
    return a instanceof Missing || a instanceof Dot ? '<nil>' : String(a);
  });
}

const FUNCS: Record<string, (args: Value[], dot: Record<string, string>) => Value> = {
  index: ([m, k], dot) => {
    if (m !== DOT) throw new InputError('failed to render a Go template: sealops renders index of the data map (.) only');
    const key = str(k ?? MISSING);
    return Object.hasOwn(dot, key) ? (dot[key] ?? '') : '';
  },
  // fmt.Sprint: a space only between two operands that are neither of them strings.
  print: (a) => a.map((v, i) => (i > 0 && typeof v !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + str(v)).join(''),
  printf: ([f, ...a]) => printf(str(f ?? ''), a),
  upper: ([s]) => str(s ?? '').toUpperCase(),
  lower: ([s]) => str(s ?? '').toLowerCase(),
  trim: ([s]) => str(s ?? '').trim(),
  trimAll: ([cut, s]) => {
    const set = new Set(str(cut ?? ''));
    const t = [...str(s ?? '')];
    while (t.length && set.has(t[0] ?? '')) t.shift();
    while (t.length && set.has(t[t.length - 1] ?? '')) t.pop();
    return t.join('');
  },
  trimPrefix: ([p, s]) => (str(s ?? '').startsWith(str(p ?? '')) ? str(s ?? '').slice(str(p ?? '').length) : str(s ?? '')),
  trimSuffix: ([p, s]) => (str(s ?? '').endsWith(str(p ?? '')) && str(p ?? '') !== '' ? str(s ?? '').slice(0, -str(p ?? '').length) : str(s ?? '')),
  quote: (a) => a.filter((v) => !(v instanceof Missing)).map((v) => goQuote(str(v))).join(' '),
  squote: (a) => a.filter((v) => !(v instanceof Missing)).map((v) => `'${str(v)}'`).join(' '),
  replace: ([o, n, s]) => str(s ?? '').split(str(o ?? '')).join(str(n ?? '')),
  default: ([d, v]) => (v === undefined || v instanceof Missing || v === '' || v === 0 || v === false ? (d ?? '') : v),
  cat: (a) => a.filter((v) => !(v instanceof Missing)).map(str).join(' '),
  nospace: ([s]) => str(s ?? '').replace(/\s/g, ''),
  repeat: ([n, s]) => str(s ?? '').repeat(Math.max(0, Number(n))),
  indent: ([n, s]) => str(s ?? '').split('\n').map((l) => ' '.repeat(Number(n)) + l).join('\n'),
  nindent: ([n, s]) => `\n${str(s ?? '').split('\n').map((l) => ' '.repeat(Number(n)) + l).join('\n')}`,
  b64enc: ([s]) => Buffer.from(str(s ?? ''), 'utf8').toString('base64'),
  b64dec: ([s]) => Buffer.from(str(s ?? ''), 'base64').toString('utf8'),
  sha256sum: ([s]) => createHash('sha256').update(str(s ?? '')).digest('hex'),
  sha1sum: ([s]) => createHash('sha1').update(str(s ?? '')).digest('hex'),
  toString: ([s]: Value[]) => str(s ?? ''),
  len: ([s]) => [...str(s ?? '')].length,
};

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue', 'and', 'or', 'not', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'call', 'slice', 'html', 'js', 'urlquery', 'println']);

type Token = { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'word'; v: string } | { t: 'dot'; v: string } | { t: 'op'; v: '|' | '(' | ')' };

function lex(action: string, unsupported: Set<string>): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+)|(\.[A-Za-z_]\w*|\.)|([A-Za-z_]\w*)|([|()])|(\$\w*)|(\S))/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < action.length && (m = re.exec(action))) {
    if (m[1]) out.push({ t: 'str', v: JSON.parse(m[1]) as string });
    else if (m[2]) out.push({ t: 'str', v: m[2].slice(1, -1) });
    else if (m[3]) out.push({ t: 'num', v: Number(m[3]) });
    else if (m[4]) out.push({ t: 'dot', v: m[4].slice(1) });
    else if (m[5]) out.push({ t: 'word', v: m[5] });
    else if (m[6]) out.push({ t: 'op', v: m[6] as '|' | '(' | ')' });
    else if (m[7]) unsupported.add('variables ($)');
    else if (m[8] && m[8].trim() !== '') unsupported.add(`"${m[8]}"`);
  }
  return out;
}

/** Evaluates a pipeline: commands separated by `|`, each taking the previous result last. */
function pipeline(tokens: Token[], pos: { i: number }, unsupported: Set<string>, dot: Record<string, string>): Value {
  let result: Value | undefined;
  for (;;) {
    const args: Value[] = [];
    let fn: string | undefined;
    while (pos.i < tokens.length) {
      const tok = tokens[pos.i];
      if (!tok || (tok.t === 'op' && (tok.v === '|' || tok.v === ')'))) break;
      pos.i++;
      if (tok.t === 'word') {
        if (args.length === 0 && fn === undefined) fn = tok.v;
        else unsupported.add(`${tok.v} as an argument`);
        if (KEYWORDS.has(tok.v) || !(tok.v in FUNCS)) unsupported.add(tok.v);
      } else if (tok.t === 'op' && tok.v === '(') {
        args.push(pipeline(tokens, pos, unsupported, dot));
        pos.i++; // the closing parenthesis
      } else if (tok.t === 'dot') {
        args.push(tok.v === '' ? DOT : Object.hasOwn(dot, tok.v) ? (dot[tok.v] ?? '') : MISSING);
      } else if (tok.t === 'str' || tok.t === 'num') args.push(tok.v);
    }
    if (result !== undefined) args.push(result);
    if (unsupported.size > 0) return '';
    if (fn) result = (FUNCS[fn] as (a: Value[], d: Record<string, string>) => Value)(args, dot);
    else if (args.length === 1) result = args[0] === DOT ? MISSING : (args[0]);
    else {
      unsupported.add('a command without a function');
      return '';
    }
    const next = tokens[pos.i];
    if (next?.t === 'op' && next.v === '|') {
      pos.i++;
      continue;
    }
    return result ?? MISSING;
  }
}

/** What printing a value gives in text/template (`<no value>` for a missing map key). */
function printed(v: Value): string {
  return v instanceof Missing || v instanceof Dot ? '<no value>' : String(v);
}

/**
 * Renders one `spec.template.data` value with `data` (the decrypted values) as the controller
 * does. Throws InputError naming the constructs and functions sealops does not render.
 */
export function renderTemplateValue(template: string, data: Record<string, string>, where: string): string {
  const unsupported = new Set<string>();
  let out = '';
  let rest = template;
  {
    while (rest.length > 0) {
      const open = rest.indexOf('{{');
      if (open < 0) {
        out += rest;
        break;
      }
      let text = rest.slice(0, open);
      let inner = rest.slice(open + 2);
      if (inner.startsWith('- ')) {
        text = text.replace(/\s+$/, '');
        inner = inner.slice(1);
      }
      out += text;
      const close = inner.indexOf('}}');
      if (close < 0) throw new InputError(`failed to render ${where}: unclosed action`);
      let action = inner.slice(0, close);
      rest = inner.slice(close + 2);
      if (action.endsWith(' -')) {
        action = action.slice(0, -1);
        rest = rest.replace(/^\s+/, '');
      }
      if (/^\s*\/\*[\s\S]*\*\/\s*$/.test(action)) continue;
      const tokens = lex(action, unsupported);
      const pos = { i: 0 };
      const v = pipeline(tokens, pos, unsupported, data);
      if (pos.i < tokens.length) unsupported.add('unbalanced parentheses');
      out += printed(v);
    }
  }
  if (unsupported.size > 0) {
    throw new InputError(`failed to render ${where}: sealops does not render ${[...unsupported].join(', ')} in a Go template`, {
      hint: `sealops renders ${Object.keys(FUNCS).join(', ')}; the controller renders the rest (sprig)`,
    });
  }
  return out;
}
