/**
 * IAS Attestation Verification Report (AVR) verification: the EPID path.
 *
 * An AVR is the JSON body Intel's Attestation Service answered a `POST …/report` with, the base64
 * `X-IASReport-Signature` header (RSA-2048 PKCS#1 v1.5 SHA-256 over the exact body bytes) and the
 * URL-encoded PEM chain of `X-IASReport-Signing-Certificate` (leaf first). The steps follow
 * DCAP-VERIFICATION.md §5.2 and PROTOCOL-SEED.md §8.2: chain → signature → fields → quote →
 * nonce → status. IAS statuses are mapped onto DCAP names as DESIGN.md ("JSON output") says.
 *
 * @module
 */
import { constants, verify as cryptoVerify } from 'node:crypto';
import { ParseError, VerificationError } from '../errors.ts';
import { sharedSignatureCache } from '../pki/cert.ts';
import { type TrustAnchors, verifyChain } from '../pki/chain.ts';
import type { CrlInput } from '../pki/crl.ts';
import { decodePemBlocks, urlDecodePem } from '../pki/pem.ts';
import { IAS_REPORT_SIGNING_CA_PEM } from '../pki/roots.ts';
import { bytesEqual, toHex } from '../wire/hex.ts';
import { type EpidQuoteBody, parseEpidQuoteBody } from '../wire/quote.ts';
import { toEnclaveIdentity } from './identity.ts';
import type { TcbStatus, VerificationStep, VerifiedIasReport } from './types.ts';

/** The exact bytes IAS signed, its signature and its certificate chain (as the HTTP response carried them). */
export interface IasReportInput {
  /** The response body, byte for byte (a string is taken as its UTF-8 encoding). Never re-serialise it. */
  readonly body: Uint8Array | string;
  /** `X-IASReport-Signature`: base64 of the RSA signature over `body`. */
  readonly signatureB64: string;
  /** `X-IASReport-Signing-Certificate`: PEM certificates, leaf first, optionally URL-encoded. */
  readonly signingCertChain: string;
}

/** Options of {@link verifyIasReport}. */
export interface VerifyIasReportOptions {
  /** The time certificates must be valid at (for archived reports: the report's timestamp). */
  readonly now: Date;
  /** Trusted roots; default: the Intel SGX Attestation Report Signing CA. */
  readonly trustAnchors?: TrustAnchors;
  /** CRLs for the signing chain; when none are given, revocation is not checked (none exist offline). */
  readonly crls?: readonly CrlInput[];
  /** The quote that was sent to IAS; its first 432 bytes must equal the report's `isvEnclaveQuoteBody`. */
  readonly expectedQuote?: Uint8Array;
  /** The nonce that was sent to IAS; the report must echo it exactly. */
  readonly expectedNonce?: string;
}

/** Every `isvEnclaveQuoteStatus` IAS API v4/v5 defines (DCAP-VERIFICATION.md §5.2 step 3). */
export const IAS_QUOTE_STATUSES: readonly string[] = Object.freeze([
  'OK',
  'SIGNATURE_INVALID',
  'GROUP_REVOKED',
  'SIGNATURE_REVOKED',
  'KEY_REVOKED',
  'SIGRL_VERSION_MISMATCH',
  'GROUP_OUT_OF_DATE',
  'CONFIGURATION_NEEDED',
  'SW_HARDENING_NEEDED',
  'CONFIGURATION_AND_SW_HARDENING_NEEDED',
]);

const STATUS_MAP: Readonly<Record<string, TcbStatus>> = Object.freeze({
  OK: 'UpToDate',
  SW_HARDENING_NEEDED: 'SWHardeningNeeded',
  CONFIGURATION_NEEDED: 'ConfigurationNeeded',
  CONFIGURATION_AND_SW_HARDENING_NEEDED: 'ConfigurationAndSWHardeningNeeded',
  GROUP_OUT_OF_DATE: 'OutOfDate',
  GROUP_REVOKED: 'Revoked',
});

/**
 * Maps a raw `isvEnclaveQuoteStatus` onto a DCAP {@link TcbStatus} (DESIGN.md, "JSON output").
 * Returns `undefined` for statuses that are always refusals (SIGNATURE_INVALID, SIGNATURE_REVOKED,
 * KEY_REVOKED, SIGRL_VERSION_MISMATCH, anything unknown).
 */
