/**
 * Child-process plumbing shared by the control plane and the git servers: free loopback
 * ports, processes whose output goes to a log file, the tail of that log for error messages,
 * and a stop that escalates from SIGTERM to SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A TCP port that was free on 127.0.0.1 a moment ago. The OS picks it, so parallel runs do
 * not collide on a fixed range; the small window before the caller binds it is accepted.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('failed to find a free port: no address'))));
    });
  });
}

/** A child process whose stdout and stderr both go to `logFile`. */
export interface LoggedProcess {
  /** What it is, for messages (`etcd`, `kube-apiserver`, …). */
  name: string;
  /** The running child. */
  child: ChildProcess;
  /** Where its output goes. */
  logFile: string;
  /** Resolves with the exit code (or signal name) when the child has exited. */
  exited: Promise<number | string>;
  /** True once the child has exited. */
  hasExited(): boolean;
}

/** Starts `command args` with output appended to `logFile` (not piped: a full pipe would stall it). */
export function spawnLogged(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): LoggedProcess {
  const fd = openSync(logFile, 'a');
  let done = false;
  try {
    const child = spawn(command, args, { stdio: ['ignore', fd, fd], env });
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => {
        done = true;
        resolve(code ?? signal ?? 'unknown');
      });
      child.once('error', (err) => {
        done = true;
        resolve(`spawn error: ${err.message}`);
      });
    });
    return { name, child, logFile, exited, hasExited: () => done };
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
}

/** The last `lines` lines of a log file, or a note that it could not be read. */
export function tailLog(logFile: string, lines = 25): string {
  try {
    const text = readFileSync(logFile, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch (err) {
    return `(no log: ${(err as Error).message})`;
  }
}

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL; resolves when the child is gone. */
export async function stopProcess(proc: LoggedProcess, graceMs = 10_000): Promise<void> {
  if (proc.hasExited()) return;
  proc.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const result = await Promise.race([proc.exited, timeout]);
  clearTimeout(timer);
  if (result === 'timeout' && !proc.hasExited()) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
