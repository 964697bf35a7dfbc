/**
 * TDX through Linux configfs-tsm: the whole VM is the TEE, so the RA core runs in the process and
 * quotes (TDX v4/v5) come from `/sys/kernel/config/tsm/report`: make a report directory, write the
 * 64-byte `inblob`, read `outblob`, and check with `generation` that nobody else wrote the report
 * in between (Linux Documentation/ABI/testing/configfs-tsm).
 *
 * @module
 */
import { posix } from 'node:path';
import { type RandomSource, systemRandom } from '../crypto/random.ts';
import { ConfigError } from '../errors.ts';
import { toHex } from '../wire/hex.ts';
import { nodeFsAdapter, tee } from './fs.ts';
import { LocalEnclave } from './local.ts';
import type { FsAdapter, QuoteProvider, QuoteRequest } from './types.ts';

/** The configfs-tsm report directory. */
export const TSM_REPORT_DIR = '/sys/kernel/config/tsm/report';
const HINT = 'Run inside a TDX guest with configfs mounted and the tdx_guest driver loaded (Linux 6.7+).';
const REPORT_DATA_SIZE = 64;
/** How often a report whose generation moved under us is retried. */
const MAX_ATTEMPTS = 3;

/** Options of {@link TsmQuoteProvider}. */
export interface TsmOptions {
  /** File access (default: node's fs). Tests pass a fake. */
  readonly fs?: FsAdapter;
  /** The report directory (default {@link TSM_REPORT_DIR}). */
  readonly dir?: string;
  /** The `provider` required (default `tdx_guest`); `null` accepts any. */
  readonly provider?: string | null;
  /** Randomness for report directory names. */
  readonly random?: RandomSource;
}

function parseGeneration(bytes: Uint8Array): number {
  const text = new TextDecoder().decode(bytes).trim();
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text)) {
    throw new ConfigError(
      'ERR_CONFIG_UNSUPPORTED',
      `configfs-tsm generation is not a number: "${text.slice(0, 32)}"`,
    );
  }
  return Number(text);
}

/** Quotes from configfs-tsm (see the module comment). */
export class TsmQuoteProvider implements QuoteProvider {
  /** TDX quotes are DCAP quotes. */
  readonly quoteKind: 'dcap' = 'dcap';
  readonly #fs: FsAdapter;
  readonly #dir: string;
  readonly #provider: string | null;
  readonly #random: RandomSource;

  constructor(options: TsmOptions = {}) {
    this.#fs = options.fs ?? nodeFsAdapter;
    this.#dir = options.dir ?? TSM_REPORT_DIR;
    this.#provider = options.provider === undefined ? 'tdx_guest' : options.provider;
    this.#random = options.random ?? systemRandom;
  }

  /** DCAP has no EPID group: msg1 carries gid 0. */
  epidGroupId(): Uint8Array {
    return new Uint8Array(4);
  }

  /** A TDX quote whose TD report carries `request.reportData`. */
  async getQuote(request: QuoteRequest): Promise<Uint8Array> {
    const reportData = request.reportData;
    if (reportData.length !== REPORT_DATA_SIZE) throw new RangeError('report data must be 64 bytes');
    for (let attempt = 1; ; attempt++) {
      const quote = await this.#attempt(reportData);
      if (quote !== undefined) return quote;
      if (attempt >= MAX_ATTEMPTS) {
        throw new ConfigError(
          'ERR_CONFIG_UNSUPPORTED',
          `configfs-tsm report changed while it was read (${MAX_ATTEMPTS} attempts)`,
          { hint: 'Another process is writing the same report entry.' },
        );
      }
    }
  }

  /** One report: undefined when the generation shows a concurrent writer. */
  async #attempt(reportData: Uint8Array): Promise<Uint8Array | undefined> {
    const entry = posix.join(this.#dir, `attestkit-${toHex(this.#random(8))}`);
    const fs = this.#fs;
    await tee('creating a configfs-tsm report', HINT, () => fs.mkdir(entry));
    try {
      return await tee('reading a configfs-tsm report', HINT, async () => {
        const before = parseGeneration(await fs.readFile(posix.join(entry, 'generation')));
        await fs.writeFile(posix.join(entry, 'inblob'), reportData);
        const outblob = await fs.readFile(posix.join(entry, 'outblob'));
        const provider = new TextDecoder().decode(await fs.readFile(posix.join(entry, 'provider'))).trim();
        const after = parseGeneration(await fs.readFile(posix.join(entry, 'generation')));
        // Exactly one write (ours) between the two reads, else another writer changed the report.
        if (after !== before + 1) return undefined;
        if (this.#provider !== null && provider !== this.#provider) {
          throw new ConfigError(
            'ERR_CONFIG_UNSUPPORTED',
            `configfs-tsm provider is "${provider}", expected "${this.#provider}"`,
            { hint: HINT },
          );
        }
        if (outblob.length === 0)
          throw new ConfigError('ERR_CONFIG_UNSUPPORTED', 'configfs-tsm returned an empty quote');
        return outblob;
      });
    } finally {
      await fs.rmdir(entry).catch(() => undefined);
    }
  }
}

/** Options of {@link TsmEnclave}. */
export interface TsmEnclaveOptions extends TsmOptions {
  /** The pinned service-provider public key, `sgx_ec256_public_t` (64 bytes, little-endian). */
  readonly spPublicKey: Uint8Array;
  /** Cap on concurrently open sessions. */
  readonly maxSessions?: number;
}

/** An {@link Enclave} for an Application running in a TDX guest: the RA core plus configfs-tsm quotes. */
export class TsmEnclave extends LocalEnclave {
  constructor(options: TsmEnclaveOptions) {
    super({
      kind: 'tsm',
      spPublicKey: options.spPublicKey,
      quoteProvider: new TsmQuoteProvider(options),
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
    });
  }
}
