/**
 * Fast paths for the DER that every verification reads: a PCK leaf certificate (parsed on every
 * call, DESIGN.md "Performance targets") and its SGX extension.
 *
 * A fast path reads one canonical shape directly, without reader objects or callbacks, and gives
 * up, returning `undefined`, at anything else: a length, tag, algorithm, string type or field it
 * does not expect. The caller then runs the general parser (`der.ts` readers), which either accepts
 * the input with the same result or throws the precise error. A fast path is therefore never more
 * lenient than the general parser; tests compare the two on genuine certificates and on mutations.
 *
 * @internal
 * @module
 */
import { BytesMemo, decodeOidAt } from './der.ts';

/** DER identifier octets used here (X.690 §8.1.2). */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT_0: 0xa0,
  CONTEXT_3: 0xa3,
} as const;

/** The content bounds of the element {@link tlv} read last (one reader at a time: no callbacks). */
export const at: { start: number; end: number } = { start: 0, end: 0 };

/**
 * Reads a DER header with identifier `tag` at `p` of `b[.., end)`: definite, minimal lengths of at
 * most two octets (X.690 §10.1), contents within `end`. Sets {@link at}; false for anything else.
 */
export function tlv(b: Uint8Array, p: number, end: number, tag: number): boolean {
  if (p + 2 > end || b[p] !== tag) return false;
  let len = b[p + 1]!;
  let q = p + 2;
  if (len >= 0x80) {
    if (len === 0x81) {
      if (q + 1 > end) return false;
      len = b[q]!;
      q += 1;
      if (len < 0x80) return false;
    } else if (len === 0x82) {
      if (q + 2 > end) return false;
      len = (b[q]! << 8) | b[q + 1]!;
      q += 2;
      if (len < 0x100) return false;
    } else {
      return false;
    }
  }
  if (len > end - q) return false;
  at.start = q;
  at.end = q + len;
  return true;
}

/** True when `b[p, p + expected.length)` equals `expected`. */
export function bytesAt(b: Uint8Array, p: number, expected: readonly number[] | Uint8Array): boolean {
  if (p + expected.length > b.length) return false;
  for (let i = 0; i < expected.length; i++) if (b[p + i] !== expected[i]) return false;
  return true;
}

// ---- Certificates (RFC 5280 §4.1) ----

/** A parsed Name: its DER (a copy), first commonName and text, as `cert.ts` `readName` gives them. */
export interface FastName {
  readonly der: Uint8Array;
  readonly commonName: string | undefined;
  readonly text: string;
}

/** One extension, as `cert.ts` `readExtensions` gives it. */
export interface FastExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

/** The fields of a certificate, in the shape the general parser produces them. */
export interface FastCertificateFields {
  readonly tbs: Uint8Array;
  readonly outerSignatureAlgorithm: Uint8Array;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  readonly version: number;
  readonly serialNumber: string;
  readonly tbsSignatureAlgorithm: Uint8Array;
  readonly issuer: FastName;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly subject: FastName;
  readonly spki: Uint8Array;
  readonly extensions: FastExtension[];
}

/** AlgorithmIdentifier ecdsa-with-SHA256 (RFC 5758 §3.2: parameters absent). */
const ECDSA_WITH_SHA256_DER = [
  0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
] as const;
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
/** `[0] EXPLICIT INTEGER 2`: version v3. */
const VERSION_V3_DER = [0xa0, 0x03, 0x02, 0x01, 0x02] as const;
/** SubjectPublicKeyInfo of an uncompressed P-256 key, up to the point (RFC 5480 §2). */
const P256_SPKI_PREFIX = [
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
  0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
] as const;
const P256_SPKI_LENGTH = P256_SPKI_PREFIX.length + 64;

/** The attribute types of Intel's names, id-at-* (2.5.4.n): short name by n (RFC 4514 §3). */
const ATTRIBUTES: Readonly<Record<number, string>> = {
  3: 'CN',
  5: 'serialNumber',
  6: 'C',
  7: 'L',
  8: 'ST',
  10: 'O',
  11: 'OU',
};

/** PrintableString characters (X.680 §41.4), by octet. */
const PRINTABLE: Uint8Array = (() => {
  const t = new Uint8Array(128);
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?";
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
})();

const LATIN1 = new TextDecoder('latin1');

/** A PrintableString or an ASCII UTF8String in `b[start, end)`, or undefined. One string, no pieces. */
function asciiString(b: Uint8Array, start: number, end: number, printable: boolean): string | undefined {
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x80 || (printable && PRINTABLE[c] === 0)) return undefined;
  }
  // ASCII only (checked above), which every single-byte decoding maps to itself.
  return LATIN1.decode(b.subarray(start, end));
}

/**
 * Names already read, by their DER: the few distinct issuer and subject names of Intel's PKI (every
 * PCK leaf has the same subject and one of two issuers), so a leaf's names are compared, not re-read.
 * A hit is the record an earlier read of the same bytes returned (frozen, shared).
 */
const nameMemo = new BytesMemo<FastName>(64);

