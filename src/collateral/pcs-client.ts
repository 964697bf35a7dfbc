/**
 * A client for Intel PCS API v4 and for PCCS (DCAP-VERIFICATION.md §6): PCK CRLs, TCB info, QE
 * identity and the Root CA CRL, assembled into a {@link Collateral}.
 *
 * Everything ambient is a parameter: `fetch`, the clock, the sleep used between retries. Each
 * request has a deadline (an `AbortSignal`), a response size cap, and is retried with exponential
 * backoff on network errors, timeouts, 429 and 5xx. Responses are cached until their own
 * `nextUpdate` by the injected clock.
 *
 * @module
 */
import { isAttestError, NetworkError } from '../errors.ts';
import { parseCrl } from '../pki/crl.ts';
import { fromHex } from '../wire/hex.ts';
import type { Quote } from '../wire/quote.ts';
import { ExpiringCache } from './cache.ts';
import { type Collateral, createCollateral, splitSignedBody } from './collateral.ts';
import { parseQeIdentity } from './qe-identity.ts';
import { type CollateralTarget, collateralTargetOf, type PckCaType } from './target.ts';
import { parseTcbInfo, type TeeKind } from './tcb-info.ts';

/** Intel PCS (§6). */
export const INTEL_PCS_BASE_URL = 'https://api.trustedservices.intel.com';
/** The Root CA CRL distribution point named in the Intel SGX Root CA certificate (§6.1). */
export const INTEL_ROOT_CA_CRL_URL = 'https://certificates.trustedservices.intel.com/IntelSGXRootCA.der';

/** A `fetch`-compatible function (the global `fetch` by default). */
export type FetchLike = (
  input: string,
  init: { signal: AbortSignal; headers: Record<string, string> },
) => Promise<Response>;

/** Options for {@link PcsClient}. */
export interface PcsClientOptions {
  /**
   * The service base URL, without the `/sgx/certification/v4` path: Intel PCS by default, or a
   * PCCS such as `https://pccs.example:8081`.
   */
  readonly baseUrl?: string;
  /** `pcs` (default for the Intel URL) or `pccs` (other URLs): where the Root CA CRL comes from (§6.2). */
  readonly kind?: 'pcs' | 'pccs';
  /** Overrides the Root CA CRL URL. */
  readonly rootCaCrlUrl?: string;
  /** `Ocp-Apim-Subscription-Key`, only needed for PCK certificate requests. */
  readonly apiKey?: string;
  /** `update=standard|early` on TCB info and QE identity requests. */
  readonly update?: 'standard' | 'early';
  /** `tcbEvaluationDataNumber=N` on TCB info and QE identity requests (PCS answers 410 for old ones). */
  readonly tcbEvaluationDataNumber?: number;
  /** The fetch implementation (default: the global `fetch`). */
  readonly fetch?: FetchLike;
  /** The clock for cache expiry (default: `() => new Date()`). */
  readonly now?: () => Date;
  /** Waits between retries (default: a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Per-attempt deadline in ms (default 10,000). */
  readonly timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  readonly retries?: number;
  /** The first backoff in ms, doubled on each retry (default 250). */
  readonly backoffMs?: number;
  /** The largest response body accepted, in bytes (default 1 MiB). */
  readonly maxResponseBytes?: number;
  /** A cache shared between clients, or `false` for none (default: a cache per client). */
  readonly cache?: ExpiringCache<unknown> | false;
}

/** A PCK CRL and its issuer chain. */
export interface PckCrlResponse {
  /** DER. */
  readonly crl: Uint8Array;
  /** PEM: the PCK CA, then the Root. */
  readonly issuerChain: string;
}

/** A signed TCB info or QE identity and its issuer chain. */
export interface SignedCollateralResponse {
  /** The exact signed text of the inner object. */
  readonly signedText: string;
  /** Raw r‖s. */
  readonly signature: Uint8Array;
  /** PEM: the TCB Signing certificate, then the Root. */
  readonly issuerChain: string;
}

/** What {@link PcsClient.getCollateralForQuote} accepts: a quote (bytes or parsed) or a target. */
export type CollateralSource = Uint8Array | Quote | CollateralTarget;

const V4 = '/certification/v4';
const PCK_CRL_CHAIN = 'SGX-PCK-CRL-Issuer-Chain';
const TCB_INFO_CHAIN = 'TCB-Info-Issuer-Chain';
const TCB_INFO_CHAIN_V3 = 'SGX-TCB-Info-Issuer-Chain';
const QE_IDENTITY_CHAIN = 'SGX-Enclave-Identity-Issuer-Chain';

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_BACKOFF_MS = 250;
const DEFAULT_MAX_BYTES = 1 << 20;

