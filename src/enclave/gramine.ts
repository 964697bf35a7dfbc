/**
 * SGX inside Gramine: the application process IS the enclave, so the RA core runs in it and quotes
 * come from Gramine's `/dev/attestation` pseudo files: write the 64-byte `user_report_data`, read
 * `quote` (DCAP v3, or EPID v2 when the manifest selects EPID).
 *
 * @module
 */
import { posix } from 'node:path';
import type { RandomSource } from '../crypto/random.ts';
import { ConfigError } from '../errors.ts';
import { EPID_QUOTE_GROUP_ID_OFFSET } from '../wire/quote.ts';
import { Mutex, nodeFsAdapter, tee } from './fs.ts';
import { LocalEnclave } from './local.ts';
import type { FsAdapter, QuoteProvider, QuoteRequest } from './types.ts';

/** Gramine's attestation pseudo-file directory. */
export const GRAMINE_ATTESTATION_DIR = '/dev/attestation';
const HINT =
  'Run the Application inside Gramine-SGX with `sgx.remote_attestation = "dcap"` (or "epid") in the manifest.';
const REPORT_DATA_SIZE = 64;

/** Options of {@link GramineQuoteProvider.create}. */
export interface GramineOptions {
  /** File access (default: node's fs). Tests pass a fake. */
  readonly fs?: FsAdapter;
  /** The pseudo-file directory (default {@link GRAMINE_ATTESTATION_DIR}). */
  readonly dir?: string;
}

/** Quotes from Gramine's `/dev/attestation` (see the module comment). */
export class GramineQuoteProvider implements QuoteProvider {
  readonly quoteKind: 'epid' | 'dcap';
  readonly #fs: FsAdapter;
  readonly #dir: string;
  readonly #gid: Uint8Array;
  readonly #lock = new Mutex();

  private constructor(fs: FsAdapter, dir: string, kind: 'epid' | 'dcap', gid: Uint8Array) {
    this.#fs = fs;
    this.#dir = dir;
    this.quoteKind = kind;
    this.#gid = gid;
  }

  /**
   * Reads `attestation_type` (`dcap`, `epid` or `none`). For EPID it takes one quote over zero report
   * data to learn the platform's EPID group id for msg1. Throws `ERR_CONFIG_UNSUPPORTED` outside
   * Gramine or when remote attestation is off.
   */
  static async create(options: GramineOptions = {}): Promise<GramineQuoteProvider> {
    const fs = options.fs ?? nodeFsAdapter;
    const dir = options.dir ?? GRAMINE_ATTESTATION_DIR;
    const raw = await tee('reading Gramine attestation_type', HINT, () =>
      fs.readFile(posix.join(dir, 'attestation_type')),
    );
    const type = new TextDecoder().decode(raw).trim();
    if (type !== 'dcap' && type !== 'epid') {
      throw new ConfigError('ERR_CONFIG_UNSUPPORTED', `Gramine remote attestation type is "${type}"`, {
        hint: HINT,
      });
    }
    const provider = new GramineQuoteProvider(fs, dir, type, new Uint8Array(4));
    if (type === 'dcap') return provider;
    const probe = await provider.#quote(new Uint8Array(REPORT_DATA_SIZE));
    const gid = probe.slice(EPID_QUOTE_GROUP_ID_OFFSET, EPID_QUOTE_GROUP_ID_OFFSET + 4);
    if (gid.length !== 4)
      throw new ConfigError('ERR_CONFIG_UNSUPPORTED', 'Gramine returned a truncated EPID quote');
    return new GramineQuoteProvider(fs, dir, type, gid);
  }

  /** The EPID group id (EPID) or zero (DCAP). */
  epidGroupId(): Uint8Array {
    return this.#gid.slice();
  }

  #quote(reportData: Uint8Array): Promise<Uint8Array> {
    if (reportData.length !== REPORT_DATA_SIZE) throw new RangeError('report data must be 64 bytes');
    // The two pseudo files are one process-wide request: never interleave two sessions' calls.
    return this.#lock.run(() =>
      tee('getting a quote from Gramine', HINT, async () => {
        await this.#fs.writeFile(posix.join(this.#dir, 'user_report_data'), reportData);
        const quote = await this.#fs.readFile(posix.join(this.#dir, 'quote'));
        if (quote.length === 0)
          throw new ConfigError('ERR_CONFIG_UNSUPPORTED', 'Gramine returned an empty quote');
        return quote;
      }),
    );
  }

  /** A quote over `request.reportData` (SPID, quote type and SigRL are fixed by Gramine's manifest). */
  getQuote(request: QuoteRequest): Promise<Uint8Array> {
    return this.#quote(request.reportData);
  }
}

/** Options of {@link GramineEnclave.create}. */
export interface GramineEnclaveOptions extends GramineOptions {
  /** The pinned service-provider public key, `sgx_ec256_public_t` (64 bytes, little-endian). */
  readonly spPublicKey: Uint8Array;
  /** Randomness for the ephemeral keys (default: the system CSPRNG). */
  readonly random?: RandomSource;
  /** Cap on concurrently open sessions. */
  readonly maxSessions?: number;
}

/** An {@link Enclave} for an Application running inside Gramine-SGX: the RA core plus Gramine's quotes. */
export class GramineEnclave extends LocalEnclave {
  /** Probes `/dev/attestation` (see {@link GramineQuoteProvider.create}) and builds the enclave. */
  static async create(options: GramineEnclaveOptions): Promise<GramineEnclave> {
    const quoteProvider = await GramineQuoteProvider.create(options);
    return new GramineEnclave({
      kind: 'gramine',
      spPublicKey: options.spPublicKey,
      quoteProvider,
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
    });
  }
}