/**
 * A Name of `SET { SEQUENCE { id-at-*, PrintableString | ASCII UTF8String } }` RDNs, or undefined
 * (other attribute types and string types go to the general parser).
 */
function fastName(b: Uint8Array, p: number, end: number): FastName | undefined {
  if (!tlv(b, p, end, TAG.SEQUENCE)) return undefined;
  const nameEnd = at.end;
  const known = nameMemo.get(b, p, nameEnd);
  if (known !== undefined) return known;
  const name = readFastName(b, p, at.start, nameEnd);
  if (name !== undefined) nameMemo.set(b, p, nameEnd, name);
  return name;
}

/** {@link fastName} of the Name `b[p, nameEnd)` whose contents start at `q`, read afresh. */
function readFastName(b: Uint8Array, p: number, q: number, nameEnd: number): FastName | undefined {
  let commonName: string | undefined;
  let text = '';
  let n = 0;
  while (q < nameEnd) {
    if (++n > 64 || !tlv(b, q, nameEnd, TAG.SET)) return undefined;
    const setEnd = at.end;
    // One attribute per RDN (Intel's names); multi-valued RDNs go to the general parser.
    if (!tlv(b, at.start, setEnd, TAG.SEQUENCE) || at.end !== setEnd) return undefined;
    const atvStart = at.start;
    // OID 2.5.4.n: 06 03 55 04 n.
    if (!tlv(b, atvStart, setEnd, TAG.OID) || at.end - at.start !== 3) return undefined;
    if (b[at.start] !== 0x55 || b[at.start + 1] !== 0x04) return undefined;
    const type = b[at.start + 2]!;
    const short = ATTRIBUTES[type];
    if (short === undefined) return undefined;
    const valueAt = at.end;
    const tag = b[valueAt];
    if (tag !== TAG.PRINTABLE_STRING && tag !== TAG.UTF8_STRING) return undefined;
    if (!tlv(b, valueAt, setEnd, tag) || at.end !== setEnd) return undefined;
    const value = asciiString(b, at.start, at.end, tag === TAG.PRINTABLE_STRING);
    if (value === undefined) return undefined;
    if (type === 3 && commonName === undefined) commonName = value;
    text = text === '' ? `${short}=${value}` : `${text}, ${short}=${value}`;
    q = setEnd;
  }
  return Object.freeze({ der: b.slice(p, nameEnd), commonName, text });
}

/** Two decimal digits at `p`, or -1. */
function digits2(b: Uint8Array, p: number): number {
  const h = b[p]! - 0x30;
  const l = b[p + 1]! - 0x30;
  return h >= 0 && h <= 9 && l >= 0 && l <= 9 ? h * 10 + l : -1;
}

const DAYS_IN_MONTH: readonly number[] = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A UTCTime `YYMMDDHHMMSSZ` (years 1950-2049) or GeneralizedTime `YYYYMMDDHHMMSSZ` at `p` (RFC 5280
 * §4.1.2.5) as milliseconds since the epoch, read from the octets; {@link at} is left on it.
 * Anything else, an impossible date included, is undefined (the general parser reports it).
 */
function fastTime(b: Uint8Array, p: number, end: number): number | undefined {
  const tag = b[p];
  const utc = tag === TAG.UTC_TIME;
  if ((!utc && tag !== TAG.GENERALIZED_TIME) || !tlv(b, p, end, tag)) return undefined;
  let q = at.start;
  if (at.end - q !== (utc ? 13 : 15) || b[at.end - 1] !== 0x5a) return undefined;
  let year: number;
  if (utc) {
    const yy = digits2(b, q);
    year = yy < 0 ? -1 : yy >= 50 ? 1900 + yy : 2000 + yy;
    q += 2;
  } else {
    const hi = digits2(b, q);
    const lo = digits2(b, q + 2);
    year = hi < 0 || lo < 0 ? -1 : hi * 100 + lo;
    q += 4;
  }
  const month = digits2(b, q);
  const day = digits2(b, q + 2);
  const hour = digits2(b, q + 4);
  const minute = digits2(b, q + 6);
  const second = digits2(b, q + 8);
  // Years before 100 would be read by Date.UTC as 19xx; the general parser refuses them.
  if (year < 100 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return undefined;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  // The days of the month (proleptic Gregorian), as the general parser's round trip through Date.
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > (month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month]!)) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** A minimal, non-empty INTEGER's content bounds are {@link at}: true when its encoding is minimal. */
function minimalInteger(b: Uint8Array): boolean {
  const n = at.end - at.start;
  if (n === 0) return false;
  if (n === 1) return true;
  const b0 = b[at.start]!;
  const b1 = b[at.start + 1]!;
  return !((b0 === 0x00 && b1 < 0x80) || (b0 === 0xff && b1 >= 0x80));
}

/** The serial number in `serialToHex` form: lowercase hex of the magnitude, no leading zero octet. */
function serialHex(b: Uint8Array, start: number, end: number): string {
  let i = start;
  while (i < end - 1 && b[i] === 0) i++;
  return Buffer.from(b.buffer, b.byteOffset + i, end - i).toString('hex');
}