interface RawResponse {
  readonly body: Uint8Array;
  readonly headers: Headers;
}

class RetryableError extends Error {
  readonly error: NetworkError;
  constructor(error: NetworkError) {
    super(error.message);
    this.error = error;
  }
}

function badResponse(url: string, message: string, cause?: unknown): NetworkError {
  return new NetworkError('ERR_NET_BAD_RESPONSE', `${url}: ${message}`, cause === undefined ? {} : { cause });
}

/** A CRL body as DER: PCS sends DER (`encoding=der`), PCCS `rootcacrl` sends hex text, some send PEM. */
function decodeCrlBody(body: Uint8Array, url: string): Uint8Array {
  if (body.length > 0 && body[0] === 0x30) return body;
  const text = Buffer.from(body).toString('latin1').trim();
  if (text.startsWith('-----BEGIN X509 CRL-----')) {
    const b64 = text.replace(/-----(BEGIN|END) X509 CRL-----/g, '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) throw badResponse(url, 'malformed PEM CRL');
    return new Uint8Array(Buffer.from(b64, 'base64'));
  }
  try {
    const der = fromHex(text, 'crl');
    if (der.length > 0 && der[0] === 0x30) return der;
  } catch {
    // falls through to the error below: the body is neither DER, PEM nor hex
  }
  throw badResponse(url, 'the body is not a CRL (DER, hex or PEM)');
}

function decodeChainHeader(headers: Headers, names: readonly string[], url: string): string {
  for (const name of names) {
    const v = headers.get(name);
    if (v === null) continue;
    let pem: string;
    try {
      pem = decodeURIComponent(v);
    } catch (e) {
      throw badResponse(url, `${name} is not URL-encoded`, e);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----'))
      throw badResponse(url, `${name} holds no PEM certificate`);
    return pem;
  }
  throw badResponse(url, `missing header ${names[0]}`);
}

/**
 * An Intel PCS / PCCS v4 client. Every method either resolves with collateral or rejects with a
 * {@link NetworkError}: `ERR_NET_UNREACHABLE`, `ERR_NET_TIMEOUT`, `ERR_NET_HTTP_STATUS`,
 * `ERR_NET_BAD_RESPONSE`.
 */
export class PcsClient {
  readonly #base: string;
  readonly #rootCaCrlUrl: string;
  readonly #fetch: FetchLike;
  readonly #now: () => Date;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #maxBytes: number;
  readonly #apiKey: string | undefined;
  readonly #query: string;
  readonly #cache: ExpiringCache<unknown> | undefined;

  constructor(options: PcsClientOptions = {}) {
    const base = (options.baseUrl ?? INTEL_PCS_BASE_URL).replace(/\/+$/, '');
    if (!/^https?:\/\//.test(base)) throw new TypeError('baseUrl must be an http(s) URL');
    this.#base = base;
    const kind = options.kind ?? (base === INTEL_PCS_BASE_URL ? 'pcs' : 'pccs');
    this.#rootCaCrlUrl =
      options.rootCaCrlUrl ?? (kind === 'pcs' ? INTEL_ROOT_CA_CRL_URL : `${base}/sgx${V4}/rootcacrl`);
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? (() => new Date());
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retries = options.retries ?? DEFAULT_RETRIES;
    this.#backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
    this.#maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_BYTES;
    this.#apiKey = options.apiKey;
    for (const [k, v] of [
      ['timeoutMs', this.#timeoutMs],
      ['retries', this.#retries],
      ['backoffMs', this.#backoffMs],
      ['maxResponseBytes', this.#maxBytes],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`${k} must be a non-negative integer`);
    }
    const q: string[] = [];
    if (options.update !== undefined) q.push(`update=${options.update}`);
    if (options.tcbEvaluationDataNumber !== undefined) {
      if (!Number.isInteger(options.tcbEvaluationDataNumber) || options.tcbEvaluationDataNumber < 0) {
        throw new RangeError('tcbEvaluationDataNumber must be a non-negative integer');
      }
      q.push(`tcbEvaluationDataNumber=${options.tcbEvaluationDataNumber}`);
    }
    this.#query = q.join('&');
    this.#cache = options.cache === false ? undefined : (options.cache ?? new ExpiringCache<unknown>());
  }

  #nowMs(): number {
    return this.#now().getTime();
  }

  async #attempt(url: string): Promise<RawResponse> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    const headers: Record<string, string> = {};
    if (this.#apiKey !== undefined) headers['Ocp-Apim-Subscription-Key'] = this.#apiKey;
    try {
      let res: Response;
      try {
        res = await this.#fetch(url, { signal: controller.signal, headers });
      } catch (e) {
        if (controller.signal.aborted) {
          throw new RetryableError(
            new NetworkError('ERR_NET_TIMEOUT', `${url}: no answer within ${this.#timeoutMs} ms`),
          );
        }
        throw new RetryableError(
          new NetworkError('ERR_NET_UNREACHABLE', `${url}: ${String(e)}`, { cause: e }),
        );
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        const err = new NetworkError('ERR_NET_HTTP_STATUS', `${url}: HTTP ${res.status}`);
        if (res.status >= 500 || res.status === 429) throw new RetryableError(err);
        throw err;
      }
      const body = await this.#readBody(res, url, controller.signal);
      return { body, headers: res.headers };
    } finally {
      clearTimeout(timer);
    }
  }

  async #readBody(res: Response, url: string, signal: AbortSignal): Promise<Uint8Array> {
    const declared = res.headers.get('content-length');
    if (declared !== null && Number(declared) > this.#maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw badResponse(url, `body of ${declared} bytes exceeds the cap of ${this.#maxBytes}`);
    }
    if (res.body === null) return new Uint8Array(0);
    const reader = res.body.getReader();
    const parts: Uint8Array[] = [];
    let total = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
        if (total > this.#maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw badResponse(url, `body exceeds the cap of ${this.#maxBytes} bytes`);
        }
        parts.push(value);
      }
    } catch (e) {
      if (isAttestError(e)) throw e;
      if (signal.aborted) {
        throw new RetryableError(
          new NetworkError('ERR_NET_TIMEOUT', `${url}: no answer within ${this.#timeoutMs} ms`),
        );
      }
      throw new RetryableError(new NetworkError('ERR_NET_UNREACHABLE', `${url}: ${String(e)}`, { cause: e }));
    }
    return new Uint8Array(Buffer.concat(parts));
  }

  /** GET with retries and exponential backoff (network errors, timeouts, 429, 5xx). */
  async #get(url: string): Promise<RawResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#attempt(url);
      } catch (e) {
        if (e instanceof RetryableError) {
          if (attempt >= this.#retries) throw e.error;
          await this.#sleep(this.#backoffMs * 2 ** attempt);
          continue;
        }
        throw e;
      }
    }
  }

  async #cached<T>(key: string, load: () => Promise<{ value: T; expiresAtMs: number }>): Promise<T> {
    const hit = this.#cache?.get(key, this.#nowMs());
    if (hit !== undefined) return hit as T;
    const { value, expiresAtMs } = await load();
    this.#cache?.set(key, value, expiresAtMs, this.#nowMs());
    return value;
  }

  #withQuery(url: string): string {
    if (this.#query === '') return url;
    return url.includes('?') ? `${url}&${this.#query}` : `${url}?${this.#query}`;
  }

  /** `GET /sgx/certification/v4/pckcrl?ca=…&encoding=der` and its `SGX-PCK-CRL-Issuer-Chain` (§6.1). */
  getPckCrl(ca: PckCaType): Promise<PckCrlResponse> {
    if (ca !== 'processor' && ca !== 'platform') throw new TypeError("ca must be 'processor' or 'platform'");
    const url = `${this.#base}/sgx${V4}/pckcrl?ca=${ca}&encoding=der`;
    return this.#cached(url, async () => {
      const res = await this.#get(url);
      const crl = decodeCrlBody(res.body, url);
      const issuerChain = decodeChainHeader(res.headers, [PCK_CRL_CHAIN], url);
      const value = Object.freeze({ crl, issuerChain });
      return { value, expiresAtMs: crlExpiry(crl, url) };
    });
  }

  /** The Intel SGX Root CA CRL: DER from its distribution point (PCS) or hex from `rootcacrl` (PCCS, §6.2). */
  getRootCaCrl(): Promise<Uint8Array> {
    const url = this.#rootCaCrlUrl;
    return this.#cached(url, async () => {
      const res = await this.#get(url);
      const crl = decodeCrlBody(res.body, url);
      return { value: crl, expiresAtMs: crlExpiry(crl, url) };
    });
  }

  /** `GET /{sgx|tdx}/certification/v4/tcb?fmspc=…` and its `TCB-Info-Issuer-Chain` (§6.1). */
  getTcbInfo(tee: TeeKind, fmspc: string): Promise<SignedCollateralResponse> {
    const f = normaliseFmspc(fmspc);
    const url = this.#withQuery(`${this.#base}/${teePath(tee)}${V4}/tcb?fmspc=${f}`);
    return this.#cached(url, async () => {
      const res = await this.#get(url);
      const signed = splitBody(res.body, 'tcbInfo', url);
      const info = wrapParse(url, () => parseTcbInfo(signed.signedText));
      const issuerChain = decodeChainHeader(res.headers, [TCB_INFO_CHAIN, TCB_INFO_CHAIN_V3], url);
      return { value: Object.freeze({ ...signed, issuerChain }), expiresAtMs: info.nextUpdateMs };
    });
  }

  /** `GET /{sgx|tdx}/certification/v4/qe/identity` and its `SGX-Enclave-Identity-Issuer-Chain` (§6.1). */
  getQeIdentity(tee: TeeKind): Promise<SignedCollateralResponse> {
    const url = this.#withQuery(`${this.#base}/${teePath(tee)}${V4}/qe/identity`);
    return this.#cached(url, async () => {
      const res = await this.#get(url);
      const signed = splitBody(res.body, 'enclaveIdentity', url);
      const identity = wrapParse(url, () => parseQeIdentity(signed.signedText));
      const issuerChain = decodeChainHeader(res.headers, [QE_IDENTITY_CHAIN], url);
      return { value: Object.freeze({ ...signed, issuerChain }), expiresAtMs: identity.nextUpdateMs };
    });
  }

  /**
   * Fetches and assembles everything a quote of `target` needs: the PCK CRL of its CA, the Root CA
   * CRL, the TCB info for its FMSPC and TEE, and the QE identity for its TEE.
   */
  async getCollateral(target: CollateralTarget): Promise<Collateral> {
    if (target.tee !== 'SGX' && target.tee !== 'TDX') throw new TypeError("tee must be 'SGX' or 'TDX'");
    const [pck, root, tcb, qe] = await Promise.all([
      this.getPckCrl(target.pckCa),
      this.getRootCaCrl(),
      this.getTcbInfo(target.tee, target.fmspc),
      this.getQeIdentity(target.tee),
    ]);
    return createCollateral({
      pckCrlIssuerChain: pck.issuerChain,
      pckCrl: pck.crl,
      rootCaCrl: root,
      tcbInfoIssuerChain: tcb.issuerChain,
      tcbInfo: tcb.signedText,
      tcbInfoSignature: tcb.signature,
      qeIdentityIssuerChain: qe.issuerChain,
      qeIdentity: qe.signedText,
      qeIdentitySignature: qe.signature,
    });
  }

  /**
   * {@link PcsClient.getCollateral} for a quote: its FMSPC and PCK CA type are read from the PCK
   * certificate it carries (see {@link collateralTargetOf}), its TEE from the header. A
   * {@link CollateralTarget} is passed through.
   */
  getCollateralForQuote(source: CollateralSource): Promise<Collateral> {
    const target = source instanceof Uint8Array || 'version' in source ? collateralTargetOf(source) : source;
    return this.getCollateral(target);
  }
}

function teePath(tee: TeeKind): string {
  if (tee === 'SGX') return 'sgx';
  if (tee === 'TDX') return 'tdx';
  throw new TypeError("tee must be 'SGX' or 'TDX'");
}

function normaliseFmspc(fmspc: string): string {
  if (typeof fmspc !== 'string' || !/^[0-9a-fA-F]{12}$/.test(fmspc)) {
    throw new TypeError('fmspc must be 6 bytes of hex');
  }
  return fmspc.toUpperCase();
}

function wrapParse<T>(url: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isAttestError(e)) throw badResponse(url, e.message, e);
    throw e;
  }
}

function splitBody(
  body: Uint8Array,
  member: 'tcbInfo' | 'enclaveIdentity',
  url: string,
): { readonly signedText: string; readonly signature: Uint8Array } {
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let s: string;
  try {
    s = text.decode(body);
  } catch (e) {
    throw badResponse(url, 'body is not UTF-8', e);
  }
  return wrapParse(url, () => splitSignedBody(s, member));
}

function crlExpiry(der: Uint8Array, url: string): number {
  const crl = wrapParse(url, () => parseCrl(der));
  return crl.nextUpdate.getTime();
}
