/**
 * Installing the guard as a git pre-commit hook. The hook goes where git will run it: the
 * folder `git rev-parse --git-path hooks` names (`.git/hooks`, or `core.hooksPath`). An
 * existing hook is never overwritten: it is kept as `pre-commit.local` and run after ours, and
 * uninstall puts it back. With husky (hooks path `.husky/_`) the guard is added as a marked
 * block at the top of `.husky/pre-commit`, the file husky runs, and removed from it on uninstall.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { execGit, type GitContext } from '../git/local.js';

/** Marker line that identifies a hook (or husky block) sealops wrote. */
export const HOOK_MARKER = '# sealops-hook';
/** Name the pre-existing hook is kept under while ours is installed. */
export const CHAINED_HOOK = 'pre-commit.local';

/** How the hook starts sealops. */
export interface HookCommand {
  /** Absolute node binary and CLI script of this checkout, tried first when both still exist. */
  readonly node?: string;
  readonly script?: string;
}

/** What install or uninstall did. */
export interface HookResult {
  readonly action: 'installed' | 'updated' | 'removed' | 'not-installed';
  /** The file written or removed. */
  readonly path: string;
  /** The pre-existing hook that is chained (install) or was restored (uninstall). */
  readonly chained?: string;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function invocation(cmd: HookCommand, indent: string): string {
  const lines: string[] = [];
  if (cmd.node && cmd.script) {
    lines.push(`if [ -x ${shq(cmd.node)} ] && [ -f ${shq(cmd.script)} ]; then`);
    lines.push(`  ${shq(cmd.node)} ${shq(cmd.script)} scan --staged || exit $?`);
    lines.push('elif command -v sealops >/dev/null 2>&1; then');
  } else {
    lines.push('if command -v sealops >/dev/null 2>&1; then');
  }
  lines.push('  sealops scan --staged || exit $?');
  lines.push('else');
  lines.push('  npx --no sealops scan --staged || exit $?');
  lines.push('fi');
  return lines.map((l) => indent + l).join('\n');
}

/** The text of the pre-commit hook sealops installs. */
export function hookScript(cmd: HookCommand): string {
  return [
    '#!/bin/sh',
    `${HOOK_MARKER}: installed by \`sealops hook install\`; \`sealops hook uninstall\` removes it`,
    `# and restores the hook that was here before (kept as ${CHAINED_HOOK} and run after the guard).`,
    'hook_dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)',
    invocation(cmd, ''),
    `if [ -x "$hook_dir/${CHAINED_HOOK}" ]; then`,
    `  exec "$hook_dir/${CHAINED_HOOK}" "$@"`,
    'fi',
    '',
  ].join('\n');
}

/** The folder git runs hooks from, absolute. */
export async function hooksDir(ctx: GitContext): Promise<string> {
  const out = await execGit(ctx, ['rev-parse', '--git-path', 'hooks']);
  return resolve(ctx.cwd, out.toString('utf8').trim());
}

function huskyFile(dir: string): string | undefined {
  return /[\\/]\.husky[\\/]_$/.test(dir.replace(/[\\/]+$/, '')) ? join(dirname(dir), 'pre-commit') : undefined;
}

function writeExecutable(path: string, text: string): void {
  const tmp = `${path}.sealops-tmp`;
  writeFileSync(tmp, text, { mode: 0o755 });
  chmodSync(tmp, 0o755);
  renameSync(tmp, path);
}

const BLOCK_START = `${HOOK_MARKER} begin (sealops hook uninstall removes this block)`;
const BLOCK_END = `${HOOK_MARKER} end`;

/** Installs the guard as the pre-commit hook; re-running updates it in place. */
export async function installHook(ctx: GitContext, cmd: HookCommand): Promise<HookResult> {
  const dir = await hooksDir(ctx);
  const husky = huskyFile(dir);
  if (husky) {
    const old = existsSync(husky) ? readFileSync(husky, 'utf8') : '';
    const stripped = removeBlock(old);
    // husky files are committed and shared: use sealops from PATH/npx, not this machine's paths.
    const block = `${BLOCK_START}\n${invocation({}, '')}\n${BLOCK_END}\n`;
    const shebang = /^#!.*\n/.exec(stripped)?.[0] ?? '';
    writeExecutable(husky, shebang + block + stripped.slice(shebang.length));
    return { action: stripped === old ? 'installed' : 'updated', path: husky };
  }
  mkdirSync(dir, { recursive: true });
  const target = join(dir, 'pre-commit');
  const chained = join(dir, CHAINED_HOOK);
  if (existsSync(target)) {
    const current = readFileSync(target, 'utf8');
    if (current.includes(HOOK_MARKER)) {
      writeExecutable(target, hookScript(cmd));
      return { action: 'updated', path: target, ...(existsSync(chained) ? { chained } : {}) };
    }
    if (existsSync(chained)) {
      throw new ConfigError(`failed to install the pre-commit hook: ${target} exists and ${chained} is taken too`, {
        hint: `merge ${CHAINED_HOOK} into your hook, remove it, and run sealops hook install again; or call \`sealops scan --staged\` from your own hook`,
      });
    }
    if (/husky/.test(current)) {
      throw new ConfigError(`failed to install the pre-commit hook: ${target} is managed by husky`, {
        hint: 'add `npx --no sealops scan --staged` to your husky pre-commit hook',
      });
    }
    renameSync(target, chained);
    writeExecutable(target, hookScript(cmd));
    return { action: 'installed', path: target, chained };
  }
  writeExecutable(target, hookScript(cmd));
  return { action: 'installed', path: target };
}

function removeBlock(text: string): string {
  const start = text.indexOf(BLOCK_START);
  if (start < 0) return text;
  const endAt = text.indexOf(BLOCK_END, start);
  if (endAt < 0) return text;
  const after = text.indexOf('\n', endAt);
  return text.slice(0, start) + (after < 0 ? '' : text.slice(after + 1));
}

/** Removes the guard's hook and restores the hook it chained; a hook sealops did not write is left alone. */
export async function uninstallHook(ctx: GitContext): Promise<HookResult> {
  const dir = await hooksDir(ctx);
  const husky = huskyFile(dir);
  if (husky) {
    const old = existsSync(husky) ? readFileSync(husky, 'utf8') : '';
    const stripped = removeBlock(old);
    if (stripped === old) return { action: 'not-installed', path: husky };
    writeExecutable(husky, stripped);
    return { action: 'removed', path: husky };
  }
  const target = join(dir, 'pre-commit');
  const chained = join(dir, CHAINED_HOOK);
  if (!existsSync(target) || !readFileSync(target, 'utf8').includes(HOOK_MARKER)) return { action: 'not-installed', path: target };
  unlinkSync(target);
  if (existsSync(chained)) {
    renameSync(chained, target);
    return { action: 'removed', path: target, chained: target };
  }
  return { action: 'removed', path: target };
}
