#!/usr/bin/env node
/**
 * Fast entry point of the pre-commit hook: `node guard.js scan --staged` does exactly what
 * `sealops scan --staged` does, but loads only the guard (src/scan, its git helpers and the
 * YAML parser) instead of the whole library. Every commit pays the process start, so the
 * crypto, key and Kubernetes libraries the other commands need are not loaded here.
 * This is the one place in cli/ that imports below src/index.ts, for that reason.
 */
import { EXIT_CODES, formatError } from '../src/errors.js';
import { exitQuietlyOnClosedPipe, printWarningsAsSealops } from './pipe.js';
import { formatText, scanExitStatus, scanStaged } from '../src/scan/index.js';

async function main(argv: string[]): Promise<number> {
  if (argv.length !== 2 || argv[0] !== 'scan' || argv[1] !== '--staged') {
    process.stderr.write('sealops: error: failed to parse options: guard.js only runs `scan --staged`\nsealops: hint: use sealops scan for everything else\n');
    return EXIT_CODES.USAGE;
  }
  try {
    const report = await scanStaged({ cwd: process.cwd(), env: process.env });
    process.stdout.write(formatText(report));
    return scanExitStatus(report);
  } catch (err) {
    const { text, exitCode } = formatError(err);
    process.stderr.write(text);
    return exitCode;
  }
}

exitQuietlyOnClosedPipe();
printWarningsAsSealops();
process.exitCode = await main(process.argv.slice(2));
