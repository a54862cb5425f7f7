#!/usr/bin/env node
// Process entry point: the only place that touches process.argv and process.exitCode.
import { runCli } from './program.js';

const status = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  exitCode: 0,
});
process.exitCode = status;
