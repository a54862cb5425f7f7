/**
 * Registers every command. Each command lives in its own file and exports `register`.
 */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { register as keygen } from './keygen.js';
import { register as seal } from './seal.js';
import { register as unseal } from './unseal.js';
import { register as edit } from './edit.js';
import { register as rekey } from './rekey.js';
import { register as rotate } from './rotate.js';
import { register as verify } from './verify.js';
import { register as scan } from './scan.js';
import { register as hook } from './hook.js';
import { register as agent } from './agent.js';
import { register as build } from './build.js';
import { register as install } from './install.js';
import { register as completion } from './completion.js';

/** Adds every sealops command to `program`. */
export function registerCommands(program: Command, io: CliIo): void {
  for (const register of [keygen, seal, unseal, edit, rekey, rotate, verify, scan, hook, agent, build, install, completion]) register(program, io);
}
