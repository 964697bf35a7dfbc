/**
 * SGX and TDX quotes: EPID v2 (PROTOCOL-SEED.md §5.3) and DCAP ECDSA-P256 v3 (SGX), v4 (SGX or
 * TDX with TD report 1.0) and v5 (body descriptor; SGX, TD report 1.0 or 1.5), DCAP-VERIFICATION.md §1.1.
 *
 * {@link parseQuote} is strict: every length is capped and scoped, unknown versions, key types,
 * TEE types, body types and certification data types are rejected, and bytes after the quote are an
 * error unless `allowTrailing` is set (DCAP-VERIFICATION.md §11: the trailing-bytes policy is explicit;
 * the verifier accepts all-zero padding only). The result keeps every byte range a verifier needs, so
 * nothing downstream re-slices the input; these are views into one private copy of the input made
 * at the start of the parse, so they never alias the caller's buffer (see `reader.ts`).
 *
 * @module
 */
import { ParseError } from '../errors.ts';
import { concatBytes, isAllZero } from './hex.ts';
import { ByteReader } from './reader.ts';
import {
  encodeReportBody,
  encodeTdReport,
  type QuoteBody,
  type QuoteBodyKind,
  REPORT_BODY_SIZE,
  type ReportBodyInit,
  readReportBody,
  readTdReport10,
  readTdReport15,
  type SgxReportBody,
  TD_REPORT10_SIZE,
  TD_REPORT15_SIZE,
  type TdReport10,
  type TdReportInit,
} from './report.ts';

// ---- Header (DCAP-VERIFICATION.md §1.1 "Header"; the EPID v2 header in PROTOCOL-SEED.md §5.3) ----

/** Size of every quote header (EPID v2 and DCAP v3/v4/v5). */
export const QUOTE_HEADER_SIZE = 0x30;
/** Offset of `version` (u16). */
export const QUOTE_VERSION_OFFSET = 0;
/** DCAP: offset of the attestation key type (u16). */
export const QUOTE_ATT_KEY_TYPE_OFFSET = 2;
/** DCAP: offset of the TEE type (u32; reserved and zero in v3). */
export const QUOTE_TEE_TYPE_OFFSET = 4;
/** Offset of `qe_svn` (u16); reserved (zero) in TDX quotes. */
export const QUOTE_QE_SVN_OFFSET = 8;
/** Offset of `pce_svn` (u16); reserved (zero) in TDX quotes. */
export const QUOTE_PCE_SVN_OFFSET = 10;
/** DCAP: offset of the QE vendor ID (16 bytes). */
export const QUOTE_QE_VENDOR_ID_OFFSET = 12;
/** DCAP: offset of the user data (20 bytes). */
export const QUOTE_USER_DATA_OFFSET = 28;
/** Offset of the report body (v2, v3, v4) or of the v5 body descriptor. */
export const QUOTE_BODY_OFFSET = 48;
/** Size of the v5 body descriptor (`u16` body type, `u32` body size). */
export const QUOTE_V5_BODY_DESCRIPTOR_SIZE = 6;

/** EPID v2: offset of `sign_type` (u16; 0 unlinkable, 1 linkable). */
export const EPID_QUOTE_SIGN_TYPE_OFFSET = 2;
/** EPID v2: offset of `epid_group_id` (4 bytes). */
export const EPID_QUOTE_GROUP_ID_OFFSET = 4;
/** EPID v2: offset of `xeid` (u32). */
export const EPID_QUOTE_XEID_OFFSET = 12;
/** EPID v2: offset of `basename` (32 bytes). */
export const EPID_QUOTE_BASENAME_OFFSET = 16;
/** EPID v2: size of header ‖ report body, the bytes IAS returns as `isvEnclaveQuoteBody`. */
export const EPID_QUOTE_BODY_SIZE = 432;
/** EPID v2: offset of `signature_len` (u32). */
export const EPID_QUOTE_SIGNATURE_LEN_OFFSET = 432;

/** Attestation key type 2: ECDSA-256-with-P-256. The only one supported. */
export const ATTESTATION_KEY_TYPE_ECDSA_P256 = 2;
/** Attestation key type 3: ECDSA-384-with-P-384 (unsupported). */
export const ATTESTATION_KEY_TYPE_ECDSA_P384 = 3;
/** TEE type of SGX quotes. */
export const TEE_TYPE_SGX = 0x00000000;
/** TEE type of TDX quotes. */
export const TEE_TYPE_TDX = 0x00000081;
/** v5 body type: SGX enclave report body (384 bytes). */
export const BODY_TYPE_SGX = 1;
/** v5 body type: TD report 1.0 (584 bytes). */
export const BODY_TYPE_TD10 = 2;
/** v5 body type: TD report 1.5 (648 bytes). */
export const BODY_TYPE_TD15 = 3;
/** Intel's QE vendor ID, `939A7233F79C4CA9940A0DB3957F0607`. */
export const INTEL_QE_VENDOR_ID: Uint8Array = new Uint8Array([
  0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07,
]);

// ---- Signature data (DCAP-VERIFICATION.md §1.1 "Signature data") ----

/** Size of an ECDSA P-256 signature, raw big-endian r ‖ s. */
export const ECDSA_SIGNATURE_SIZE = 64;
/** Size of the attestation public key, raw big-endian X ‖ Y. */
export const ATTESTATION_KEY_SIZE = 64;
/** Size of a certification data header (`u16` type, `u32` size). */
export const CERTIFICATION_DATA_HEADER_SIZE = 6;

