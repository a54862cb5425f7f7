import type { Command } from 'commander';
import type { CliIo } from '../io.js';
/** Adds `list` to the `keys` command group. */
export function registerKeysList(_keys: Command, _io: CliIo): void {}
