/**
 * `sealops hook install|uninstall`: puts the guard in front of `git commit`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { installDiffDriver, installHook, uninstallDiffDriver, uninstallHook, type HookCommand } from '../../src/index.js';

/**
 * The node binary and script of this installation, so the hook runs exactly this sealops:
 * the guard's fast entry (guard.js, which loads only the scanner) when it is there.
 */
function selfCommand(): HookCommand {
  // Beside this module in the bundle (dist/cli/main.js), one folder up in tsc's layout.
  for (const name of ['./guard.js', '../guard.js', './sealops.js', '../sealops.js']) {
    const script = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(script)) return { node: process.execPath, script };
  }
  return {};
}

/** How git starts this sealops for `textconv` (the full CLI, not the guard's entry). */
function textconvCommand(): string[] {
  // Beside this module in the bundle (dist/cli/main.js), one folder up in tsc's layout.
  for (const name of ['./sealops.js', '../sealops.js']) {
    const script = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(script)) return [process.execPath, script];
  }
  return ['sealops'];
}

/** Registers `sealops hook`. */
export function register(program: Command, io: CliIo): void {
  const hook = program.command('hook').description('install or remove the pre-commit hook that runs `sealops scan --staged`');
  hook
    .command('install')
    .description('install the guard as the pre-commit hook (.git/hooks, core.hooksPath, or husky); an existing hook is kept and chained')
    .action(async () => {
      const r = await installHook({ cwd: io.cwd, env: io.env }, selfCommand());
      io.stdout.write(`sealops: ${r.action} pre-commit hook ${r.path}\n`);
      if (r.chained) io.stdout.write(`sealops: the existing hook is kept as ${r.chained} and runs after the guard\n`);
      const d = await installDiffDriver({ cwd: io.cwd, env: io.env }, textconvCommand());
      io.stdout.write(`sealops: git diff shows sealed files through \`${d.textconv}\` (${d.gitattributes})\n`);
    });
  hook
    .command('uninstall')
    .description('remove the guard\'s pre-commit hook and restore the hook it chained')
    .action(async () => {
      const r = await uninstallHook({ cwd: io.cwd, env: io.env });
      if (r.action === 'not-installed') io.stdout.write(`sealops: no sealops pre-commit hook at ${r.path}; nothing to do\n`);
      else io.stdout.write(`sealops: removed pre-commit hook ${r.path}${r.chained ? ' and restored the hook it chained' : ''}\n`);
      await uninstallDiffDriver({ cwd: io.cwd, env: io.env });
    });
}
