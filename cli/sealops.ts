#!/usr/bin/env node
// Process entry point. It loads as little as it can: `--version` needs only the version reader;
// every other run loads main.js (in the build, one bundled file) and through it only the
// command that argv names.
import module from 'node:module';
import { ownVersion } from './version.js';

// Node ≥ 22.1 keeps compiled code between runs; Node 20 has no such cache (see bench/startup.mjs).
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) process.stdout.write(`${ownVersion()}\n`);
else await (await import('./main.js')).main(args);
