/**
 * A local, IAS-compatible mock (PROTOCOL-SEED.md §8): the only way to exercise the EPID path end to
 * end now that Intel's service is gone (DCAP-VERIFICATION.md §5.1).
 *
 * It serves, on 127.0.0.1, API v4 and v5 (`/attestation/v{4,5}/sigrl/{gid}` and `…/report`,
 * `Ocp-Apim-Subscription-Key`, HTTP 200) and the legacy v1 paths the seed used
 * (`/attestation/sgx/v1/…`, HTTP 201, lowercase `content-length`, HTTP/1.1). Reports are signed
 * like IAS's (RSA-2048 PKCS#1 v1.5 SHA-256 over the body) by a generated "attestkit Simulated IAS
 * Report Signing" certificate under a generated RSA-3072 CA; a verifier trusts them only when that
 * CA is passed as its trust anchor.
 *
 * Simulated EPID quotes: a real EPID signature cannot be produced without Intel's group keys, so a
 * simulated EPID quote is a v2 quote (PROTOCOL-SEED.md §5.3) whose 436-byte prefix is real and
 * whose 680-byte signature field holds an ECDSA-P256 signature (r‖s, big-endian) over quote[0..432)
 * by the simulated EPID group key in its first 64 bytes, zeros after (1116 bytes in all). A quote
 * whose signature does not verify gets `SIGNATURE_INVALID`, as IAS would answer.
 *
 * @module
 */
import 'reflect-metadata';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomFillSync,
  sign,
  verify,
  webcrypto,
} from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { bytesEqual, isAllZero, toHex } from '../wire/hex.ts';
import {
  ECDSA_SIGNATURE_SIZE,
  EPID_QUOTE_BASENAME_OFFSET,
  EPID_QUOTE_BODY_SIZE,
  EPID_QUOTE_GROUP_ID_OFFSET,
  EPID_QUOTE_SIGN_TYPE_OFFSET,
  EPID_QUOTE_SIGNATURE_LEN_OFFSET,
} from '../wire/quote.ts';

/** The subject CN of the simulated Report Signing CA. */
export const SIM_IAS_CA_NAME = 'attestkit Simulated IAS Report Signing CA';
/** The subject CN of the simulated Report Signing certificate. */
export const SIM_IAS_SIGNER_NAME = 'attestkit Simulated IAS Report Signing';
/** The size of a simulated EPID quote (a real EPID quote without SigRL, PROTOCOL-SEED.md §5.3). */
export const SIM_EPID_QUOTE_SIZE = 1116;
/** The `signature_len` of a simulated EPID quote. */
export const SIM_EPID_SIGNATURE_SIZE = 680;
/** Where the signature field of an EPID quote starts: after `signature_len` (PROTOCOL-SEED.md §5.3). */
const SIGNATURE_OFFSET = EPID_QUOTE_SIGNATURE_LEN_OFFSET + 4;
/** Largest request body accepted (a base64 quote plus JSON). */
const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;
const TCB_EVALUATION_DATA_NUMBER = 16;
/** `platformInfoBlob` TLV header (type 0x15, version 2, length 101; PROTOCOL-SEED.md §5.6). */
const PIB_TLV_HEADER = '15020065';
const PIB_SIZE = 101;

const subtle = webcrypto.subtle;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
/** Node's WebCrypto, typed as the provider @peculiar/x509 expects. */
const provider = webcrypto as unknown as NonNullable<Parameters<typeof X509CertificateGenerator.create>[1]>;

/** The report signing material of a mock: CA and leaf certificates and the leaf's private key. */
export interface IasSigningIdentity {
  /** The RSA-3072 Report Signing CA (PEM): the trust anchor for the mock's reports. */
  readonly caPem: string;
  /** The RSA-2048 Report Signing certificate (PEM). */
  readonly leafPem: string;
  readonly leafKey: KeyObject;
}

