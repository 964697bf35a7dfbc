/**
 * A client for the Intel Attestation Service (IAS, the EPID path; PROTOCOL-SEED.md §8): SigRL
 * retrieval and attestation report requests, for API v4 and v5 (`Ocp-Apim-Subscription-Key`,
 * HTTP 200) and the legacy v1 style the seed used (TLS client certificate, HTTP 201).
 *
 * The HTTP transport is injected; the default uses `node:https`/`node:http` so a custom TLS CA and
 * a client certificate work. Every request has a deadline and a response size cap, and every
 * failure is a {@link NetworkError} with a specific code. The client does not verify reports: feed
 * its {@link IasReportResponse} to `verifyIasReport` (`attestkit/verify`).
 *
 * Intel ended the IAS service on 2025-04-02 (DCAP-VERIFICATION.md §5.1); this client exists for
 * wire compatibility and the local IAS mock.
 *
 * @module
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ConfigError, isAttestError, NetworkError } from '../errors.ts';
import { toHex } from '../wire/hex.ts';

/** The IAS API generations this client speaks. */
export type IasApiVersion = 1 | 4 | 5;

/** Intel's IAS base URLs (PROTOCOL-SEED.md §8.1-8.2); the service is end-of-life. */
export const IAS_BASE_URLS: Readonly<Record<string, string>> = Object.freeze({
  devV4: 'https://api.trustedservices.intel.com/sgx/dev/attestation/v4/',
  prodV4: 'https://api.trustedservices.intel.com/sgx/attestation/v4/',
  devV5: 'https://api.trustedservices.intel.com/sgx/dev/attestation/v5/',
  prodV5: 'https://api.trustedservices.intel.com/sgx/attestation/v5/',
  /** The seed's `Settings::ias_url` (API v1, client-certificate authentication). */
  legacyV1: 'https://test-as.sgx.trustedservices.intel.com:443/attestation/sgx/v1/',
});

/** One HTTP request, as the transport receives it. */
export interface IasHttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  /** The deadline for the whole exchange, in ms. */
  readonly timeoutMs: number;
  /** The largest response body the transport may return; larger ones are `ERR_NET_BAD_RESPONSE`. */
  readonly maxResponseBytes: number;
  /** PEM CA certificates to trust for the server's TLS certificate (replaces the system store). */
  readonly ca?: string | readonly string[];
  /** PEM client certificate (API v1). */
  readonly cert?: string;
  /** PEM client private key (API v1; may be in `cert`). */
  readonly key?: string;
  readonly passphrase?: string;
}

/** One HTTP response. Header names are lowercase. */
export interface IasHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** Performs one HTTP exchange; must throw {@link NetworkError}s only. */
export type IasTransport = (request: IasHttpRequest) => Promise<IasHttpResponse>;

/** Options of {@link IasClient}. */
export interface IasClientOptions {
  /** The API base URL, endpoints are appended (e.g. `…/attestation/v4/`). `http://` is allowed (flagged). */
  readonly baseUrl: string;
  /** 4 or 5 (subscription key, 200) or 1 (client certificate, 201). */
  readonly apiVersion: IasApiVersion;
  /** `Ocp-Apim-Subscription-Key` (API v4/v5). */
  readonly apiKey?: string;
  /** Tried once when the primary key gets 401 (RAS sp.cpp behaviour). */
  readonly secondaryApiKey?: string;
  /** The TLS client certificate (API v1): PEM certificate, and key if not in the same PEM. */
  readonly clientCert?: { readonly cert: string; readonly key?: string; readonly passphrase?: string };
  /** PEM CA certificate(s) to trust for the IAS TLS certificate (`--ias-tls-ca`). */
  readonly tlsCa?: string | readonly string[];
  /** Deadline per request in ms (default 30,000). */
  readonly timeoutMs?: number;
  /** Response size cap in bytes (default 256 KiB). */
  readonly maxResponseBytes?: number;
  /** The HTTP transport (default: {@link keepAliveTransport}, one connection pool per client). */
  readonly transport?: IasTransport;
  /**
   * How long a SigRL fetched by {@link IasClient.getSigRl} is reused for the same EPID group, in ms
   * (default 0: off, every call asks IAS). See {@link IasClient.getSigRl} for why a cached SigRL
   * cannot make a revoked platform pass.
   */
  readonly sigRlCacheMs?: number;
  /** The most EPID groups whose SigRL is cached (default 64); the least recently used is dropped first. */
  readonly sigRlCacheMaxEntries?: number;
  /** The clock for the SigRL cache (default: `() => new Date()`). */
  readonly now?: () => Date;
}

