/**
 * How the CLI talks to a person: notes and warnings on stderr (silenced by -q), colour only on
 * a terminal and never with NO_COLOR, and for bulk commands a progress bar on a terminal and a
 * one-line summary. Data (sealed text, reports) goes to stdout and is never affected.
 */
import type { CliIo } from './io.js';

function isTty(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** Colour for stderr: a terminal, no `NO_COLOR` (any value, https://no-color.org), and not a dumb terminal. */
export function colorOn(io: CliIo): boolean {
  return isTty(io.stderr) && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
}

/** `sealops: error:` in red when colour is on. */
export function paintError(io: CliIo, text: string): string {
  return colorOn(io) ? text.replace(/^sealops: error:/gm, 'sealops: \x1b[31merror:\x1b[0m').replace(/^sealops: hint:/gm, 'sealops: \x1b[2mhint:\x1b[0m') : text;
}

/** A note for the user (what was written), unless -q. */
export function note(io: CliIo, message: string): void {
  if (!io.quiet) io.stderr.write(`sealops: ${message}\n`);
}

/** A warning, unless -q. */
export function warn(io: CliIo, message: string): void {
  if (!io.quiet) io.stderr.write(`sealops: ${colorOn(io) ? '\x1b[33mwarning:\x1b[0m' : 'warning:'} ${message}\n`);
}

/** A progress bar for `total` files: drawn only on a terminal, never with -q, erased when done. */
export interface Progress {
  /** Reports `done` of `total` finished. */
  readonly tick: (done: number, total: number) => void;
  /** Erases the bar. */
  readonly end: () => void;
}

const BAR_WIDTH = 30;

/** Whether `CI` is set (any value but empty, `0` or `false`): CI logs get no progress bar even on a pseudo-terminal. */
function inCi(io: CliIo): boolean {
  const ci = io.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** A progress bar labelled `verb` (`sealing`), or one that draws nothing off a terminal or in CI. */
export function progress(io: CliIo, verb: string): Progress {
  if (io.quiet || !isTty(io.stderr) || inCi(io)) return { tick: () => undefined, end: () => undefined };
  let drawn = false;
  return {
    tick(done, total) {
      if (total < 2) return;
      const filled = Math.round((done / total) * BAR_WIDTH);
      io.stderr.write(`\r${verb} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total}`);
      drawn = true;
    },
    end() {
      if (drawn) io.stderr.write('\r\x1b[2K');
    },
  };
}

/** The one-line summary of a bulk command (`sealed 200, unchanged 0, failed 0`), unless -q. */
export function summary(io: CliIo, counts: readonly (readonly [string, number])[]): void {
  if (!io.quiet) io.stderr.write(`${counts.map(([what, n]) => `${what} ${n}`).join(', ')}\n`);
}
