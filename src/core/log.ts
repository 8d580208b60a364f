import { redactorOf } from './redact';

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds fields (the delivery id, above all) and secrets to redact to every line. */
  child(fields: LogFields, secrets?: Iterable<string>): Logger;
}

export type LogSink = (line: string) => void;

/**
 * One JSON line per event, every value redacted before it is serialised: once in JSON, a secret holding
 * `"` or `\` is spelled differently and would slip past a search for it.
 */
export function createLogger(sink: LogSink, base: LogFields = {}, secrets: readonly string[] = []): Logger {
  const redact = redactorOf(secrets);
  const redacted = (fields: LogFields): LogFields =>
    Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, typeof value === 'string' ? redact(value) : value]));
  // The same on every line, so redacted once: a deploy's lines share its delivery id, target and the rest.
  const baseShown = redacted(base);
  const write = (level: string, message: string, fields: LogFields = {}) => {
    sink(JSON.stringify({ level, message: redact(message), ...baseShown, ...redacted(fields) }));
  };
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (fields, more = []) => createLogger(sink, { ...base, ...fields }, [...secrets, ...more]),
  };
}