export function mapIasQuoteStatus(status: string): TcbStatus | undefined {
  return Object.hasOwn(STATUS_MAP, status) ? STATUS_MAP[status] : undefined;
}

// ---- limits -------------------------------------------------------------------------------------

/** An AVR is about 1.5 KB; anything this large is not one. */
const MAX_BODY_BYTES = 64 * 1024;
/** The signing-certificate header holds two certificates (about 5 KB URL-encoded). */
const MAX_CHAIN_CHARS = 64 * 1024;
/** Leaf, CA, and the anchor. */
const MAX_CHAIN_CERTS = 3;
/** The minimum RSA modulus the report signing key may have (Intel's is 2048 bits). */
const MIN_RSA_BITS = 2048;

/** Strict UTF-8 (a malformed body is an error, not U+FFFD); stateless between calls without `stream`. */
const UTF8_FATAL = new TextDecoder('utf-8', { fatal: true });

/** `isvEnclaveQuoteBody` = quote[0..432): the 48-byte header and the 384-byte report body. */
export const IAS_QUOTE_BODY_SIZE = 432;

function fail(code: 'ERR_IAS_REPORT_FORMAT', message: string): never {
  throw new VerificationError(code, `IAS report: ${message}`);
}

function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Canonical form only: the padding bits of the last character must be zero.
  if (bytes.toString('base64') !== text) return undefined;
  return new Uint8Array(bytes);
}

// ---- certificates -------------------------------------------------------------------------------

/**
 * Decoded signing-certificate headers by their exact text: IAS sends the same header with every
 * report, so decoding (URL-unescaping and PEM) is done once. Only the bytes are remembered; the
 * chain is verified on every call.
 */
let chainHeaders = new Map<string, readonly Uint8Array[]>();
const CHAIN_HEADER_MEMO_SIZE = 8;

/** Decodes the `X-IASReport-Signing-Certificate` header (URL-encoded PEM, PROTOCOL-SEED.md §8.2) into DER certificates. */
function decodeChainHeader(header: string): readonly Uint8Array[] {
  if (typeof header !== 'string') throw new TypeError('signingCertChain must be a string');
  if (header.length > MAX_CHAIN_CHARS) {
    throw new ParseError('ERR_PEM_INVALID', 'signingCertChain: longer than the cap', {
      field: 'signingCertChain',
      have: header.length,
      need: MAX_CHAIN_CHARS,
    });
  }
  const known = chainHeaders.get(header);
  if (known !== undefined) return known;
  const ders = Object.freeze(
    decodePemBlocks(header.includes('%') ? urlDecodePem(header) : header, 'CERTIFICATE'),
  );
  if (chainHeaders.size >= CHAIN_HEADER_MEMO_SIZE) chainHeaders = new Map();
  chainHeaders.set(header, ders);
  return ders;
}

// ---- the report body's fields ------------------------------------------------------------------

type Json = Readonly<Record<string, unknown>>;

function optString(o: Json, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail('ERR_IAS_REPORT_FORMAT', `"${key}" must be a string`);
  return v;
}

function reqString(o: Json, key: string): string {
  const v = optString(o, key);
  if (v === undefined || v.length === 0) fail('ERR_IAS_REPORT_FORMAT', `"${key}" is missing`);
  return v;
}

/** IAS writes UTC without a zone, with microseconds: `2020-05-11T09:21:15.454051`. */
const IAS_TIMESTAMP_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,6})?$/;

function parseTimestamp(ts: string): string {
  const m = IAS_TIMESTAMP_RE.exec(ts);
  if (m === null || Number.isNaN(Date.parse(`${m[1]}Z`))) {
    fail(
      'ERR_IAS_REPORT_FORMAT',
      `"timestamp" ${JSON.stringify(ts.slice(0, 40))} is not an IAS UTC timestamp`,
    );
  }
  return `${m[1]}${m[2] ?? ''}Z`;
}

// ---- the verifier -------------------------------------------------------------------------------