/** Certification data type 1: PPID in clear text, CPUSVN, PCESVN, PCEID. */
export const CERT_DATA_TYPE_PPID_CLEARTEXT = 1;
/** Certification data type 2: PPID encrypted with RSA-2048-OAEP, CPUSVN, PCESVN. */
export const CERT_DATA_TYPE_PPID_RSA2048 = 2;
/** Certification data type 3: PPID encrypted with RSA-3072-OAEP, CPUSVN, PCESVN, PCEID. */
export const CERT_DATA_TYPE_PPID_RSA3072 = 3;
/** Certification data type 4: the PCK leaf certificate. */
export const CERT_DATA_TYPE_PCK_LEAF = 4;
/** Certification data type 5: the PCK certificate chain, concatenated PEM (leaf, CA, root). */
export const CERT_DATA_TYPE_PCK_CERT_CHAIN = 5;
/** Certification data type 6: QE report certification data (v4/v5 quotes). */
export const CERT_DATA_TYPE_QE_REPORT = 6;
/** Certification data type 7: platform manifest. */
export const CERT_DATA_TYPE_PLATFORM_MANIFEST = 7;
/** Size of type-3 certification data: encrypted PPID 384, CPUSVN 16, PCESVN u16, PCEID u16. */
export const PPID_RSA3072_DATA_SIZE = 404;

/** Cap on the signature data length of a DCAP quote. */
export const MAX_SIGNATURE_DATA_SIZE: number = 128 * 1024;
/** Cap on one certification data payload. */
export const MAX_CERTIFICATION_DATA_SIZE: number = 64 * 1024;
/** Cap on the QE authentication data. */
export const MAX_QE_AUTH_DATA_SIZE: number = 4 * 1024;
/** Cap on an EPID v2 signature (1116 + 160 bytes per SigRL entry; PROTOCOL-SEED.md §5.3). */
export const MAX_EPID_SIGNATURE_SIZE: number = 1024 * 1024;

// ---- Records ----

/** The TEE a quote comes from. */
export type TeeType = 'SGX' | 'TDX';

/** Type-5 certification data: the PCK certificate chain, split into PEM certificates (not parsed). */
export interface PckCertChainCertificationData {
  readonly type: 5;
  /** The raw payload bytes (PEM text, often with a trailing NUL). */
  readonly data: Uint8Array;
  /** Each `-----BEGIN CERTIFICATE-----…-----END CERTIFICATE-----` block, in order (leaf first). */
  readonly pemCertificates: readonly string[];
  /** The same certificates decoded (strict, canonical base64, RFC 4648 §3.5): DER, not parsed. */
  readonly derCertificates: readonly Uint8Array[];
}

/** Type-3 certification data: the RSA-3072-encrypted PPID and the platform's CPUSVN, PCESVN and PCEID. */
export interface EncryptedPpidCertificationData {
  readonly type: 3;
  readonly data: Uint8Array;
  readonly encryptedPpid: Uint8Array;
  readonly cpuSvn: Uint8Array;
  readonly pceSvn: number;
  readonly pceId: number;
}

/** Certification data types 1, 2, 4 and 7, kept as raw bytes. */
export interface OpaqueCertificationData {
  readonly type: 1 | 2 | 4 | 7;
  readonly data: Uint8Array;
}

/**
 * The certification data that identifies the PCK. For v4/v5 quotes this is the data nested inside the
 * type-6 QE report certification data (whose QE report, signature and auth data are on the quote record).
 */
export type CertificationData =
  | PckCertChainCertificationData
  | EncryptedPpidCertificationData
  | OpaqueCertificationData;

/** The header fields and report body of an EPID v2 quote: what IAS returns as `isvEnclaveQuoteBody`. */
export interface EpidQuoteBody {
  readonly version: 2;
  readonly teeType: 'SGX';
  /** 0 = unlinkable, 1 = linkable. */
  readonly signType: number;
  /** `epid_group_id`, 4 bytes as on the wire (little-endian). */
  readonly epidGroupId: Uint8Array;
  readonly qeSvn: number;
  readonly pceSvn: number;
  /** Extended EPID group ID. */
  readonly xeid: number;
  readonly basename: Uint8Array;
  readonly bodyKind: 'sgx';
  readonly body: SgxReportBody;
}

/** Where a quote ends and what follows it. */
interface QuoteExtent {
  /** The length of the quote structure; bytes after it are trailing. */
  readonly length: number;
  /** How many bytes follow the quote (only ever non-zero with `allowTrailing`). */
  readonly trailingBytes: number;
  /** True when every trailing byte is zero (also true when there are none). */
  readonly trailingAllZero: boolean;
}

/** An EPID quote, version 2 (PROTOCOL-SEED.md §5.3). */
export interface QuoteV2 extends EpidQuoteBody, QuoteExtent {
  /** Bytes [0, 432): header ‖ report body, which IAS echoes as `isvEnclaveQuoteBody`. */
  readonly signedBytes: Uint8Array;
  readonly signatureLength: number;
  /** The EPID signature (encrypted for IAS). */
  readonly signature: Uint8Array;
}

