/**
 * What a command talks to: its output streams, environment and stop signal ({@link CliIo}), the
 * logger (pino, to stderr, never secrets or keys), and the small file readers every command shares
 * (quotes as binary or hex text, PEM files, times, hex).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { type Logger, pino } from 'pino';
import { ConfigError, ParseError } from '../errors.ts';

/** The outside world of one CLI run. Tests pass their own; `bin.ts` uses the process's. */
export interface CliIo {
  /** Writes to standard output (results: the JSON object or the human report). */
  readonly stdout: (text: string) => void;
  /** Writes to standard error (logs, usage errors). */
  readonly stderr: (text: string) => void;
  /** The environment (`ATTESTKIT_*` settings). */
  readonly env: NodeJS.ProcessEnv;
  /** Colour the human output (picocolors): true only when stdout is a TTY. */
  readonly color: boolean;
  /**
   * Stops long-running commands (`app`, `ias-mock`, `pccs-mock`). Default: SIGINT or SIGTERM of
   * this process.
   */
  readonly signal?: AbortSignal;
  /** Told when a server command is listening (tests use it to learn an ephemeral port). */
  readonly onListening?: (info: ListeningInfo) => void;
}

/** What a server command reports once it listens. */
export interface ListeningInfo {
  readonly command: string;
  readonly host: string;
  readonly port: number;
  /** The URL clients use (`https://…` / `http://…`), for HTTP servers. */
  readonly url?: string;
}

/** The process's own {@link CliIo}. */
export function processIo(): CliIo {
  return {
    stdout: (t) => {
      process.stdout.write(t);
    },
    stderr: (t) => {
      process.stderr.write(t);
    },
    env: process.env,
    color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
  };
}

/** Log levels accepted by `--log-level`. */
export const LOG_LEVELS: readonly string[] = Object.freeze([
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
]);

/**
 * A pino logger writing JSON lines to `io.stderr`. Callers log metadata only: peers, outcomes,
 * codes, digests, sizes; never a secret, a session key or a private key.
 */
export function createLogger(io: CliIo, command: string, level = 'info'): Logger {
  return pino(
    {
      level,
      base: { cmd: command },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: these names never carry anything we log on purpose.
      redact: { paths: ['secret', 'key', 'privateKey', '*.secret', '*.key', '*.privateKey'], remove: true },
    },
    {
      write(line: string) {
        io.stderr(line);
      },
    },
  );
}

/** Reads a whole file, or throws `ERR_CONFIG_FILE` naming the setting it came from. */
export function readFileOrThrow(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    throw new ConfigError('ERR_CONFIG_FILE', `cannot read ${what} ${path}: ${errnoOf(cause)}`, {
      cause,
      hint: `check the path given for ${what}`,
    });
  }
}

/** Reads a UTF-8 text file, or throws `ERR_CONFIG_FILE`. */
export function readTextOrThrow(path: string, what: string): string {
  return Buffer.from(readFileOrThrow(path, what)).toString('utf8');
}

/** Reads a PEM file and checks it holds a PEM block, or throws `ERR_CONFIG_FILE`. */
export function readPemOrThrow(path: string, what: string): string {
  const text = readTextOrThrow(path, what);
  if (!/-----BEGIN [A-Z0-9 ]+-----/.test(text)) {
    throw new ConfigError('ERR_CONFIG_FILE', `${what} ${path} holds no PEM block`, {
      hint: `${what} must be a PEM file`,
    });
  }
  return text;
}

function errnoOf(e: unknown): string {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'unreadable';
}

const HEX_TEXT = /^\s*(?:0x)?[0-9a-fA-F\s]+$/;

/** True when no byte is a control character other than whitespace: text (UTF-8), not a binary quote. */
function isText(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return false;
  }
  return true;
}

/**
 * A quote file as bytes: binary as is, or hex text (whitespace and a `0x` prefix allowed). A binary
 * quote never reads as text: its header holds zero bytes (version 2..5 is a little-endian u16).
 *
 * @throws ParseError `ERR_HEX_INVALID` for a text file that is not (an even number of) hex digits.
 */
export function decodeQuoteFile(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0 || !isText(bytes)) return bytes;
  const text = Buffer.from(bytes).toString('latin1');
  const digits = text.trim().replace(/^0x/i, '').replace(/\s+/g, '');
  if (!HEX_TEXT.test(text) || digits.length % 2 !== 0) {
    const bad = digits.search(/[^0-9a-fA-F]/);
    throw new ParseError(
      'ERR_HEX_INVALID',
      bad >= 0
        ? `the quote file is text but not hex (character ${bad})`
        : 'the quote file holds an odd number of hex digits',
      { field: 'quote', ...(bad >= 0 ? { offset: bad } : {}) },
      { hint: 'give the quote as a binary file or as hex text' },
    );
  }
  return new Uint8Array(Buffer.from(digits, 'hex'));
}

/**
 * Parses `--at`: ISO-8601 (`2025-07-19T10:01:17Z`) or Unix seconds (`1752919277`). Undefined → now.
 */
export function parseTime(value: string | undefined, what = 'at', now: () => Date = () => new Date()): Date {
  if (value === undefined || value === '') return now();
  const v = value.trim();
  let d: Date;
  if (/^-?\d+(\.\d+)?$/.test(v)) d = new Date(Number(v) * 1000);
  else if (/^\d{4}-\d{2}-\d{2}/.test(v)) d = new Date(v);
  else d = new Date(Number.NaN);
  if (Number.isNaN(d.getTime())) {
    throw new ConfigError('ERR_CONFIG_INVALID', `setting "${what}": not a time: ${JSON.stringify(value)}`, {
      hint: 'give ISO-8601 (2025-07-19T10:01:17Z) or Unix seconds (1752919277)',
    });
  }
  return d;
}

/** Parses hex (optional `0x`, any case) of an exact byte length, or throws `ERR_CONFIG_INVALID`. */
export function parseHexSetting(value: string, what: string, bytes?: number): Uint8Array {
  const t = value.trim().replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(t) || (bytes !== undefined && t.length !== bytes * 2)) {
    throw new ConfigError(
      'ERR_CONFIG_INVALID',
      `setting "${what}": expected ${bytes === undefined ? 'hex' : `${bytes} bytes of hex (${bytes * 2} digits)`}`,
    );
  }
  return new Uint8Array(Buffer.from(t, 'hex'));
}

/** Splits `HOST:PORT` (IPv6 in brackets), or throws `ERR_CONFIG_INVALID`. */
export function parseHostPort(value: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = m === null ? Number.NaN : Number(m[3]);
  if (m === null || port < 1 || port > 65535) {
    throw new ConfigError(
      'ERR_CONFIG_INVALID',
      `setting "${what}": expected HOST:PORT, got ${JSON.stringify(value)}`,
    );
  }
  return { host: (m[1] ?? m[2])!, port };
}

/** Resolves when `signal` aborts (or at SIGINT/SIGTERM when there is none). */
export function waitForStop(signal: AbortSignal | undefined): Promise<void> {
  if (signal !== undefined) {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
