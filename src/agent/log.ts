/**
 * Structured JSON logs, one object per line, with every string redacted against the secrets
 * the agent currently holds in memory. The sink is injected: src/ never prints.
 */
import { redactText } from './redact/index.js';

/** Where log lines go (the CLI passes stderr's write). */
export type LogSink = (line: string) => void;

/** Log levels. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A logger bound to fields (e.g. the Sync) and to a set of values that must never be printed. */
export class Logger {
  constructor(
    private readonly sink: LogSink,
    private readonly fields: Readonly<Record<string, unknown>> = {},
    private readonly secrets: ReadonlySet<string> = new Set(),
  ) {}

  /** A logger with more fields. */
  with(fields: Readonly<Record<string, unknown>>): Logger {
    return new Logger(this.sink, { ...this.fields, ...fields }, this.secrets);
  }

  /** A logger that also redacts `secrets`. */
  redacting(secrets: Iterable<string>): Logger {
    return new Logger(this.sink, this.fields, new Set([...this.secrets, ...secrets]));
  }

  /** Writes one line. */
  log(level: LogLevel, msg: string, fields: Readonly<Record<string, unknown>> = {}): void {
    const record = { ts: new Date().toISOString(), level, msg, ...this.fields, ...fields };
    const line = JSON.stringify(record, (_k, v: unknown) => (typeof v === 'string' ? redactText(v, this.secrets) : v));
    this.sink(`${line}\n`);
  }

  /** See {@link Logger.log}. */
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void {
    this.log('info', msg, fields);
  }

  /** See {@link Logger.log}. */
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void {
    this.log('warn', msg, fields);
  }

  /** See {@link Logger.log}. */
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void {
    this.log('error', msg, fields);
  }

  /** See {@link Logger.log}. */
  debug(msg: string, fields?: Readonly<Record<string, unknown>>): void {
    this.log('debug', msg, fields);
  }
}