/** Fields every DCAP (ECDSA) quote has. */
interface EcdsaQuoteFields extends QuoteExtent {
  readonly attestationKeyType: 2;
  readonly teeType: TeeType;
  readonly qeSvn: number;
  readonly pceSvn: number;
  readonly qeVendorId: Uint8Array;
  readonly userData: Uint8Array;
  /** The bytes the quote signature covers: header ‖ (v5: body descriptor ‖) body. */
  readonly signedBytes: Uint8Array;
  readonly signatureDataLength: number;
  /** The quote signature, raw big-endian r ‖ s (64 bytes). */
  readonly signature: Uint8Array;
  /** The attestation public key, raw big-endian X ‖ Y (64 bytes). */
  readonly attestationKey: Uint8Array;
  /** The raw QE report (384 bytes), the bytes the PCK key signs. */
  readonly qeReport: Uint8Array;
  /** The QE report parsed as an SGX report body. */
  readonly qeReportBody: SgxReportBody;
  /** The QE report signature, raw big-endian r ‖ s (64 bytes). */
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  readonly certificationData: CertificationData;
  /** The PEM certificates of type-5 certification data (leaf first), or null for other types. */
  readonly pckCertChain: readonly string[] | null;
  /** The same certificates as DER (decoded once, here), or null for other types. */
  readonly pckCertChainDer: readonly Uint8Array[] | null;
}

/** A DCAP SGX quote, version 3. */
export interface QuoteV3 extends EcdsaQuoteFields {
  readonly version: 3;
  readonly teeType: 'SGX';
  readonly bodyKind: 'sgx';
  readonly body: SgxReportBody;
}

/** A DCAP quote, version 4: an SGX report body (TEE type SGX) or a TD report 1.0 (TEE type TDX). */
export interface QuoteV4 extends EcdsaQuoteFields {
  readonly version: 4;
  readonly bodyKind: 'sgx' | 'td10';
  readonly body: SgxReportBody | TdReport10;
}

/** A DCAP quote, version 5, with its body descriptor. */
export interface QuoteV5 extends EcdsaQuoteFields {
  readonly version: 5;
  /** The descriptor's body type: 1 SGX, 2 TD report 1.0, 3 TD report 1.5. */
  readonly bodyType: 1 | 2 | 3;
  readonly bodySize: number;
  readonly bodyKind: QuoteBodyKind;
  readonly body: QuoteBody;
}

/** Any DCAP (ECDSA) quote. */
export type EcdsaQuote = QuoteV3 | QuoteV4 | QuoteV5;

/** Any supported quote, discriminated by `version`. */
export type Quote = QuoteV2 | EcdsaQuote;

/** Options of {@link parseQuote}. */
export interface ParseQuoteOptions {
  /**
   * Accept bytes after the quote and record them (`trailingBytes`, `trailingAllZero`) instead of
   * failing with `ERR_WIRE_TRAILING_BYTES`. Whether trailing bytes are acceptable is the verifier's
   * decision (DCAP-VERIFICATION.md §11).
   */
  readonly allowTrailing?: boolean;
}

// ---- Parsing ----

function fail(
  code:
    | 'ERR_QUOTE_UNSUPPORTED_VERSION'
    | 'ERR_QUOTE_UNSUPPORTED_TEE_TYPE'
    | 'ERR_QUOTE_UNSUPPORTED_BODY_TYPE'
    | 'ERR_QUOTE_UNSUPPORTED_KEY_TYPE'
    | 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE'
    | 'ERR_WIRE_INVALID_VALUE'
    | 'ERR_PEM_INVALID',
  offset: number,
  field: string,
  message: string,
): never {
  throw new ParseError(code, `${field}: ${message}`, { offset, field });
}

function checkBytes(bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('expected a Uint8Array');
}

/**
 * The `version` field of a quote (u16 at offset 0) without parsing the rest. Throws
 * `ERR_WIRE_TRUNCATED` for fewer than 2 bytes.
 */
export function quoteVersion(bytes: Uint8Array): number {
  checkBytes(bytes);
  return new ByteReader(bytes, 'quote').u16le('version');
}

function readEpidBody(r: ByteReader): EpidQuoteBody {
  const version = r.u16le('version');
  if (version !== 2) fail('ERR_QUOTE_UNSUPPORTED_VERSION', 0, 'quote.version', `EPID version ${version}`);
  const signOffset = r.offset;
  const signType = r.u16le('signType');
  // PROTOCOL-SEED.md §5.3: sign_type 0 = unlinkable, 1 = linkable.
  if (signType > 1)
    fail('ERR_WIRE_INVALID_VALUE', signOffset, 'quote.signType', `unknown sign type ${signType}`);
  const epidGroupId = r.bytes(4, 'epidGroupId');
  const qeSvn = r.u16le('qeSvn');
  const pceSvn = r.u16le('pceSvn');
  const xeid = r.u32le('xeid');
  const basename = r.bytes(32, 'basename');
  const body = r.withLength(REPORT_BODY_SIZE, 'body', readReportBody);
  return {
    version: 2,
    teeType: 'SGX',
    signType,
    epidGroupId,
    qeSvn,
    pceSvn,
    xeid,
    basename,
    bodyKind: 'sgx',
    body,
  };
}

/**
 * Parses the 432 bytes IAS returns as `isvEnclaveQuoteBody`: an EPID v2 header and report body
 * (PROTOCOL-SEED.md §5.3), exactly.
 */
export function parseEpidQuoteBody(bytes: Uint8Array): EpidQuoteBody {
  checkBytes(bytes);
  const r = ByteReader.copyOf(bytes, 'quote');
  const out = readEpidBody(r);
  r.expectEnd();
  return Object.freeze(out);
}

/**
 * The extent of a quote that ends at the reader's offset: bytes after it are refused unless the caller
 * opts in, and then recorded (DCAP-VERIFICATION.md §11).
 */
function readExtent(r: ByteReader, allowTrailing: boolean): QuoteExtent {
  const length = r.offset;
  if (!allowTrailing) r.expectEnd();
  const trailingBytes = r.remaining;
  return {
    length,
    trailingBytes,
    trailingAllZero: trailingBytes === 0 || isAllZero(r.bytesAt(length, length + trailingBytes)),
  };
}

