#!/usr/bin/env node
// Process entry point: the only place that touches process.argv and process.exitCode.
import { exitQuietlyOnClosedPipe } from './pipe.js';
import { runCli } from './program.js';
import { EXIT_OK } from '../src/index.js';

exitQuietlyOnClosedPipe();
const status = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  exitCode: EXIT_OK,
});
process.exitCode = status;