/** Options of {@link generateIasSigningIdentity}. */
export interface IasSigningIdentityOptions {
  /** The certificates are valid from one day before this time (default: now). */
  readonly now?: Date;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

async function exportPrivateKey(key: CryptoKey): Promise<KeyObject> {
  return createPrivateKey({
    key: Buffer.from(await subtle.exportKey('pkcs8', key)),
    format: 'der',
    type: 'pkcs8',
  });
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x3f) | 0x40;
  return b.toString('hex');
}

const RSA_ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]) };

/**
 * Generates an IAS-like report signing identity: an RSA-3072 self-signed CA named
 * {@link SIM_IAS_CA_NAME} (valid to 2049-12-31, like Intel's) and an RSA-2048 signing certificate
 * valid for ten years.
 */
export async function generateIasSigningIdentity(
  options: IasSigningIdentityOptions = {},
): Promise<IasSigningIdentity> {
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 86_400_000);
  const caKeys = (await subtle.generateKey({ ...RSA_ALG, modulusLength: 3072 }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const leafKeys = (await subtle.generateKey({ ...RSA_ALG, modulusLength: 2048 }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const caName = `CN=${SIM_IAS_CA_NAME}, O=attestkit, C=US`;
  const ca = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: caName,
      notBefore,
      notAfter: new Date('2049-12-31T23:59:59Z'),
      keys: caKeys,
      signingAlgorithm: RSA_ALG,
      extensions: [
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        await SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, provider),
      ],
    },
    provider,
  );
  const leaf = await X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: `CN=${SIM_IAS_SIGNER_NAME}, O=attestkit, C=US`,
      issuer: ca.subject,
      notBefore,
      notAfter: new Date(notBefore.getTime() + 10 * 365 * 86_400_000),
      publicKey: leafKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: RSA_ALG,
      extensions: [
        await AuthorityKeyIdentifierExtension.create(ca, false, provider),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation, true),
        new BasicConstraintsExtension(false, undefined, true),
      ],
    },
    provider,
  );
  return Object.freeze({
    caPem: toPem(ca.rawData, 'CERTIFICATE'),
    leafPem: toPem(leaf.rawData, 'CERTIFICATE'),
    leafKey: await exportPrivateKey(leafKeys.privateKey),
  });
}

interface TlsIdentity {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** A throwaway TLS CA and a server certificate for 127.0.0.1 / localhost (ECDSA P-256). */
async function generateTlsIdentity(now: Date): Promise<TlsIdentity> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const caKeys = (await subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const srvKeys = (await subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(now.getTime() - 86_400_000);
  const notAfter = new Date(now.getTime() + 365 * 86_400_000);
  const ca = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: 'CN=attestkit Simulated IAS TLS CA, O=attestkit',
      notBefore,
      notAfter,
      keys: caKeys,
      signingAlgorithm: alg,
      extensions: [
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        await SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, provider),
      ],
    },
    provider,
  );
  const srv = await X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: 'CN=localhost, O=attestkit',
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: srvKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: alg,
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
        new SubjectAlternativeNameExtension([
          { type: 'ip', value: '127.0.0.1' },
          { type: 'dns', value: 'localhost' },
        ]),
        await AuthorityKeyIdentifierExtension.create(ca, false, provider),
      ],
    },
    provider,
  );
  return {
    caPem: toPem(ca.rawData, 'CERTIFICATE'),
    certPem: toPem(srv.rawData, 'CERTIFICATE'),
    keyPem: toPem(await subtle.exportKey('pkcs8', srvKeys.privateKey), 'PRIVATE KEY'),
  };
}

// ---- simulated EPID quotes ----------------------------------------------------------------------

/**
 * Builds a simulated EPID quote from its 432 signed bytes (EPID header ‖ report body): appends
 * `signature_len` = 680 and the signature field (ECDSA-P256 r‖s big-endian over the 432 bytes,
 * then zeros). The result is 1116 bytes.
 */