function parseV2(r: ByteReader, allowTrailing: boolean): QuoteV2 {
  // PROTOCOL-SEED.md §5.3: header ‖ report body ‖ u32 signature_len ‖ signature[signature_len].
  const head = readEpidBody(r);
  const signatureLength = r.u32le('signatureLength');
  const signature = r.withLength(
    signatureLength,
    'signature',
    (s) => s.bytes(signatureLength, ''),
    MAX_EPID_SIGNATURE_SIZE,
  );
  const signedBytes = r.bytesAt(0, EPID_QUOTE_BODY_SIZE);
  return Object.freeze({ ...head, signedBytes, signatureLength, signature, ...readExtent(r, allowTrailing) });
}

/** Base64 values by ASCII code: 0..63, `WS` for the whitespace PEM allows inside a body, `PAD` for `=`. */
const WS = -2;
const PAD = -3;
const BASE64_VALUES: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) t[alphabet.charCodeAt(i)] = i;
  for (const c of ' \t\r\n') t[c.charCodeAt(0)] = WS;
  t[0x3d] = PAD;
  return t;
})();

/**
 * Decodes the base64 body `data[start, end)` of one PEM block (RFC 7468 §3) in one pass into `out`
 * from offset `from`, and returns that part of `out`: the alphabet of RFC 4648 §4, whitespace
 * between characters, at most two `=` and only at the end, a length that is a multiple of 4, and
 * zero padding bits (canonical, §3.5).
 */
function decodePemBody(
  data: Uint8Array,
  start: number,
  end: number,
  offset: number,
  field: string,
  out: Uint8Array,
  from: number,
): Uint8Array {
  let acc = 0;
  let n = 0;
  let o = from;
  let pad = 0;
  for (let i = start; i < end; i++) {
    if (n === 0 && pad === 0) {
      // Fast path, the same result as four single steps: whole groups of four base64 characters.
      while (i + 4 <= end) {
        const c0 = BASE64_VALUES[data[i]!]!;
        const c1 = BASE64_VALUES[data[i + 1]!]!;
        const c2 = BASE64_VALUES[data[i + 2]!]!;
        const c3 = BASE64_VALUES[data[i + 3]!]!;
        if ((c0 | c1 | c2 | c3) < 0) break;
        const g = (c0 << 18) | (c1 << 12) | (c2 << 6) | c3;
        out[o++] = g >>> 16;
        out[o++] = (g >>> 8) & 0xff;
        out[o++] = g & 0xff;
        i += 4;
      }
      if (i === end) break;
    }
    const v = BASE64_VALUES[data[i]!]!;
    if (v >= 0) {
      if (pad > 0)
        fail('ERR_PEM_INVALID', offset + i, field, 'base64 after padding in a PEM certificate block');
      acc = (acc << 6) | v;
      if (++n === 4) {
        out[o++] = acc >>> 16;
        out[o++] = (acc >>> 8) & 0xff;
        out[o++] = acc & 0xff;
        acc = 0;
        n = 0;
      }
    } else if (v === PAD) {
      if (++pad > 2)
        fail('ERR_PEM_INVALID', offset + i, field, 'too much base64 padding in a PEM certificate block');
    } else if (v !== WS) {
      fail('ERR_PEM_INVALID', offset + i, field, 'PEM certificate block is not base64');
    }
  }
  // n characters of the last group are left: none, or 2 with "==", or 3 with "=".
  if (n + pad !== 0 && n + pad !== 4)
    fail('ERR_PEM_INVALID', offset + start, field, 'PEM certificate block is not valid base64');
  if (n === 2) {
    // RFC 4648 §3.5: the bits that pad the last group must be zero.
    if ((acc & 0x0f) !== 0)
      fail('ERR_PEM_INVALID', offset + start, field, 'PEM certificate block is not canonical base64');
    out[o++] = acc >>> 4;
  } else if (n === 3) {
    if ((acc & 0x03) !== 0)
      fail('ERR_PEM_INVALID', offset + start, field, 'PEM certificate block is not canonical base64');
    out[o++] = (acc >>> 10) & 0xff;
    out[o++] = (acc >>> 2) & 0xff;
  } else if (n === 1) {
    fail('ERR_PEM_INVALID', offset + start, field, 'PEM certificate block is not valid base64');
  }
  if (o === from) fail('ERR_PEM_INVALID', offset + start, field, 'empty PEM certificate block');
  return out.subarray(from, o);
}

const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';
const PEM_END = '-----END CERTIFICATE-----';

/**
 * True when `data[start, end)` is only whitespace: of the bytes {@link splitPemChain} admits, the
 * ones `String.prototype.trim` removes (space, tab, CR, LF).
 */
function isBlank(data: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = data[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  }
  return true;
}

/** Refuses a chain holding anything but printable ASCII, tab, CR and LF (before `end`). */
function checkPemText(data: Uint8Array, end: number, offset: number, field: string): void {
  for (let i = 0; i < end; i++) {
    const b = data[i]!;
    if (b >= 0x80 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d))
      fail('ERR_PEM_INVALID', offset + i, field, 'PCK certificate chain is not PEM text');
  }
}

/**
 * Splits type-5 certification data into PEM certificate blocks and decodes each to DER
 * (DCAP-VERIFICATION.md §1.1). The DER is decoded here once, so verification need not read the
 * PEM again.
 */
function splitPemChain(
  data: Uint8Array,
  offset: number,
  field: string,
): { pem: readonly string[]; der: readonly Uint8Array[] } {
  // The chain is ASCII PEM text; Intel's quoting library appends a NUL terminator.
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  try {
    return splitPemText(data, end, offset, field);
  } catch (e) {
    // Any byte that is not PEM text is the error to report, as if checked first (it always fails
    // the split: outside a block it is not blank, inside one it is not base64).
    checkPemText(data, end, offset, field);
    throw e;
  }
}

