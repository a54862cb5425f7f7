/**
 * The CLI's view of the process: streams, environment and working directory, passed to every
 * command so tests can run the program in-process and capture its output.
 */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Set by a command whose result is not success but not an error either (scan findings). */
  exitCode: number;
}

/** Reads a whole stream into a buffer (stdin for `-` or no FILE). */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** Collector for repeatable options (`-r A -r B`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Prints a warning the way every command does. */
export function warn(io: CliIo, message: string): void {
  io.stderr.write(`sealops: warning: ${message}\n`);
}
