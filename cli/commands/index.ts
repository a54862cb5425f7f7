/**
 * The commands, each in its own file exporting `register`. They are loaded lazily: a run of
 * `sealops seal` imports only the seal command (and, in the bundle, only the library code it
 * uses), so every command pays for its own start-up and no other.
 */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';

type Register = (program: Command, io: CliIo) => void;

/** Every command, in help order, with the import that brings it in. */
export const COMMANDS: Readonly<Record<string, () => Promise<{ register: Register }>>> = {
  keygen: () => import('./keygen.js'),
  seal: () => import('./seal.js'),
  unseal: () => import('./unseal.js'),
  edit: () => import('./edit.js'),
  rekey: () => import('./rekey.js'),
  rotate: () => import('./rotate.js'),
  verify: () => import('./verify.js'),
  scan: () => import('./scan.js'),
  hook: () => import('./hook.js'),
  agent: () => import('./agent.js'),
  build: () => import('./build.js'),
  install: () => import('./install.js'),
  completion: () => import('./completion.js'),
  diff: () => import('./diff.js'),
  textconv: () => import('./textconv.js'),
  status: () => import('./status.js'),
  history: () => import('./history.js'),
  keys: () => import('./keys.js'),
};

/**
 * Adds the commands `argv` needs to `program`: only the named one when argv names a command,
 * every one otherwise (help, completion scripts, and the "unknown command" message need them all).
 */
export async function registerCommands(program: Command, io: CliIo, argv: readonly string[] = []): Promise<void> {
  const first = argv.find((a) => !a.startsWith('-'));
  const needAll = first === undefined || first === 'completion' || first === 'help' || !Object.hasOwn(COMMANDS, first);
  const names = needAll ? Object.keys(COMMANDS) : [first];
  const modules = await Promise.all(names.map((n) => COMMANDS[n]!()));
  for (const m of modules) m.register(program, io);
}