function splitPemText(
  data: Uint8Array,
  end: number,
  offset: number,
  field: string,
): { pem: readonly string[]; der: readonly Uint8Array[] } {
  // One character per byte, so string indices are byte offsets (any byte that is not ASCII fails
  // below, and splitPemChain reports it).
  const text = Buffer.from(data.buffer, data.byteOffset, end).toString('latin1');
  const pem: string[] = [];
  const der: Uint8Array[] = [];
  // One fresh buffer for every certificate (base64 is 4 characters per 3 bytes, at most).
  const out = new Uint8Array((end * 3) >>> 2);
  let used = 0;
  let pos = 0;
  for (;;) {
    const begin = text.indexOf(PEM_BEGIN, pos);
    if (!isBlank(data, pos, begin === -1 ? end : begin))
      fail('ERR_PEM_INVALID', offset + pos, field, 'text outside PEM certificate blocks');
    if (begin === -1) break;
    const bodyStart = begin + PEM_BEGIN.length;
    const stop = text.indexOf(PEM_END, bodyStart);
    if (stop === -1) fail('ERR_PEM_INVALID', offset + begin, field, 'unterminated PEM certificate block');
    const cert = decodePemBody(data, bodyStart, stop, offset, field, out, used);
    used += cert.length;
    der.push(cert);
    pem.push(text.slice(begin, stop + PEM_END.length));
    pos = stop + PEM_END.length;
  }
  if (pem.length === 0) fail('ERR_PEM_INVALID', offset, field, 'no PEM certificate');
  return { pem: Object.freeze(pem), der: Object.freeze(der) };
}

/** Reads `u16 type ‖ u32 size ‖ data` (DCAP-VERIFICATION.md §1.1), any type but 6. */
function readCertificationData(r: ByteReader): CertificationData {
  const typeOffset = r.offset;
  const type = r.u16le('certificationData.type');
  // Certification data types are 1..7; type 6 (QE report certification data) appears only as the
  // outer certification data of v4/v5 quotes, never nested and never in v3.
  if (type < CERT_DATA_TYPE_PPID_CLEARTEXT || type > CERT_DATA_TYPE_PLATFORM_MANIFEST)
    fail(
      'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
      typeOffset,
      `${r.path}.certificationData.type`,
      `unknown type ${type}`,
    );
  if (type === CERT_DATA_TYPE_QE_REPORT)
    fail(
      'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
      typeOffset,
      `${r.path}.certificationData.type`,
      'type 6 not allowed here',
    );
  const size = r.u32le('certificationData.size');
  return r.withLength(
    size,
    'certificationData',
    (c): CertificationData => {
      // `c` is the certification data window, so its path is `….certificationData`.
      const start = c.offset;
      if (type === CERT_DATA_TYPE_PPID_RSA3072) {
        // Type 3: encrypted PPID (384) ‖ CPUSVN (16) ‖ PCESVN (u16) ‖ PCEID (u16), exactly.
        if (size !== PPID_RSA3072_DATA_SIZE)
          fail(
            'ERR_WIRE_INVALID_VALUE',
            start,
            c.path,
            `type 3 data has ${size} bytes, not ${PPID_RSA3072_DATA_SIZE}`,
          );
        const data = c.bytes(size, 'data');
        // `data` never aliases the caller's input, so neither do its sub-ranges.
        return Object.freeze({
          type,
          data,
          encryptedPpid: data.subarray(0, 384),
          cpuSvn: data.subarray(384, 400),
          pceSvn: data[400]! | (data[401]! << 8),
          pceId: data[402]! | (data[403]! << 8),
        });
      }
      const data = c.bytes(size, 'data');
      if (type === CERT_DATA_TYPE_PCK_CERT_CHAIN) {
        const chain = splitPemChain(data, start, c.path);
        return Object.freeze({ type, data, pemCertificates: chain.pem, derCertificates: chain.der });
      }
      return Object.freeze({ type: type as 1 | 2 | 4 | 7, data });
    },
    MAX_CERTIFICATION_DATA_SIZE,
  );
}

interface QeReportParts {
  readonly qeReport: Uint8Array;
  readonly qeReportBody: SgxReportBody;
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  readonly certificationData: CertificationData;
}

/** QE report ‖ QE report signature ‖ QE auth data ‖ certification data (DCAP-VERIFICATION.md §1.1). */
function readQeReportParts(r: ByteReader): QeReportParts {
  const qeReportStart = r.offset;
  const qeReportBody = r.withLength(REPORT_BODY_SIZE, 'qeReport', readReportBody);
  const qeReport = r.bytesAt(qeReportStart, r.offset);
  const qeReportSignature = r.bytes(ECDSA_SIGNATURE_SIZE, 'qeReportSignature');
  const authSize = r.u16le('qeAuthData.size');
  const qeAuthData = r.withLength(
    authSize,
    'qeAuthData',
    (a) => a.bytes(authSize, ''),
    MAX_QE_AUTH_DATA_SIZE,
  );
  const certificationData = readCertificationData(r);
  return { qeReport, qeReportBody, qeReportSignature, qeAuthData, certificationData };
}

interface SignatureParts {
  readonly signature: Uint8Array;
  readonly attestationKey: Uint8Array;
  readonly qe: QeReportParts;
}

