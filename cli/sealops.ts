#!/usr/bin/env node
// Process entry point. It loads as little as it can: `--version` needs only the version reader;
// every other run loads main.js (in the build, one bundled file) and through it only the
// command that argv names.
import module from 'node:module';
import { startHelpers } from '../src/operations/bulk-start.js';
import { ownVersion } from './version.js';

// Node ≥ 22.1 keeps compiled code between runs; Node 20 has no such cache (see bench/startup.mjs).
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const args = process.argv.slice(2);
// `rekey --all` and `rotate --all` start a bulk worker first: it boots while the program loads
// and the files are found, instead of after (the run stops it if it has too few files).
const command = args.find((a) => !a.startsWith('-'));
const bulk = (command === 'rekey' || command === 'rotate') && args.includes('--all') ? startHelpers(1) : undefined;
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) process.stdout.write(`${ownVersion()}\n`);
else await (await import('./main.js')).main(args, bulk);