export function signSimEpidQuote(quoteBody: Uint8Array, groupPrivateKey: KeyObject): Uint8Array {
  if (!(quoteBody instanceof Uint8Array) || quoteBody.length !== EPID_QUOTE_BODY_SIZE) {
    throw new RangeError(`a simulated EPID quote body must be ${EPID_QUOTE_BODY_SIZE} bytes`);
  }
  const out = new Uint8Array(SIM_EPID_QUOTE_SIZE);
  out.set(quoteBody, 0);
  new DataView(out.buffer).setUint32(EPID_QUOTE_SIGNATURE_LEN_OFFSET, SIM_EPID_SIGNATURE_SIZE, true);
  const sig = sign('sha256', quoteBody, { key: groupPrivateKey, dsaEncoding: 'ieee-p1363' });
  out.set(sig, SIGNATURE_OFFSET);
  return out;
}

/**
 * True when `quote` is a well-formed simulated EPID quote (version 2, 1116 bytes, `signature_len`
 * 680) whose signature field verifies under the simulated group key and is zero after 64 bytes.
 */
export function verifySimEpidQuote(quote: Uint8Array, groupPublicKey: KeyObject): boolean {
  if (quote.length !== SIM_EPID_QUOTE_SIZE) return false;
  const view = new DataView(quote.buffer, quote.byteOffset, quote.byteLength);
  if (view.getUint16(0, true) !== 2) return false;
  if (view.getUint32(EPID_QUOTE_SIGNATURE_LEN_OFFSET, true) !== SIM_EPID_SIGNATURE_SIZE) return false;
  const sig = quote.subarray(SIGNATURE_OFFSET, SIGNATURE_OFFSET + ECDSA_SIGNATURE_SIZE);
  if (!isAllZero(quote.subarray(SIGNATURE_OFFSET + ECDSA_SIGNATURE_SIZE))) return false;
  return verify(
    'sha256',
    quote.subarray(0, EPID_QUOTE_BODY_SIZE),
    { key: groupPublicKey, dsaEncoding: 'ieee-p1363' },
    sig,
  );
}

function toPublicKey(key: KeyObject | string | Uint8Array): KeyObject {
  if (typeof key === 'string') return createPublicKey(key);
  if (key instanceof Uint8Array) {
    if (key.length !== 65 || key[0] !== 0x04)
      throw new RangeError('simEpidPublicKey: expected 65-byte SEC1 04‖x‖y');
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(key.subarray(1, 33)).toString('base64url'),
        y: Buffer.from(key.subarray(33)).toString('base64url'),
      },
      format: 'jwk',
    });
  }
  return key.type === 'private' ? createPublicKey(key) : key;
}

function groupIdBytes(gid: Uint8Array | number): Uint8Array {
  if (typeof gid === 'number') {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, gid, true);
    return b;
  }
  if (gid.length !== 4) throw new RangeError('epidGroupId must be 4 bytes');
  return Uint8Array.from(gid);
}

// ---- the server ---------------------------------------------------------------------------------

/** Options of {@link createIasMock}. */
export interface IasMockOptions {
  /** TCP port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number;
  /** Serve HTTPS with a generated TLS CA (exposed as {@link IasMock.tlsCaPem}). */
  readonly https?: boolean;
  /** The simulated EPID group's P-256 public key (KeyObject, PEM or 65-byte SEC1); default: a fresh key pair. */
  readonly simEpidPublicKey?: KeyObject | string | Uint8Array;
  /** The EPID group the mock knows; other groups get 404 (sigrl) or 400 (report). Default: any. */
  readonly epidGroupId?: Uint8Array | number;
  /** `isvEnclaveQuoteStatus` for quotes whose signature verifies (default `OK`). */
  readonly status?: string;
  /** `advisoryIDs` to report (v4/v5; default none). */
  readonly advisories?: readonly string[];
  /** The SigRL to serve, base64 (default: none, an empty 200). */
  readonly sigRlB64?: string;
  /** Required `Ocp-Apim-Subscription-Key` on v4/v5 paths (default: none required). */
  readonly apiKey?: string;
  /** The clock for report timestamps and certificates (default: the system clock). */
  readonly now?: () => Date;
  /** Randomness for report and request ids (default: `crypto.randomBytes`). */
  readonly random?: (n: number) => Uint8Array;
  /** Report signing material to reuse (default: generated). */
  readonly signingIdentity?: IasSigningIdentity;
  /** A directory to write `ias-report-signing-ca.pem` (and `ias-tls-ca.pem`) into. */
  readonly outDir?: string;
}