function readSignatureData(r: ByteReader, version: 3 | 4 | 5): SignatureParts {
  const signature = r.bytes(ECDSA_SIGNATURE_SIZE, 'signature');
  const attestationKey = r.bytes(ATTESTATION_KEY_SIZE, 'attestationKey');
  if (version === 3) return { signature, attestationKey, qe: readQeReportParts(r) };
  // v4/v5: the outer certification data must be type 6, QE report certification data.
  const typeOffset = r.offset;
  const type = r.u16le('certificationData.type');
  if (type !== CERT_DATA_TYPE_QE_REPORT)
    fail(
      'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
      typeOffset,
      `${r.path}.certificationData.type`,
      `v${version} quotes need type 6, got ${type}`,
    );
  const size = r.u32le('certificationData.size');
  const qe = r.withLength(size, 'certificationData', readQeReportParts, MAX_SIGNATURE_DATA_SIZE);
  return { signature, attestationKey, qe };
}

function teeTypeOf(raw: number, offset: number): TeeType {
  if (raw === TEE_TYPE_SGX) return 'SGX';
  if (raw === TEE_TYPE_TDX) return 'TDX';
  return fail(
    'ERR_QUOTE_UNSUPPORTED_TEE_TYPE',
    offset,
    'quote.teeType',
    `unknown TEE type 0x${raw.toString(16)}`,
  );
}

const BODY_TYPES: Readonly<Record<number, { kind: QuoteBodyKind; size: number; tee: TeeType }>> = {
  [BODY_TYPE_SGX]: { kind: 'sgx', size: REPORT_BODY_SIZE, tee: 'SGX' },
  [BODY_TYPE_TD10]: { kind: 'td10', size: TD_REPORT10_SIZE, tee: 'TDX' },
  [BODY_TYPE_TD15]: { kind: 'td15', size: TD_REPORT15_SIZE, tee: 'TDX' },
};

function readBody(r: ByteReader, kind: QuoteBodyKind): QuoteBody {
  if (kind === 'sgx') return readReportBody(r);
  return kind === 'td10' ? readTdReport10(r) : readTdReport15(r);
}

function parseEcdsa(r: ByteReader, version: 3 | 4 | 5, allowTrailing: boolean): EcdsaQuote {
  // 1. Header (DCAP-VERIFICATION.md §1.1).
  r.skip(2, 'version');
  const keyType = r.u16le('attestationKeyType');
  if (keyType !== ATTESTATION_KEY_TYPE_ECDSA_P256)
    fail(
      'ERR_QUOTE_UNSUPPORTED_KEY_TYPE',
      QUOTE_ATT_KEY_TYPE_OFFSET,
      'quote.attestationKeyType',
      `key type ${keyType}${keyType === ATTESTATION_KEY_TYPE_ECDSA_P384 ? ' (ECDSA P-384)' : ''} is not ECDSA P-256`,
    );
  const teeType = teeTypeOf(r.u32le('teeType'), QUOTE_TEE_TYPE_OFFSET);
  // v3 quotes are SGX only (the field is reserved, zero).
  if (version === 3 && teeType !== 'SGX')
    fail('ERR_QUOTE_UNSUPPORTED_TEE_TYPE', QUOTE_TEE_TYPE_OFFSET, 'quote.teeType', 'v3 quotes are SGX only');
  const qeSvn = r.u16le('qeSvn');
  const pceSvn = r.u16le('pceSvn');
  const qeVendorId = r.bytes(16, 'qeVendorId');
  const userData = r.bytes(20, 'userData');

  // 2. Body: v3 SGX; v4 by TEE type; v5 by its body descriptor.
  let kind: QuoteBodyKind = teeType === 'SGX' ? 'sgx' : 'td10';
  let bodyType: 1 | 2 | 3 = teeType === 'SGX' ? 1 : 2;
  let bodySize = kind === 'sgx' ? REPORT_BODY_SIZE : TD_REPORT10_SIZE;
  if (version === 5) {
    const descOffset = r.offset;
    const type = r.u16le('bodyType');
    bodySize = r.u32le('bodySize');
    const known = BODY_TYPES[type];
    if (known === undefined)
      fail('ERR_QUOTE_UNSUPPORTED_BODY_TYPE', descOffset, 'quote.bodyType', `unknown body type ${type}`);
    if (known.size !== bodySize)
      fail(
        'ERR_QUOTE_UNSUPPORTED_BODY_TYPE',
        descOffset + 2,
        'quote.bodySize',
        `body type ${type} has ${known.size} bytes, not ${bodySize}`,
      );
    if (known.tee !== teeType)
      fail(
        'ERR_QUOTE_UNSUPPORTED_BODY_TYPE',
        descOffset,
        'quote.bodyType',
        `body type ${type} is not ${teeType}`,
      );
    kind = known.kind;
    bodyType = type as 1 | 2 | 3;
  }
  const k = kind;
  const body = r.withLength(bodySize, 'body', (b) => readBody(b, k));
  // The quote signature covers [0, s): header ‖ (v5: descriptor ‖) body.
  const signedBytes = r.bytesAt(0, r.offset);

  // 3. Signature data, exactly `signatureDataLength` bytes.
  const signatureDataLength = r.u32le('signatureDataLength');
  const sig = r.withLength(
    signatureDataLength,
    'signatureData',
    (s) => readSignatureData(s, version),
    MAX_SIGNATURE_DATA_SIZE,
  );
  const qe = sig.qe;
  const cd = qe.certificationData;
  const chain = cd.type === CERT_DATA_TYPE_PCK_CERT_CHAIN;
  // 4. Where the quote ends (DCAP-VERIFICATION.md §11).
  const extent = readExtent(r, allowTrailing);
  // One record, built once (no intermediate spreads on this hot path); v5 adds its body descriptor.
  const q = {
    version,
    attestationKeyType: ATTESTATION_KEY_TYPE_ECDSA_P256 as 2,
    teeType,
    qeSvn,
    pceSvn,
    qeVendorId,
    userData,
    signedBytes,
    signatureDataLength,
    signature: sig.signature,
    attestationKey: sig.attestationKey,
    qeReport: qe.qeReport,
    qeReportBody: qe.qeReportBody,
    qeReportSignature: qe.qeReportSignature,
    qeAuthData: qe.qeAuthData,
    certificationData: cd,
    pckCertChain: chain ? cd.pemCertificates : null,
    pckCertChainDer: chain ? cd.derCertificates : null,
    ...(version === 5 ? { bodyType, bodySize } : undefined),
    bodyKind: kind,
    body,
    length: extent.length,
    trailingBytes: extent.trailingBytes,
    trailingAllZero: extent.trailingAllZero,
  } satisfies EcdsaQuoteFields & { version: 3 | 4 | 5; bodyKind: QuoteBodyKind; body: QuoteBody };
  // The checks above tie version, TEE type and body kind together (v3: SGX; v5: the descriptor).
  return Object.freeze(q) as EcdsaQuote;
}