/** The extensions `SEQUENCE SIZE (1..MAX) OF Extension` (RFC 5280 §4.1), or undefined. */
function fastExtensions(b: Uint8Array, p: number, end: number): FastExtension[] | undefined {
  if (!tlv(b, p, end, TAG.SEQUENCE) || at.end !== end) return undefined;
  const out: FastExtension[] = [];
  let q = at.start;
  while (q < end) {
    if (out.length >= 64 || !tlv(b, q, end, TAG.SEQUENCE)) return undefined;
    const extEnd = at.end;
    if (!tlv(b, at.start, extEnd, TAG.OID)) return undefined;
    const oid = decodeOidAt(b, at.start, at.end);
    if (oid === undefined) return undefined;
    let r = at.end;
    let critical = false;
    if (b[r] === TAG.BOOLEAN) {
      if (!tlv(b, r, extEnd, TAG.BOOLEAN) || at.end - at.start !== 1) return undefined;
      const v = b[at.start];
      if (v !== 0x00 && v !== 0xff) return undefined;
      critical = v === 0xff;
      r = at.end;
    }
    if (!tlv(b, r, extEnd, TAG.OCTET_STRING) || at.end !== extEnd) return undefined;
    // RFC 5280 §4.2: one instance of each extension (the general parser names the duplicate).
    for (const e of out) if (e.oid === oid) return undefined;
    out.push(Object.freeze({ oid, critical, value: b.subarray(at.start, at.end) }));
    q = extEnd;
  }
  return out.length === 0 ? undefined : out;
}

/**
 * The fields of an X.509 v3 certificate signed with ECDSA-SHA256 over a P-256 key, with names of
 * single-attribute RDNs in PrintableString or ASCII UTF8String and no unique identifiers: every
 * certificate of Intel's SGX PKI. Anything else is `undefined` (use the general parser).
 *
 * The byte fields are views into `der` (no copies; the parser of `cert.ts` hands it a private copy
 * that never changes), except the names' DER, which are copies shared between certificates.
 */
export function fastCertificateFields(der: Uint8Array): FastCertificateFields | undefined {
  const end = der.length;
  if (!tlv(der, 0, end, TAG.SEQUENCE) || at.end !== end) return undefined;
  // tbsCertificate
  const tbsAt = at.start;
  if (!tlv(der, tbsAt, end, TAG.SEQUENCE)) return undefined;
  const tbsEnd = at.end;
  let p = at.start;
  if (!bytesAt(der, p, VERSION_V3_DER)) return undefined;
  p += VERSION_V3_DER.length;
  if (!tlv(der, p, tbsEnd, TAG.INTEGER) || !minimalInteger(der)) return undefined;
  const serialNumber = serialHex(der, at.start, at.end);
  p = at.end;
  if (!bytesAt(der, p, ECDSA_WITH_SHA256_DER)) return undefined;
  const tbsSignatureAlgorithm = der.subarray(p, p + ECDSA_WITH_SHA256_DER.length);
  p += ECDSA_WITH_SHA256_DER.length;
  const issuer = fastName(der, p, tbsEnd);
  if (issuer === undefined) return undefined;
  p += issuer.der.length;
  // validity
  if (!tlv(der, p, tbsEnd, TAG.SEQUENCE)) return undefined;
  const validityEnd = at.end;
  const notBefore = fastTime(der, at.start, validityEnd);
  const naAt = at.end;
  if (notBefore === undefined) return undefined;
  const notAfter = fastTime(der, naAt, validityEnd);
  if (notAfter === undefined || at.end !== validityEnd) return undefined;
  p = validityEnd;
  const subject = fastName(der, p, tbsEnd);
  if (subject === undefined) return undefined;
  p += subject.der.length;
  if (p + P256_SPKI_LENGTH > tbsEnd || !bytesAt(der, p, P256_SPKI_PREFIX)) return undefined;
  const spki = der.subarray(p, p + P256_SPKI_LENGTH);
  p += P256_SPKI_LENGTH;
  // extensions [3] EXPLICIT, to the end of tbsCertificate (no unique identifiers).
  if (!tlv(der, p, tbsEnd, TAG.CONTEXT_3) || at.end !== tbsEnd) return undefined;
  const extensions = fastExtensions(der, at.start, tbsEnd);
  if (extensions === undefined) return undefined;
  // signatureAlgorithm, signatureValue
  p = tbsEnd;
  if (!bytesAt(der, p, ECDSA_WITH_SHA256_DER)) return undefined;
  const outerSignatureAlgorithm = der.subarray(p, p + ECDSA_WITH_SHA256_DER.length);
  p += ECDSA_WITH_SHA256_DER.length;
  if (!tlv(der, p, end, TAG.BIT_STRING) || at.end !== end || at.end - at.start < 2 || der[at.start] !== 0)
    return undefined;
  return {
    tbs: der.subarray(tbsAt, tbsEnd),
    outerSignatureAlgorithm,
    signatureAlgorithm: ECDSA_WITH_SHA256,
    signature: der.subarray(at.start + 1, at.end),
    version: 3,
    serialNumber,
    tbsSignatureAlgorithm,
    issuer,
    notBefore,
    notAfter,
    subject,
    spki,
    extensions,
  };
}
