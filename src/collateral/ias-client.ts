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
        finish(undefined, {
          status: res.statusCode ?? 0,
          headers: flattenHeaders(res.headers),
          body: new Uint8Array(Buffer.concat(chunks)),
        });
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
 * secondary subscription key on 401); they throw {@link NetworkError}s only.
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
    this.baseUrl = url;
    this.apiVersion = options.apiVersion;
    this.insecureTransport = url.protocol === 'http:';
    this.#options = options;
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

  async #exchange(method: 'GET' | 'POST', path: string, body?: Uint8Array): Promise<IasHttpResponse> {
    const o = this.#options;
    const url = new URL(path, this.baseUrl);
    const base = {
      method,
      url,
      timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxResponseBytes: o.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      ...(body === undefined ? {} : { body }),
      ...(o.tlsCa === undefined ? {} : { ca: o.tlsCa }),
      ...(o.clientCert === undefined
        ? {}
        : {
            cert: o.clientCert.cert,
            ...(o.clientCert.key === undefined ? {} : { key: o.clientCert.key }),
            ...(o.clientCert.passphrase === undefined ? {} : { passphrase: o.clientCert.passphrase }),
          }),
    };
    const headers = (key: string | undefined): Record<string, string> => ({
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(key === undefined ? {} : { 'ocp-apim-subscription-key': key }),
    });
    const send = async (key: string | undefined): Promise<IasHttpResponse> => {
      try {
        return await this.#transport({ ...base, headers: headers(key) });
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

  /**
   * `GET sigrl/{gid}`: the signature revocation list of an EPID group (PROTOCOL-SEED.md §8.1-8.2).
   * Returns the raw SigRL bytes, empty when the group has none.
   *
   * @param gid the group id as 4 wire bytes (little-endian, from msg1) or as a number.
   */
  async getSigRl(gid: Uint8Array | number): Promise<Uint8Array> {
    const res = await this.#exchange('GET', `sigrl/${formatEpidGroupId(gid)}`);
    if (res.status !== 200) throw this.#statusError(res, 'sigrl');
    return decodeBase64Body(res.body, 'sigrl');
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
    const res = await this.#exchange('POST', 'report', new TextEncoder().encode(JSON.stringify(payload)));
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