/**
 * Parses a quote: EPID v2 or DCAP v3/v4/v5 (PROTOCOL-SEED.md §5.3, DCAP-VERIFICATION.md §1.1).
 *
 * Throws a {@link ParseError}: `ERR_WIRE_TRUNCATED` (shorter than a header or than a length says),
 * `ERR_QUOTE_UNSUPPORTED_VERSION` / `_KEY_TYPE` / `_TEE_TYPE` / `_BODY_TYPE` / `_CERT_DATA_TYPE`,
 * `ERR_WIRE_LENGTH_LIMIT` (a length over its cap), `ERR_PEM_INVALID` (type-5 data that is not PEM),
 * `ERR_WIRE_TRAILING_BYTES` (bytes after the quote without `allowTrailing`, or inside a sized field).
 */
export function parseQuote(bytes: Uint8Array, options: ParseQuoteOptions = {}): Quote {
  checkBytes(bytes);
  // Every quote starts with a 48-byte header.
  if (bytes.length < QUOTE_HEADER_SIZE) new ByteReader(bytes, 'quote').skip(QUOTE_HEADER_SIZE, 'header');
  const version = bytes[QUOTE_VERSION_OFFSET]! | (bytes[QUOTE_VERSION_OFFSET + 1]! << 8);
  if (version !== 2 && version !== 3 && version !== 4 && version !== 5)
    fail(
      'ERR_QUOTE_UNSUPPORTED_VERSION',
      QUOTE_VERSION_OFFSET,
      'quote.version',
      `unsupported version ${version}`,
    );
  // One private copy of the input; every byte field of the result is a view into it (reader.ts).
  const r = ByteReader.copyOf(bytes, 'quote');
  const allowTrailing = options.allowTrailing === true;
  return version === 2 ? parseV2(r, allowTrailing) : parseEcdsa(r, version, allowTrailing);
}

// ---- Encoding (for the simulator and tests) ----

/** Header fields for the encoders; a parsed quote is accepted as is. */
export interface QuoteHeaderInit {
  /** Default 2 (ECDSA P-256). Other values only make sense for negative tests. */
  readonly attestationKeyType?: number;
  /** `'SGX'`, `'TDX'` or a raw TEE type (negative tests). */
  readonly teeType: TeeType | number;
  readonly qeSvn?: number;
  readonly pceSvn?: number;
  /** Default {@link INTEL_QE_VENDOR_ID}. */
  readonly qeVendorId?: Uint8Array;
  /** Default 20 zero bytes. */
  readonly userData?: Uint8Array;
}

/** A certification data entry for the encoders: a type and its payload. */
export interface CertificationDataInit {
  readonly type: number;
  readonly data: Uint8Array;
}

/** Signature data for the encoders; a parsed quote is accepted as is. */
export interface QuoteSignatureDataInit {
  readonly signature: Uint8Array;
  readonly attestationKey: Uint8Array;
  /** The raw 384-byte QE report. */
  readonly qeReport: Uint8Array;
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  /** The PCK-identifying certification data (v4/v5: nested in the type-6 data the encoder writes). */
  readonly certificationData: CertificationDataInit;
}

/** The parts of a DCAP quote for the encoders. */
export interface EcdsaQuoteInit {
  readonly header: QuoteHeaderInit;
  /** An encoded body (384, 584 or 648 bytes), or fields for {@link encodeReportBody} / {@link encodeTdReport}. */
  readonly body: Uint8Array | ReportBodyInit | TdReportInit;
  readonly signatureData: QuoteSignatureDataInit;
}

/** The parts of an EPID v2 quote for {@link encodeQuoteV2}; a parsed v2 quote is accepted as is. */
export interface QuoteV2Init {
  readonly signType?: number;
  readonly epidGroupId?: Uint8Array;
  readonly qeSvn?: number;
  readonly pceSvn?: number;
  readonly xeid?: number;
  readonly basename?: Uint8Array;
  readonly body: Uint8Array | ReportBodyInit;
  readonly signature: Uint8Array;
}