/** What IAS answered a report request with: the inputs of `verifyIasReport` and the metadata. */
export interface IasReportResponse {
  /** The exact response body bytes (the signed JSON). */
  readonly body: Uint8Array;
  /** `X-IASReport-Signature` (base64). */
  readonly signatureB64: string;
  /** `X-IASReport-Signing-Certificate`, still URL-encoded as sent. */
  readonly signingCertChain: string;
  /** `Request-ID`, when sent. */
  readonly requestId?: string;
  /** `Advisory-URL` header (API v3 style), when sent. */
  readonly advisoryUrl?: string;
  /** `Advisory-IDs` header (API v3 style), split on commas, when sent. */
  readonly advisoryIds?: readonly string[];
  /** The HTTP status (200, or 201 for API v1). */
  readonly status: number;
  /** True when the exchange was plain `http://` (only for local mocks). */
  readonly insecureTransport: boolean;
}

/** Options of {@link IasClient.getReport}. */
export interface IasReportRequestOptions {
  /** Echoed by IAS in the report; at most 32 characters. */
  readonly nonce?: string;
  /** The 256-byte PSE manifest, if the platform uses one. */
  readonly pseManifest?: Uint8Array;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;
/** IAS API: `nonce` is a string of at most 32 characters. */
const MAX_NONCE_CHARS = 32;
/** A quote with a SigRL of a few thousand entries stays well below this. */
const MAX_QUOTE_BYTES = 1 << 20;
const DEFAULT_SIGRL_CACHE_ENTRIES = 64;

/** A SigRL as IAS answered it, and when (by the client's clock). */
interface SigRlEntry {
  readonly sigRl: Uint8Array;
  readonly fetchedAtMs: number;
}

function flattenHeaders(
  raw: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);
const CLOSED_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

function networkErrorFor(cause: unknown, url: URL): NetworkError {
  if (isAttestError(cause) && cause instanceof NetworkError) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const where = `${url.protocol}//${url.host}`;
  if (typeof code === 'string') {
    if (UNREACHABLE_CODES.has(code)) {
      return new NetworkError('ERR_NET_UNREACHABLE', `IAS at ${where} is unreachable (${code})`, { cause });
    }
    if (CLOSED_CODES.has(code)) {
      return new NetworkError('ERR_NET_CLOSED', `IAS at ${where} closed the connection (${code})`, { cause });
    }
    if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO/.test(code)) {
      return new NetworkError('ERR_NET_TLS', `TLS with IAS at ${where} failed (${code})`, {
        cause,
        hint: 'pass the server CA with --ias-tls-ca, or check the client certificate',
      });
    }
  }
  return new NetworkError('ERR_NET_UNREACHABLE', `request to IAS at ${where} failed`, { cause });
}

/** Connection pools for {@link keepAliveTransport}: one per scheme. */
interface IasAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

/** A reused keep-alive connection the server had closed: the request never reached it. */
function isStaleSocketError(e: unknown, reused: boolean): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return reused && (code === 'ECONNRESET' || code === 'EPIPE');
}

/**
 * One exchange with `node:https` (or `node:http` for `http://` URLs), a deadline over the whole
 * exchange, and a response size cap; over a pooled connection when `agents` is given (retried once
 * on a fresh connection when a pooled one turns out to have been closed by the server).
 */
