/**
 * Printing a revision diff as text (terminal), Markdown (a pull-request comment) or JSON.
 * Every format is checked against every ciphertext seen while diffing before it is returned:
 * a ciphertext in the output is a bug, and the report refuses to exist rather than carry it.
 */
import { InputError } from '../errors.js';
import type { ObjectChange, ObjectId, SecretKeys } from './compare.js';
import type { RevisionDiff } from './index.js';

/** Output formats of `sealops diff`. */
export type DiffOutput = 'text' | 'markdown' | 'json';

/** What "changed" means for each way of comparing, said wherever a verdict is printed. */
const FORMAT_NOTES: Readonly<Record<string, string>> = {
  sops: 'SOPS: compared by ciphertext; re-sealing keeps an unchanged value\'s envelope, so "changed" means the value changed',
  sealedsecret: 'SealedSecret: every seal encrypts each value afresh, so "changed" means re-sealed (the value may be the same)',
  generated: 'generated from a sealed source: compared by the sealed line or file behind each entry',
  unsealed: 'NOT SEALED: compared by an in-memory digest, never printed',
  'live-decrypted': 'decrypted in memory with your key and compared with the live values in memory; values are never shown',
  'live-digest': 'compared without a key: the ciphertext digests the agent recorded on the live Secret (sealops.dev/sealed-digests) against the sealed files here ("in git"), and field ownership of the live Secret for writes by anyone but the agent ("in the cluster")',
};

function name(o: ObjectId): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

function tally(s: SecretKeys): string {
  const parts: string[] = [];
  for (const st of ['added', 'removed', 'changed', 'unchanged', 'unknown'] as const) {
    const n = s.keys.filter((k) => k.status === st).length;
    if (n) parts.push(`${n} ${st}`);
  }
  return parts.join(', ');
}

function summaryLine(d: RevisionDiff): string {
  const { added, removed, changed } = d.summary;
  return added + removed + changed === 0 ? 'no changes' : `${changed} changed, ${added} added, ${removed} removed`;
}

function side(s: RevisionDiff['from']): string {
  return s.commit ? `${s.ref} (${s.commit.slice(0, 12)})` : s.ref;
}

function text(d: RevisionDiff): string {
  const out = [`sealops diff ${side(d.from)} -> ${side(d.to)}, path ${d.path}`, ...(d.method ? [`secret values: ${d.method}`] : [])];
  for (const o of d.objects) {
    out.push('', `${o.action} ${name(o.object)}${o.previousName ? ` (was ${o.previousName})` : ''}${o.note ? `: ${o.note}` : ''}`);
    if (o.secret) {
      for (const f of o.secret.formats) out.push(`  # ${FORMAT_NOTES[f]}`);
      const width = Math.max(...o.secret.keys.map((k) => k.key.length));
      for (const k of o.secret.keys) out.push(`  key ${k.key.padEnd(width)}  ${k.status}${k.detail ? ` ${k.detail}` : ''}`);
    }
    if (o.diff) out.push(...o.diff.trimEnd().split('\n').map((l) => `  ${l}`));
  }
  out.push('', summaryLine(d));
  return out.join('\n') + '\n';
}

function fence(body: string): string {
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((r) => r.length));
  return '`'.repeat(longest + 1);
}

function code(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}

function markdown(d: RevisionDiff): string {
  const out = [`### sealops diff ${code(side(d.from))} → ${code(side(d.to))}`, '', `Path ${code(d.path)}: **${summaryLine(d)}**.`];
  if (d.objects.length === 0) return out.join('\n') + '\n';
  out.push('', '| Object | Change | Secret keys |', '| --- | --- | --- |');
  for (const o of d.objects) out.push(`| ${code(name(o.object))} | ${o.action}${o.previousName ? ` (was ${code(o.previousName)})` : ''}${o.note ? `: ${o.note}` : ''} | ${o.secret ? tally(o.secret) : ''} |`);
  for (const o of d.objects) out.push(...section(o));
  out.push('', `<sub>${d.method ? `Secret values: ${d.method}; never shown.` : 'Secret values are compared by their ciphertext and never shown.'}</sub>`);
  return out.join('\n') + '\n';
}

function section(o: ObjectChange): string[] {
  const out = ['', `#### ${o.action} ${code(name(o.object))}`];
  if (o.secret) {
    out.push('');
    for (const f of o.secret.formats) out.push(`> ${FORMAT_NOTES[f]}`);
    out.push('', '| Key | Status |', '| --- | --- |', ...o.secret.keys.map((k) => `| ${code(k.key)} | ${k.status}${k.detail ? ` ${k.detail}` : ''} |`));
  }
  if (o.diff) {
    const f = fence(o.diff);
    out.push('', '<details><summary>fields</summary>', '', `${f}diff`, o.diff.trimEnd(), f, '', '</details>');
  }
  return out;
}

function json(d: RevisionDiff): string {
  const { ciphertexts: _omit, ...rest } = d;
  void _omit;
  return JSON.stringify(rest, null, 2) + '\n';
}

/** Renders `diff` in `format`; throws InputError if the output would contain a ciphertext. */
export function formatDiff(diff: RevisionDiff, format: DiffOutput): string {
  const out = format === 'json' ? json(diff) : format === 'markdown' ? markdown(diff) : text(diff);
  for (const c of diff.ciphertexts) {
    if (out.includes(c)) throw new InputError('failed to print the diff: a ciphertext would appear in the output (a bug: please report it)');
  }
  return out;
}