/**
 * Verifies an IAS Attestation Verification Report (DCAP-VERIFICATION.md §5.2) and returns the facts
 * it establishes.
 *
 * Steps: (1) the signing certificate chains to a trust anchor at `now`; (2) the RSA-SHA256 PKCS#1
 * v1.5 signature covers the exact body bytes; (3) the body's fields are well formed; (4) the
 * quote body equals the quote sent (when given); (5) the nonce is echoed (when given); (6) the
 * `isvEnclaveQuoteStatus` maps onto a DCAP status. Statuses that are always refusals throw
 * `ERR_IAS_QUOTE_STATUS`; that error's `cause` is the otherwise verified report (raw status in
 * `iasStatus`, no `tcbStatus`).
 *
 * @throws VerificationError `ERR_IAS_SIGNATURE`, `ERR_IAS_CHAIN`, `ERR_PKI_*` (from `verifyChain`), `ERR_IAS_REPORT_FORMAT`,
 *   `ERR_IAS_QUOTE_MISMATCH`, `ERR_IAS_NONCE_MISMATCH`, `ERR_IAS_QUOTE_STATUS`; ParseError
 *   `ERR_PEM_INVALID` for an unreadable certificate header.
 */
export function verifyIasReport(input: IasReportInput, options: VerifyIasReportOptions): VerifiedIasReport {
  if (!(options.now instanceof Date) || Number.isNaN(options.now.getTime())) {
    throw new TypeError('options.now must be a valid Date');
  }
  const now = options.now;
  const steps: VerificationStep[] = [];
  const body = typeof input.body === 'string' ? new TextEncoder().encode(input.body) : input.body;
  if (!(body instanceof Uint8Array)) throw new TypeError('body must be a Uint8Array or a string');
  if (body.length > MAX_BODY_BYTES) fail('ERR_IAS_REPORT_FORMAT', `body longer than ${MAX_BODY_BYTES} bytes`);

  // 1. The signing certificate chains to the pinned Report Signing CA at `now` (§5.2 step 2).
  //    Intel publishes no CRL usable offline for this chain (and the service is end-of-life), so
  //    revocation is checked only when the caller passes CRLs.
  const crls = options.crls ?? [];
  const verified = verifyChain(decodeChainHeader(input.signingCertChain), {
    now,
    trustAnchors: options.trustAnchors ?? IAS_REPORT_SIGNING_CA_PEM,
    maxLength: MAX_CHAIN_CERTS,
    // The leaf is IAS's report signing certificate, the same for every report: collateral, not a
    // platform's certificate, so its parse and signature result may be remembered.
    leafSignatureCache: sharedSignatureCache,
    ...(crls.length === 0 ? { dangerouslySkipRevocation: true } : { crls }),
  });
  const leaf = verified.leaf;
  if (leaf.basicConstraints?.cA === true) {
    throw new VerificationError('ERR_IAS_CHAIN', 'the report signing certificate is a CA certificate');
  }
  steps.push({ check: 'ias.chain', ok: true, detail: leaf.subject.replace(/\n/g, ', ') });

  // 2. RSA PKCS#1 v1.5 SHA-256 over the raw body bytes (§5.2 steps 1-2; never re-serialised).
  const key = leaf.publicKey;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
    throw new VerificationError(
      'ERR_IAS_SIGNATURE',
      'the report signing key is not an RSA key of 2048 bits or more',
    );
  }
  if (typeof input.signatureB64 !== 'string') throw new TypeError('signatureB64 must be a string');
  const signature = decodeBase64Strict(input.signatureB64.trim());
  if (signature === undefined || signature.length !== bits / 8) {
    throw new VerificationError(
      'ERR_IAS_SIGNATURE',
      'X-IASReport-Signature is not base64 of an RSA signature',
    );
  }
  const ok = cryptoVerify('sha256', body, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  if (!ok) throw new VerificationError('ERR_IAS_SIGNATURE', 'the IAS report signature does not verify');
  steps.push({ check: 'ias.signature', ok: true });

  // 3. The fields (§5.2 step 3; PROTOCOL-SEED.md §8.2 "report response").
  let parsed: unknown;
  try {
    parsed = JSON.parse(UTF8_FATAL.decode(body));
  } catch {
    fail('ERR_IAS_REPORT_FORMAT', 'the body is not UTF-8 JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail('ERR_IAS_REPORT_FORMAT', 'the body is not a JSON object');
  }
  const o = parsed as Json;
  const reportId = reqString(o, 'id');
  const timestamp = parseTimestamp(reqString(o, 'timestamp'));
  const version = o.version;
  // API v1/v2 reports carry no version; v3+ must (and a v3+ version is 3, 4 or 5).
  if (version !== undefined && !(version === 3 || version === 4 || version === 5)) {
    fail('ERR_IAS_REPORT_FORMAT', `unsupported report version ${JSON.stringify(version)}`);
  }
  const iasStatus = reqString(o, 'isvEnclaveQuoteStatus');
  const quoteBodyB64 = reqString(o, 'isvEnclaveQuoteBody');
  const quoteBody = decodeBase64Strict(quoteBodyB64);
  if (quoteBody === undefined || quoteBody.length !== IAS_QUOTE_BODY_SIZE) {
    fail('ERR_IAS_REPORT_FORMAT', `"isvEnclaveQuoteBody" is not base64 of ${IAS_QUOTE_BODY_SIZE} bytes`);
  }
  let qb: EpidQuoteBody;
  try {
    qb = parseEpidQuoteBody(quoteBody);
  } catch (cause) {
    throw new VerificationError(
      'ERR_IAS_REPORT_FORMAT',
      'IAS report: "isvEnclaveQuoteBody" is not an EPID quote',
      {
        cause,
      },
    );
  }
  const revocationReason = o.revocationReason;
  if (
    revocationReason !== undefined &&
    (typeof revocationReason !== 'number' || iasStatus !== 'GROUP_REVOKED')
  ) {
    fail('ERR_IAS_REPORT_FORMAT', '"revocationReason" is present without GROUP_REVOKED');
  }
  const nonce = optString(o, 'nonce');
  optString(o, 'advisoryURL');
  const advisoryIds = readAdvisoryIds(o.advisoryIDs);
  const pib = optString(o, 'platformInfoBlob');
  if (pib !== undefined && !/^(?:[0-9a-fA-F]{2})+$/.test(pib)) {
    fail('ERR_IAS_REPORT_FORMAT', '"platformInfoBlob" is not hex');
  }
  steps.push({ check: 'ias.format', ok: true, detail: `version ${version ?? '(none)'}, id ${reportId}` });

  // 4. The report is about the quote that was sent (PROTOCOL-SEED.md §5.3: body = quote[0..432)).
  if (options.expectedQuote !== undefined) {
    const q = options.expectedQuote;
    if (q.length < IAS_QUOTE_BODY_SIZE || !bytesEqual(q.subarray(0, IAS_QUOTE_BODY_SIZE), quoteBody)) {
      throw new VerificationError('ERR_IAS_QUOTE_MISMATCH', 'the IAS report is about a different quote');
    }
    steps.push({ check: 'ias.quote', ok: true });
  }

  // 5. The nonce is echoed (§5.2 step 4).
  if (options.expectedNonce !== undefined) {
    if (nonce !== options.expectedNonce) {
      throw new VerificationError(
        'ERR_IAS_NONCE_MISMATCH',
        nonce === undefined ? 'the IAS report carries no nonce' : 'the IAS report echoes a different nonce',
      );
    }
    steps.push({ check: 'ias.nonce', ok: true });
  }

  // 6. The status (DESIGN.md mapping; the raw status is kept beside it).
  const tcbStatus = mapIasQuoteStatus(iasStatus);
  steps.push(
    tcbStatus === undefined
      ? { check: 'ias.status', ok: false, detail: `${iasStatus} is always refused` }
      : { check: 'ias.status', ok: true, detail: `${iasStatus} → ${tcbStatus}` },
  );
  const report: VerifiedIasReport = Object.freeze({
    kind: 'epid',
    iasStatus,
    ...(tcbStatus === undefined ? {} : { tcbStatus }),
    advisoryIds,
    reportId,
    timestamp,
    ...(nonce === undefined ? {} : { nonce }),
    ...(pib === undefined ? {} : { platformInfoBlob: pib.toLowerCase() }),
    epidGroupId: toHex(qb.epidGroupId),
    enclave: toEnclaveIdentity(qb.body),
    steps: Object.freeze(steps.map((s) => Object.freeze(s))),
  });
  if (tcbStatus === undefined) {
    throw new VerificationError(
      'ERR_IAS_QUOTE_STATUS',
      `IAS refused the quote: isvEnclaveQuoteStatus ${iasStatus}`,
      {
        cause: report,
        hint: IAS_QUOTE_STATUSES.includes(iasStatus)
          ? 'the EPID signature or key is invalid or revoked, or the SigRL was stale; get a fresh SigRL and quote'
          : 'unknown isvEnclaveQuoteStatus; attestkit refuses statuses it does not know',
      },
    );
  }
  return report;
}

function readAdvisoryIds(value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    fail('ERR_IAS_REPORT_FORMAT', '"advisoryIDs" must be an array of strings');
  }
  return Object.freeze([...new Set(value as string[])].sort());
}