/** A running IAS mock. */
export interface IasMock {
  /** `http://127.0.0.1:port` or `https://…`. */
  readonly origin: string;
  readonly port: number;
  /** Base URLs to give an `IasClient`, per API version. */
  readonly urls: { readonly v1: string; readonly v4: string; readonly v5: string };
  /** The simulated Report Signing CA (PEM): the trust anchor for this mock's reports. */
  readonly reportSigningCaPem: string;
  /** HTTPS mode: the TLS CA (PEM) that issued the server certificate. */
  readonly tlsCaPem?: string;
  /** Where the CA files were written, when `outDir` was given. */
  readonly files: { readonly reportSigningCa?: string; readonly tlsCa?: string };
  readonly simEpidPublicKey: KeyObject;
  /** The simulated group's private key, when the mock generated the pair. */
  readonly simEpidPrivateKey?: KeyObject;
  /** Changes the status (and advisories) reported for valid quotes from now on. */
  setStatus(status: string, advisories?: readonly string[]): void;
  /** Requests served so far. */
  readonly requestCount: number;
  close(): Promise<void>;
}

interface Route {
  readonly api: 1 | 4 | 5;
  readonly endpoint: 'sigrl' | 'report';
  readonly gid?: string;
}

const ROUTE_RE = /^\/attestation\/(v4|v5|sgx\/v1)\/(?:sigrl\/([0-9a-fA-F]{8})|(report))$/;

/**
 * The route of a request target. A target that already is one of the routes (the usual case) is
 * used as it is; anything else (a query, dot segments, escapes, the absolute form) is normalised
 * by the URL parser first.
 */
function route(target: string): Route | undefined {
  const m = ROUTE_RE.exec(target) ?? ROUTE_RE.exec(new URL(target, 'http://127.0.0.1').pathname);
  if (m === null) return undefined;
  const api = m[1] === 'v4' ? 4 : m[1] === 'v5' ? 5 : 1;
  return m[3] === 'report'
    ? { api, endpoint: 'report' }
    : { api, endpoint: 'sigrl', gid: m[2]!.toLowerCase() };
}

function iasTimestamp(d: Date): string {
  // IAS: UTC without a zone, microseconds (PROTOCOL-SEED.md §8.2).
  return `${d.toISOString().slice(0, 23)}000`;
}

function send(
  res: ServerResponse,
  status: number,
  body: Uint8Array,
  headers: Record<string, string> = {},
): void {
  // Lowercase header names and HTTP/1.1: the seed's C++ SP parses `content-length:` in lowercase only.
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('content-length', String(body.length));
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      n += c.length;
      if (n > MAX_REQUEST_BYTES) {
        done = true;
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, n));
    });
    req.on('error', () => {
      if (!done) resolve(undefined);
      done = true;
    });
  });
}

function decodeBase64(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length % 4 !== 0) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

const EMPTY = new Uint8Array(0);

/** Bytes drawn from the system CSPRNG in blocks (for the ids: one call per few hundred requests). */
function pooledRandom(): (n: number) => Uint8Array {
  const POOL_SIZE = 4096;
  const pool = new Uint8Array(POOL_SIZE);
  let at = POOL_SIZE;
  return (n: number): Uint8Array => {
    if (n > POOL_SIZE) return new Uint8Array(randomBytes(n));
    if (at + n > POOL_SIZE) {
      randomFillSync(pool);
      at = 0;
    }
    const out = pool.slice(at, at + n);
    pool.fill(0, at, at + n);
    at += n;
    return out;
  };
}