class Writer {
  readonly #parts: Uint8Array[] = [];
  bytes(b: Uint8Array, size?: number, name = 'field'): this {
    if (!(b instanceof Uint8Array) || (size !== undefined && b.length !== size))
      throw new RangeError(`${name} must be a Uint8Array${size === undefined ? '' : ` of ${size} bytes`}`);
    this.#parts.push(b);
    return this;
  }
  int(value: number, size: 2 | 4, name: string): this {
    const max = size === 2 ? 0xffff : 0xffffffff;
    if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${name} out of range`);
    const b = new Uint8Array(size);
    const v = new DataView(b.buffer);
    if (size === 2) v.setUint16(0, value, true);
    else v.setUint32(0, value, true);
    this.#parts.push(b);
    return this;
  }
  done(): Uint8Array {
    return concatBytes(...this.#parts);
  }
}

function encodeBody(body: EcdsaQuoteInit['body']): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if ('kind' in body && (body.kind === 'td10' || body.kind === 'td15'))
    return encodeTdReport(body as TdReportInit);
  return encodeReportBody(body as ReportBodyInit);
}

function encodeHeader(version: number, h: QuoteHeaderInit): Uint8Array {
  const tee = h.teeType === 'SGX' ? TEE_TYPE_SGX : h.teeType === 'TDX' ? TEE_TYPE_TDX : h.teeType;
  return new Writer()
    .int(version, 2, 'version')
    .int(h.attestationKeyType ?? ATTESTATION_KEY_TYPE_ECDSA_P256, 2, 'attestationKeyType')
    .int(tee, 4, 'teeType')
    .int(h.qeSvn ?? 0, 2, 'qeSvn')
    .int(h.pceSvn ?? 0, 2, 'pceSvn')
    .bytes(h.qeVendorId ?? INTEL_QE_VENDOR_ID, 16, 'qeVendorId')
    .bytes(h.userData ?? new Uint8Array(20), 20, 'userData')
    .done();
}

/**
 * The bytes a DCAP quote signature covers: header ‖ (v5: body descriptor ‖) body. The v5 body type
 * follows the body size (384 → 1, 584 → 2, 648 → 3).
 */
export function encodeQuoteSignedBytes(
  version: 3 | 4 | 5,
  header: QuoteHeaderInit,
  body: EcdsaQuoteInit['body'],
): Uint8Array {
  const b = encodeBody(body);
  const w = new Writer().bytes(encodeHeader(version, header));
  if (version === 5) {
    const type =
      b.length === REPORT_BODY_SIZE
        ? BODY_TYPE_SGX
        : b.length === TD_REPORT10_SIZE
          ? BODY_TYPE_TD10
          : BODY_TYPE_TD15;
    w.int(type, 2, 'bodyType').int(b.length, 4, 'bodySize');
  }
  return w.bytes(b).done();
}

function encodeCertificationData(cd: CertificationDataInit): Uint8Array {
  return new Writer()
    .int(cd.type, 2, 'certificationData.type')
    .int(cd.data.length, 4, 'certificationData.size')
    .bytes(cd.data, undefined, 'certificationData.data')
    .done();
}

function encodeEcdsa(version: 3 | 4 | 5, q: EcdsaQuoteInit): Uint8Array {
  const s = q.signatureData;
  const qeParts = new Writer()
    .bytes(s.qeReport, REPORT_BODY_SIZE, 'qeReport')
    .bytes(s.qeReportSignature, ECDSA_SIGNATURE_SIZE, 'qeReportSignature')
    .int(s.qeAuthData.length, 2, 'qeAuthData.size')
    .bytes(s.qeAuthData, undefined, 'qeAuthData')
    .bytes(encodeCertificationData(s.certificationData))
    .done();
  const sigData = new Writer()
    .bytes(s.signature, ECDSA_SIGNATURE_SIZE, 'signature')
    .bytes(s.attestationKey, ATTESTATION_KEY_SIZE, 'attestationKey')
    .bytes(
      version === 3 ? qeParts : encodeCertificationData({ type: CERT_DATA_TYPE_QE_REPORT, data: qeParts }),
    )
    .done();
  return new Writer()
    .bytes(encodeQuoteSignedBytes(version, q.header, q.body))
    .int(sigData.length, 4, 'signatureDataLength')
    .bytes(sigData)
    .done();
}

/** Encodes a DCAP v3 quote (DCAP-VERIFICATION.md §1.1). Misuse (wrong sizes) throws `RangeError`. */
export function encodeQuoteV3(quote: EcdsaQuoteInit): Uint8Array {
  return encodeEcdsa(3, quote);
}

/** Encodes a DCAP v4 quote, wrapping the certification data in type 6 (DCAP-VERIFICATION.md §1.1). */
export function encodeQuoteV4(quote: EcdsaQuoteInit): Uint8Array {
  return encodeEcdsa(4, quote);
}

/** Encodes a DCAP v5 quote, with the body descriptor derived from the body size. */
export function encodeQuoteV5(quote: EcdsaQuoteInit): Uint8Array {
  return encodeEcdsa(5, quote);
}

/** Encodes an EPID v2 quote (PROTOCOL-SEED.md §5.3); absent header fields are zero. */
export function encodeQuoteV2(quote: QuoteV2Init): Uint8Array {
  const body = quote.body instanceof Uint8Array ? quote.body : encodeReportBody(quote.body);
  return new Writer()
    .int(2, 2, 'version')
    .int(quote.signType ?? 0, 2, 'signType')
    .bytes(quote.epidGroupId ?? new Uint8Array(4), 4, 'epidGroupId')
    .int(quote.qeSvn ?? 0, 2, 'qeSvn')
    .int(quote.pceSvn ?? 0, 2, 'pceSvn')
    .int(quote.xeid ?? 0, 4, 'xeid')
    .bytes(quote.basename ?? new Uint8Array(32), 32, 'basename')
    .bytes(body, REPORT_BODY_SIZE, 'body')
    .int(quote.signature.length, 4, 'signatureLength')
    .bytes(quote.signature, undefined, 'signature')
    .done();
}
