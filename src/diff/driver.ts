/**
 * Configuring git to diff sealed files through `sealops textconv`: `diff.sealops.textconv` in
 * the repository's config (local to this clone: it names a program to run) and a marked block
 * in `.gitattributes` (committed, so every clone that configures the driver uses it). Files with
 * nothing secret pass through textconv unchanged, so the patterns may be broad.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitError } from '../errors.js';
import { execGit, findWorkTree, type GitContext } from '../git/local.js';

/** The attribute lines sealops writes, between its markers. */
const DIFF_ATTRIBUTE_PATTERNS = ['*.yaml', '*.yml', '*.json', '*.env', '*.ini'] as const;
const BEGIN = '# sealops diff driver begin (sealops hook uninstall removes this block)';
const END = '# sealops diff driver end';

/** What install or uninstall did. */
export interface DiffDriverResult {
  readonly gitattributes: string;
  /** The textconv command configured (install) or removed (uninstall). */
  readonly textconv?: string;
}

function shq(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function withoutBlock(text: string): string {
  const start = text.indexOf(BEGIN);
  const end = start < 0 ? -1 : text.indexOf(END, start);
  if (end < 0) return text;
  const after = text.indexOf('\n', end);
  return text.slice(0, start) + (after < 0 ? '' : text.slice(after + 1));
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.sealops-tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

async function topOf(ctx: GitContext): Promise<string> {
  const top = await findWorkTree(ctx);
  if (!top) throw new GitError(`failed to configure the diff driver in ${ctx.cwd}: not inside a git working tree`);
  return top;
}

/**
 * Sets `diff.sealops.textconv` to `<command> textconv` (the command that starts this sealops,
 * e.g. `node /path/sealops.js`, or `sealops`) and writes the `.gitattributes` block; re-running
 * replaces both.
 */
export async function installDiffDriver(ctx: GitContext, command: readonly string[] = ['sealops']): Promise<DiffDriverResult> {
  const top = await topOf(ctx);
  const textconv = [...command.map(shq), 'textconv'].join(' ');
  await execGit(ctx, ['config', '--local', 'diff.sealops.textconv', textconv]);
  await execGit(ctx, ['config', '--local', 'diff.sealops.binary', 'false']);
  const file = join(top, '.gitattributes');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept = withoutBlock(old);
  const block = [BEGIN, ...DIFF_ATTRIBUTE_PATTERNS.map((p) => `${p} diff=sealops`), END, ''].join('\n');
  writeAtomic(file, (kept === '' || kept.endsWith('\n') ? kept : `${kept}\n`) + block);
  return { gitattributes: file, textconv };
}

/** Removes the driver's config and its `.gitattributes` block (other lines are kept). */
export async function uninstallDiffDriver(ctx: GitContext): Promise<DiffDriverResult> {
  const top = await topOf(ctx);
  await execGit(ctx, ['config', '--local', '--remove-section', 'diff.sealops']).catch(() => undefined);
  const file = join(top, '.gitattributes');
  if (existsSync(file)) {
    const old = readFileSync(file, 'utf8');
    const kept = withoutBlock(old);
    if (kept !== old) writeAtomic(file, kept);
  }
  return { gitattributes: file };
}