/**
 * Starts an IAS mock on 127.0.0.1 (see the module comment for what it serves and checks).
 */
export async function createIasMock(options: IasMockOptions = {}): Promise<IasMock> {
  const clock = options.now ?? (() => new Date());
  const random = options.random ?? pooledRandom();
  const identity = options.signingIdentity ?? (await generateIasSigningIdentity({ now: clock() }));
  let simEpidPrivateKey: KeyObject | undefined;
  let simEpidPublicKey: KeyObject;
  if (options.simEpidPublicKey === undefined) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    simEpidPrivateKey = pair.privateKey;
    simEpidPublicKey = pair.publicKey;
  } else {
    simEpidPublicKey = toPublicKey(options.simEpidPublicKey);
  }
  const gid = options.epidGroupId === undefined ? undefined : groupIdBytes(options.epidGroupId);
  const gidPath = gid === undefined ? undefined : toHex(Uint8Array.from(gid).reverse());
  const sigRl = options.sigRlB64 === undefined ? EMPTY : new TextEncoder().encode(options.sigRlB64);
  const certHeader = encodeURIComponent(identity.leafPem + identity.caPem);
  let status = options.status ?? 'OK';
  let advisories = [...(options.advisories ?? [])];
  let requestCount = 0;

  const reportFor = (
    api: 1 | 4 | 5,
    quote: Uint8Array,
    nonce: string | undefined,
  ): Record<string, unknown> => {
    const valid = verifySimEpidQuote(quote, simEpidPublicKey);
    const quoteStatus = valid ? status : 'SIGNATURE_INVALID';
    const idBytes = random(16);
    const linkable =
      new DataView(quote.buffer, quote.byteOffset).getUint16(EPID_QUOTE_SIGN_TYPE_OFFSET, true) === 1;
    const report: Record<string, unknown> = {
      id: BigInt(`0x${toHex(idBytes)}`).toString(10),
      timestamp: iasTimestamp(clock()),
      ...(api === 1 ? {} : { version: api }),
      isvEnclaveQuoteStatus: quoteStatus,
      isvEnclaveQuoteBody: Buffer.from(quote.buffer, quote.byteOffset, EPID_QUOTE_BODY_SIZE).toString(
        'base64',
      ),
    };
    if (quoteStatus === 'GROUP_REVOKED') report.revocationReason = 1;
    if (
      [
        'GROUP_REVOKED',
        'GROUP_OUT_OF_DATE',
        'CONFIGURATION_NEEDED',
        'SW_HARDENING_NEEDED',
        'CONFIGURATION_AND_SW_HARDENING_NEEDED',
      ].includes(quoteStatus)
    ) {
      report.platformInfoBlob = PIB_TLV_HEADER + '00'.repeat(PIB_SIZE);
    }
    if (nonce !== undefined) report.nonce = nonce;
    if (linkable) {
      // A stable pseudonym per (basename, group), standing in for IAS's EPID pseudonym.
      const seed = quote.subarray(EPID_QUOTE_GROUP_ID_OFFSET, EPID_QUOTE_BASENAME_OFFSET + 32);
      const a = createHash('sha512').update('epidPseudonym/1').update(seed).digest();
      const b = createHash('sha512').update('epidPseudonym/2').update(seed).digest();
      report.epidPseudonym = Buffer.concat([a, b]).toString('base64');
    }
    if (api !== 1 && advisories.length > 0 && quoteStatus !== 'OK' && quoteStatus !== 'SIGNATURE_INVALID') {
      report.advisoryURL = 'https://security-center.intel.com';
      report.advisoryIDs = [...advisories];
    }
    if (api === 5) report.tcbEvaluationDataNumber = TCB_EVALUATION_DATA_NUMBER;
    return report;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requestCount++;
    const r = route(req.url ?? '/');
    if (r === undefined) return send(res, 404, EMPTY);
    const method = r.endpoint === 'sigrl' ? 'GET' : 'POST';
    if (req.method !== method) return send(res, 405, EMPTY, { allow: method });
    if (
      r.api !== 1 &&
      options.apiKey !== undefined &&
      req.headers['ocp-apim-subscription-key'] !== options.apiKey
    ) {
      return send(res, 401, EMPTY);
    }
    const requestId = toHex(random(16));
    if (r.endpoint === 'sigrl') {
      if (gidPath !== undefined && r.gid !== gidPath)
        return send(res, 404, EMPTY, { 'request-id': requestId });
      return send(res, 200, sigRl, { 'request-id': requestId });
    }
    const raw = await readBody(req);
    if (raw === undefined) return send(res, 413, EMPTY);
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      return send(res, 400, EMPTY, { 'request-id': requestId });
    }
    const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
    const quote = decodeBase64(p.isvEnclaveQuote);
    const nonce = p.nonce;
    const badNonce = nonce !== undefined && (typeof nonce !== 'string' || nonce.length > 32);
    // PROTOCOL-SEED.md §5.3: a v2 quote is at least header ‖ report body ‖ signature_len.
    if (quote === undefined || badNonce || quote.length < SIGNATURE_OFFSET) {
      return send(res, 400, EMPTY, { 'request-id': requestId });
    }
    const view = new DataView(quote.buffer, quote.byteOffset, quote.byteLength);
    const version = view.getUint16(0, true);
    const sigLen = view.getUint32(EPID_QUOTE_SIGNATURE_LEN_OFFSET, true);
    if (version !== 2 || sigLen !== quote.length - SIGNATURE_OFFSET) {
      return send(res, 400, EMPTY, { 'request-id': requestId });
    }
    if (
      gid !== undefined &&
      !bytesEqual(quote.subarray(EPID_QUOTE_GROUP_ID_OFFSET, EPID_QUOTE_GROUP_ID_OFFSET + 4), gid)
    ) {
      return send(res, 400, EMPTY, { 'request-id': requestId });
    }
    const body = new TextEncoder().encode(
      JSON.stringify(reportFor(r.api, quote, nonce as string | undefined)),
    );
    const signature = sign('sha256', body, identity.leafKey).toString('base64');
    return send(res, r.api === 1 ? 201 : 200, body, {
      'content-type': 'application/json',
      'request-id': requestId,
      'x-iasreport-signature': signature,
      'x-iasreport-signing-certificate': certHeader,
    });
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, EMPTY);
      else res.destroy();
    });
  };

  let tls: TlsIdentity | undefined;
  let server: Server;
  if (options.https === true) {
    // TLS peers check certificates against the real clock, not the injected one.
    tls = await generateTlsIdentity(new Date());
    server = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, listener);
  } else {
    server = createHttpServer(listener);
  }
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;

  const files: { reportSigningCa?: string; tlsCa?: string } = {};
  if (options.outDir !== undefined) {
    await mkdir(options.outDir, { recursive: true });
    files.reportSigningCa = join(options.outDir, 'ias-report-signing-ca.pem');
    await writeFile(files.reportSigningCa, identity.caPem);
    if (tls !== undefined) {
      files.tlsCa = join(options.outDir, 'ias-tls-ca.pem');
      await writeFile(files.tlsCa, tls.caPem);
    }
  }

  return {
    origin,
    port,
    urls: Object.freeze({
      v1: `${origin}/attestation/sgx/v1/`,
      v4: `${origin}/attestation/v4/`,
      v5: `${origin}/attestation/v5/`,
    }),
    reportSigningCaPem: identity.caPem,
    ...(tls === undefined ? {} : { tlsCaPem: tls.caPem }),
    files: Object.freeze(files),
    simEpidPublicKey,
    ...(simEpidPrivateKey === undefined ? {} : { simEpidPrivateKey }),
    setStatus(next: string, nextAdvisories?: readonly string[]): void {
      status = next;
      if (nextAdvisories !== undefined) advisories = [...nextAdvisories];
    },
    get requestCount(): number {
      return requestCount;
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