function exchange(
  req: IasHttpRequest,
  agents: IasAgents | undefined,
  retried = false,
): Promise<IasHttpResponse> {
  return new Promise<IasHttpResponse>((resolve, reject) => {
    const url = req.url;
    const isHttps = url.protocol === 'https:';
    const options = {
      method: req.method,
      headers: {
        ...req.headers,
        ...(req.body === undefined ? {} : { 'content-length': String(req.body.length) }),
      },
      ...(isHttps && req.ca !== undefined ? { ca: typeof req.ca === 'string' ? req.ca : [...req.ca] } : {}),
      ...(isHttps && req.cert !== undefined ? { cert: req.cert } : {}),
      ...(isHttps && req.key !== undefined ? { key: req.key } : {}),
      ...(isHttps && req.passphrase !== undefined ? { passphrase: req.passphrase } : {}),
      agent: agents === undefined ? (false as const) : isHttps ? agents.https : agents.http,
    };
    let settled = false;
    const finish = (err: NetworkError | undefined, res?: IasHttpResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err !== undefined) {
        r.destroy();
        reject(err);
      } else resolve(res!);
    };
    const timer = setTimeout(() => {
      finish(new NetworkError('ERR_NET_TIMEOUT', `IAS did not answer within ${req.timeoutMs} ms`));
    }, req.timeoutMs);
    const r = (isHttps ? httpsRequest : httpRequest)(url, options, (res) => {
      const declared = Number(res.headers['content-length'] ?? Number.NaN);
      if (Number.isFinite(declared) && declared > req.maxResponseBytes) {
        finish(
          new NetworkError(
            'ERR_NET_BAD_RESPONSE',
            `IAS response of ${declared} bytes exceeds ${req.maxResponseBytes}`,
          ),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let n = 0;
      res.on('data', (chunk: Buffer) => {
        n += chunk.length;
        if (n > req.maxResponseBytes) {
          finish(
            new NetworkError('ERR_NET_BAD_RESPONSE', `IAS response exceeds ${req.maxResponseBytes} bytes`),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        // One copy into a buffer of its own (not a view of a pooled one).
        const body = new Uint8Array(n);
        let at = 0;
        for (const c of chunks) {
          body.set(c, at);
          at += c.length;
        }
        finish(undefined, { status: res.statusCode ?? 0, headers: flattenHeaders(res.headers), body });
      });
      res.on('error', (e) => finish(networkErrorFor(e, url)));
      res.on('aborted', () =>
        finish(new NetworkError('ERR_NET_CLOSED', 'IAS closed the connection mid-response')),
      );
    });
    r.on('error', (e) => {
      if (!settled && !retried && agents !== undefined && isStaleSocketError(e, r.reusedSocket)) {
        settled = true;
        clearTimeout(timer);
        exchange(req, agents, true).then(resolve, reject);
        return;
      }
      finish(networkErrorFor(e, url));
    });
    if (req.body !== undefined) r.end(req.body);
    else r.end();
  });
}

/**
 * The default transport without connection reuse: one request with `node:https` (or `node:http` for
 * `http://` URLs) on a new connection, a deadline over the whole exchange, and a response size cap.
 */
export const nodeHttpTransport: IasTransport = (req) => exchange(req, undefined);

/**
 * The same transport over keep-alive connections (what an {@link IasClient} uses by default): an
 * SP asks IAS twice per session (SigRL, then the report), and a new connection each time costs a
 * TCP connect and, over HTTPS, a TLS handshake. Idle pooled connections do not keep the process
 * alive; `close` ends them.
 */
export function keepAliveTransport(): { readonly transport: IasTransport; close(): void } {
  const agents: IasAgents = {
    http: new HttpAgent({ keepAlive: true }),
    https: new HttpsAgent({ keepAlive: true }),
  };
  return {
    transport: (req) => exchange(req, agents),
    close(): void {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** Formats an EPID group id for the `sigrl/{gid}` path: 8 lowercase hex digits of the u32 (PROTOCOL-SEED.md §8.1). */
export function formatEpidGroupId(gid: Uint8Array | number): string {
  if (typeof gid === 'number') {
    if (!Number.isInteger(gid) || gid < 0 || gid > 0xffffffff)
      throw new RangeError('EPID group id must be a u32');
    return gid.toString(16).padStart(8, '0');
  }
  if (!(gid instanceof Uint8Array) || gid.length !== 4) {
    throw new RangeError('EPID group id must be 4 bytes (little-endian, as in msg1 and the quote)');
  }
  // The wire bytes are little-endian; the path holds the u32 (`%08x`), i.e. the bytes reversed.
  return toHex(Uint8Array.from(gid).reverse());
}

function decodeBase64Body(body: Uint8Array, what: string): Uint8Array {
  const text = Buffer.from(body).toString('latin1').trim();
  if (text.length === 0) return new Uint8Array(0);
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw new NetworkError('ERR_NET_BAD_RESPONSE', `IAS ${what}: not base64`);
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/**
 * An IAS client. `getSigRl` and `getReport` perform one exchange each (plus one retry with the
 * secondary subscription key on 401); they throw {@link NetworkError}s only. With
 * `sigRlCacheMs` set, `getSigRl` may answer from a per-group cache instead (see there).
 */
export class IasClient {
  /** The normalised base URL (ending in `/`). */
  readonly baseUrl: URL;
  readonly apiVersion: IasApiVersion;
  /** True when the base URL is plain `http://`: acceptable only for a local mock. */
  readonly insecureTransport: boolean;
  readonly #options: IasClientOptions;
  readonly #transport: IasTransport;
  readonly #closeTransport: (() => void) | undefined;
  /** What every request carries besides method, URL, headers and body (built once). */
  readonly #requestBase: Omit<IasHttpRequest, 'method' | 'url' | 'headers' | 'body'>;
  /** `…/report`, resolved once (each request gets its own `URL` object made from it). */
  readonly #reportHref: string;
  readonly #sigRlCacheMs: number;
  readonly #sigRlCacheMax: number;
  readonly #now: () => Date;
  /** Cached SigRLs by group path (`%08x`), least recently used first. */
  readonly #sigRls = new Map<string, SigRlEntry>();
  /** SigRL requests under way by group path, shared by concurrent callers (cache on only). */
  readonly #sigRlsInFlight = new Map<string, Promise<Uint8Array>>();
  /** Bumped by {@link IasClient.forgetSigRl}: a request begun before it does not fill the cache. */
  #sigRlGeneration = 0;

  constructor(options: IasClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    } catch (cause) {
      throw new ConfigError(
        'ERR_CONFIG_INVALID',
        `IAS base URL ${JSON.stringify(options.baseUrl)} is not a URL`,
        {
          cause,
        },
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ConfigError(
        'ERR_CONFIG_INVALID',
        `IAS base URL must be https:// (or http:// for a local mock)`,
      );
    }
    if (options.apiVersion !== 1 && options.apiVersion !== 4 && options.apiVersion !== 5) {
      throw new ConfigError(
        'ERR_CONFIG_INVALID',
        `unsupported IAS API version ${String(options.apiVersion)}`,
      );
    }
    if (options.apiVersion !== 1 && options.apiKey === undefined) {
      throw new ConfigError('ERR_CONFIG_INVALID', `IAS API v${options.apiVersion} needs a subscription key`, {
        hint: 'pass --ias-api-key (Ocp-Apim-Subscription-Key)',
      });
    }
    const cacheMs = options.sigRlCacheMs ?? 0;
    if (typeof cacheMs !== 'number' || !Number.isFinite(cacheMs) || cacheMs < 0) {
      throw new ConfigError('ERR_CONFIG_INVALID', 'sigRlCacheMs must be a finite number of ms, 0 or more');
    }
    const cacheMax = options.sigRlCacheMaxEntries ?? DEFAULT_SIGRL_CACHE_ENTRIES;
    if (!Number.isInteger(cacheMax) || cacheMax < 1) {
      throw new ConfigError('ERR_CONFIG_INVALID', 'sigRlCacheMaxEntries must be a positive integer');
    }
    this.baseUrl = url;
    this.apiVersion = options.apiVersion;
    this.insecureTransport = url.protocol === 'http:';
    this.#options = options;
    this.#sigRlCacheMs = cacheMs;
    this.#sigRlCacheMax = cacheMax;
    this.#now = options.now ?? (() => new Date());
    this.#reportHref = new URL('report', url).href;
    const o = options;
    this.#requestBase = Object.freeze({
      timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxResponseBytes: o.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      ...(o.tlsCa === undefined ? {} : { ca: o.tlsCa }),
      ...(o.clientCert === undefined
        ? {}
        : {
            cert: o.clientCert.cert,
            ...(o.clientCert.key === undefined ? {} : { key: o.clientCert.key }),
            ...(o.clientCert.passphrase === undefined ? {} : { passphrase: o.clientCert.passphrase }),
          }),
    });
    if (options.transport === undefined) {
      const pooled = keepAliveTransport();
      this.#transport = pooled.transport;
      this.#closeTransport = pooled.close;
    } else {
      this.#transport = options.transport;
      this.#closeTransport = undefined;
    }
  }

  /** Closes the client's idle keep-alive connections (the default transport's); a later request opens new ones. */
  close(): void {
    this.#closeTransport?.();
  }

  async #exchange(method: 'GET' | 'POST', url: URL, body?: Uint8Array): Promise<IasHttpResponse> {
    const o = this.#options;
    const send = async (key: string | undefined): Promise<IasHttpResponse> => {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (key !== undefined) headers['ocp-apim-subscription-key'] = key;
      try {
        return await this.#transport({
          ...this.#requestBase,
          method,
          url,
          headers,
          ...(body === undefined ? {} : { body }),
        });
      } catch (e) {
        throw networkErrorFor(e, url);
      }
    };
    const keyed = this.apiVersion !== 1;
    let res = await send(keyed ? o.apiKey : undefined);
    if (res.status === 401 && keyed && o.secondaryApiKey !== undefined) res = await send(o.secondaryApiKey);
    return res;
  }

  #statusError(res: IasHttpResponse, what: string): NetworkError {
    const hints: Record<number, string> = {
      400: 'IAS rejected the request as malformed (e.g. a linkable/unlinkable mismatch with the SPID)',
      401: 'the subscription key (or client certificate) is not accepted',
      404: 'unknown EPID group or wrong base URL',
    };
    return new NetworkError('ERR_NET_HTTP_STATUS', `IAS ${what}: HTTP ${res.status}`, {
      hint: hints[res.status] ?? 'IAS is unavailable or answered an unexpected status',
    });
  }

  async #fetchSigRl(path: string): Promise<Uint8Array> {
    const res = await this.#exchange('GET', new URL(`sigrl/${path}`, this.baseUrl));
    if (res.status !== 200) throw this.#statusError(res, 'sigrl');
    return decodeBase64Body(res.body, 'sigrl');
  }

  /**
   * `GET sigrl/{gid}`: the signature revocation list of an EPID group (PROTOCOL-SEED.md §8.1-8.2).
   * Returns the raw SigRL bytes, empty when the group has none.
   *
   * With `sigRlCacheMs` > 0, a SigRL is reused for that group for that long after IAS sent it
   * (concurrent calls for a group share one request; failures are never cached, the next call asks
   * again). This cannot make a revoked platform pass: the platform's EPID signature proves
   * non-revocation against the SigRL it was given, and IAS checks that against the group's current
   * SigRL, answering `isvEnclaveQuoteStatus: SIGRL_VERSION_MISMATCH` for a quote made with an
   * outdated one (Intel support article 000089251, which recommends caching the SigRL until then;
   * PROTOCOL-SEED.md §8.2). `verifyIasReport` refuses that status like every status outside the
   * OK family (`ERR_IAS_QUOTE_STATUS`). A stale cache therefore costs a refusal at worst, never an
   * acceptance; call {@link IasClient.forgetSigRl} on that status so the next session gets the new list.
   *
   * @param gid the group id as 4 wire bytes (little-endian, from msg1) or as a number.
   */
  async getSigRl(gid: Uint8Array | number): Promise<Uint8Array> {
    const path = formatEpidGroupId(gid);
    if (this.#sigRlCacheMs === 0) return this.#fetchSigRl(path);
    const nowMs = this.#now().getTime();
    const hit = this.#sigRls.get(path);
    if (hit !== undefined) {
      this.#sigRls.delete(path);
      // Valid from when it arrived for sigRlCacheMs; a clock that went back also invalidates it.
      if (nowMs >= hit.fetchedAtMs && nowMs - hit.fetchedAtMs < this.#sigRlCacheMs) {
        this.#sigRls.set(path, hit);
        return hit.sigRl.slice();
      }
    }
    let pending = this.#sigRlsInFlight.get(path);
    if (pending === undefined) {
      const generation = this.#sigRlGeneration;
      pending = this.#fetchSigRl(path).then(
        (sigRl) => {
          if (this.#sigRlsInFlight.get(path) === pending) this.#sigRlsInFlight.delete(path);
          if (generation === this.#sigRlGeneration) this.#rememberSigRl(path, sigRl);
          return sigRl;
        },
        (e: unknown) => {
          if (this.#sigRlsInFlight.get(path) === pending) this.#sigRlsInFlight.delete(path);
          throw e;
        },
      );
      this.#sigRlsInFlight.set(path, pending);
    }
    return (await pending).slice();
  }

  #rememberSigRl(path: string, sigRl: Uint8Array): void {
    this.#sigRls.delete(path);
    while (this.#sigRls.size >= this.#sigRlCacheMax) {
      const oldest = this.#sigRls.keys().next();
      if (oldest.done === true) break;
      this.#sigRls.delete(oldest.value);
    }
    this.#sigRls.set(path, { sigRl: sigRl.slice(), fetchedAtMs: this.#now().getTime() });
  }

  /**
   * Drops the cached SigRL of one EPID group, or of every group when `gid` is omitted; a request
   * under way when this is called does not fill the cache. Call it when a report's status is
   * `SIGRL_VERSION_MISMATCH`. Does nothing when the cache is off.
   */
  forgetSigRl(gid?: Uint8Array | number): void {
    this.#sigRlGeneration++;
    if (gid === undefined) {
      this.#sigRls.clear();
      this.#sigRlsInFlight.clear();
      return;
    }
    const path = formatEpidGroupId(gid);
    this.#sigRls.delete(path);
    this.#sigRlsInFlight.delete(path);
  }

  /**
   * `POST report` with `{isvEnclaveQuote, nonce?, pseManifest?}` (PROTOCOL-SEED.md §8.2). Expects
   * 200 (API v4/v5) or 201 (API v1) and, for v4/v5, both report signature headers.
   */
  async getReport(quote: Uint8Array, options: IasReportRequestOptions = {}): Promise<IasReportResponse> {
    if (!(quote instanceof Uint8Array)) throw new TypeError('quote must be a Uint8Array');
    if (quote.length === 0 || quote.length > MAX_QUOTE_BYTES)
      throw new RangeError('quote length out of range');
    if (
      options.nonce !== undefined &&
      (options.nonce.length === 0 || options.nonce.length > MAX_NONCE_CHARS)
    ) {
      throw new ConfigError('ERR_CONFIG_INVALID', `IAS nonce must be 1..${MAX_NONCE_CHARS} characters`);
    }
    const payload: Record<string, string> = { isvEnclaveQuote: Buffer.from(quote).toString('base64') };
    if (options.pseManifest !== undefined)
      payload.pseManifest = Buffer.from(options.pseManifest).toString('base64');
    if (options.nonce !== undefined) payload.nonce = options.nonce;
    const res = await this.#exchange(
      'POST',
      new URL(this.#reportHref),
      new TextEncoder().encode(JSON.stringify(payload)),
    );
    const expected = this.apiVersion === 1 ? 201 : 200;
    if (res.status !== expected) throw this.#statusError(res, 'report');
    const signature = res.headers['x-iasreport-signature'];
    const chain = res.headers['x-iasreport-signing-certificate'];
    if (signature === undefined || chain === undefined) {
      throw new NetworkError('ERR_NET_BAD_RESPONSE', 'IAS report: the response is not signed', {
        hint: 'X-IASReport-Signature and X-IASReport-Signing-Certificate are required',
      });
    }
    if (res.body.length === 0) throw new NetworkError('ERR_NET_BAD_RESPONSE', 'IAS report: empty body');
    const requestId = res.headers['request-id'];
    const advisoryUrl = res.headers['advisory-url'];
    const advisoryIds = res.headers['advisory-ids'];
    return Object.freeze({
      body: res.body,
      signatureB64: signature.trim(),
      signingCertChain: chain,
      ...(requestId === undefined ? {} : { requestId }),
      ...(advisoryUrl === undefined ? {} : { advisoryUrl }),
      ...(advisoryIds === undefined
        ? {}
        : {
            advisoryIds: Object.freeze(
              advisoryIds
                .split(',')
                .map((s) => s.trim())
                .filter((s) => s.length > 0),
            ),
          }),
      status: res.status,
      insecureTransport: this.insecureTransport,
    });
  }
}
