/**
 * X.509 certificates (RFC 5280 §4): the fields attestkit checks, parsed with its own strict DER
 * reader, plus node's `X509Certificate` and public `KeyObject` for the signatures.
 *
 * Parsed certificates are cached by content in a small bounded map (looked up by a cheap
 * fingerprint, confirmed by comparing the whole DER), so the Intel root and the PCK CAs are parsed
 * (and their keys imported) once. Callers always receive fresh frozen records with their own byte
 * copies; the cache keeps private copies. {@link freshCertificateEntry} parses without the cache:
 * the verifier uses it for a PCK leaf, which DESIGN.md keeps out of caches unless the platform cache
 * is opted into.
 *
 * @module
 */
import {
  createHash,
  createPublicKey,
  verify as cryptoVerify,
  type KeyObject,
  X509Certificate,
} from 'node:crypto';
import { CryptoError, ParseError } from '../errors.ts';
import { bytesEqual, toHex } from '../wire/hex.ts';
import { BytesMemo, DER_TAG, type DerReader, parseDer } from './der.ts';
import { type FastCertificateFields, fastCertificateFields } from './fast.ts';
import { decodePemBlocks } from './pem.ts';

/** Object identifiers attestkit recognises in certificates and CRLs. */
export const OID = {
  /** ecdsa-with-SHA256 (RFC 5758 §3.2). */
  ECDSA_WITH_SHA256: '1.2.840.10045.4.3.2',
  /** ecdsa-with-SHA384 (RFC 5758 §3.2). */
  ECDSA_WITH_SHA384: '1.2.840.10045.4.3.3',
  /** sha256WithRSAEncryption (RFC 4055 §5). */
  SHA256_WITH_RSA: '1.2.840.113549.1.1.11',
  /** id-at-commonName (X.520). */
  COMMON_NAME: '2.5.4.3',
  /** id-ce-subjectKeyIdentifier (RFC 5280 §4.2.1.2). */
  SUBJECT_KEY_IDENTIFIER: '2.5.29.14',
  /** id-ce-keyUsage (RFC 5280 §4.2.1.3). */
  KEY_USAGE: '2.5.29.15',
  /** id-ce-basicConstraints (RFC 5280 §4.2.1.9). */
  BASIC_CONSTRAINTS: '2.5.29.19',
  /** id-ce-cRLNumber (RFC 5280 §5.2.3). */
  CRL_NUMBER: '2.5.29.20',
  /** id-ce-cRLReasons (RFC 5280 §5.3.1). */
  CRL_REASON: '2.5.29.21',
  /** id-ce-invalidityDate (RFC 5280 §5.3.2). */
  INVALIDITY_DATE: '2.5.29.24',
  /** id-ce-deltaCRLIndicator (RFC 5280 §5.2.4). */
  DELTA_CRL_INDICATOR: '2.5.29.27',
  /** id-ce-issuingDistributionPoint (RFC 5280 §5.2.5). */
  ISSUING_DISTRIBUTION_POINT: '2.5.29.28',
  /** id-ce-certificateIssuer (RFC 5280 §5.3.3). */
  CERTIFICATE_ISSUER: '2.5.29.29',
  /** id-ce-cRLDistributionPoints (RFC 5280 §4.2.1.13). */
  CRL_DISTRIBUTION_POINTS: '2.5.29.31',
  /** id-ce-authorityKeyIdentifier (RFC 5280 §4.2.1.1). */
  AUTHORITY_KEY_IDENTIFIER: '2.5.29.35',
  /** The Intel SGX PCK extension (Intel PCK Certificate and CRL Profile, §1.3.5). */
  SGX_EXTENSIONS: '1.2.840.113741.1.13.1',
} as const;

/** The key usages of RFC 5280 §4.2.1.3, by bit number. */
export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

const KEY_USAGE_BITS: readonly KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

/** One certificate extension (RFC 5280 §4.1.2.9). */
export interface CertExtension {
  /** The extension OID, dotted. */
  readonly oid: string;
  /** The critical flag (default false). */
  readonly critical: boolean;
  /** The contents of `extnValue` (a copy). */
  readonly value: Uint8Array;
}

/** The basicConstraints extension (RFC 5280 §4.2.1.9). */
export interface BasicConstraints {
  /** True for a CA certificate. */
  readonly cA: boolean;
  /** The most non-self-issued intermediates that may follow this CA, when limited. */
  readonly pathLenConstraint: number | undefined;
}

/** A parsed X.509 certificate: frozen, byte fields are copies. */
export interface Certificate {
  /** The whole certificate, DER. */
  readonly der: Uint8Array;
  /** SHA-256 of the DER, lowercase hex (the fingerprint, without colons). */
  readonly sha256: string;
  /** The X.509 version number (1, 2 or 3). */
  readonly version: number;
  /** The serial number as lowercase hex of its unsigned value (no leading zero octet). */
  readonly serialNumber: string;
  /** The signature algorithm OID (the outer `signatureAlgorithm`). */
  readonly signatureAlgorithm: string;
  /** The issuer Name, DER. */
  readonly issuerDer: Uint8Array;
  /** The subject Name, DER. */
  readonly subjectDer: Uint8Array;
  /** The issuer's commonName, when present. */
  readonly issuerCommonName: string | undefined;
  /** The subject's commonName, when present. */
  readonly subjectCommonName: string | undefined;
  /** The issuer as text, e.g. `CN=Intel SGX Root CA, O=Intel Corporation, L=Santa Clara, ST=CA, C=US`. */
  readonly issuer: string;
  /** The subject as text, in the same form as {@link Certificate.issuer}. */
  readonly subject: string;
  /** Start of the validity period (inclusive, RFC 5280 §4.1.2.5). */
  readonly notBefore: Date;
  /** End of the validity period (inclusive). */
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo, DER. */
  readonly subjectPublicKeyInfo: Uint8Array;
  /** True when the issuer and subject Names are byte-identical. */
  readonly selfIssued: boolean;
  /** All extensions, in order. */
  readonly extensions: readonly CertExtension[];
  /** basicConstraints, when present. */
  readonly basicConstraints: BasicConstraints | undefined;
  /** keyUsage, when present. */
  readonly keyUsage: readonly KeyUsageName[] | undefined;
  /** subjectKeyIdentifier, lowercase hex, when present. */
  readonly subjectKeyIdentifier: string | undefined;
  /** authorityKeyIdentifier's keyIdentifier, lowercase hex, when present. */
  readonly authorityKeyIdentifier: string | undefined;
  /** The subject public key (EC keys are imported through JWK, the fast path of node's decoder). */
  readonly publicKey: KeyObject;
}

/** What the PKI functions accept as a certificate: parsed, node's object, DER, or PEM text of one certificate. */
export type CertificateInput = Certificate | X509Certificate | Uint8Array | string;

/** The outer signature of a signed structure: its AlgorithmIdentifier (DER and OID) and its value. */
export interface SignatureTrailer {
  /** The outer `signatureAlgorithm`, DER (compared with the one inside the signed part). */
  readonly outerSignatureAlgorithm: Uint8Array;
  /** Its OID. */
  readonly signatureAlgorithm: string;
  /** The `signatureValue` BIT STRING's octets. */
  readonly signature: Uint8Array;
}

/** @internal A parsed certificate or CRL, as far as checking its signature goes (RFC 5280 §4.1, §5.1). */
export interface SignedEntry extends SignatureTrailer {
  /** The whole structure, DER. */
  readonly der: Uint8Array;
  /** SHA-256 of the DER, hex. */
  readonly sha256: string;
  /** The signed part (tbsCertificate or tbsCertList), DER. */
  readonly tbs: Uint8Array;
  /** The AlgorithmIdentifier inside the signed part, DER. */
  readonly tbsSignatureAlgorithm: Uint8Array;
}

/** Internal state of one certificate: its own DER (fields may be views into it); never handed out. */
type CertEntry = ParsedCertificate;

/** The most certificates kept in the parse cache. */
export const CERT_CACHE_SIZE = 256;
/** The most verified (certificate, issuer key) pairs remembered. */
const SIGNATURE_CACHE_SIZE = 1024;
/** The largest certificate accepted (bytes). */
export const MAX_CERT_SIZE: number = 64 * 1024;

/** Parsed certificates by {@link fingerprint} of their DER; a hit counts only if the DER is equal. */
const certCache = new Map<number, CertEntry>();
const signatureCache = new Map<string, true>();
/** The last issuer each entry's signature verified under through `signatureCache` (by identity). */
let verifiedIssuers = new WeakMap<CertEntry, CertEntry>();
const entries = new WeakMap<Certificate, CertEntry>();

/** Current cache limits (see {@link setPkiCacheLimits}). */
const limits = { certificates: CERT_CACHE_SIZE, signatures: SIGNATURE_CACHE_SIZE };

/** Limits of the PKI caches; 0 disables a cache. */
export interface PkiCacheLimits {
  /** Parsed certificates kept by DER hash (default {@link CERT_CACHE_SIZE}). */
  readonly certificates?: number;
  /** Verified (certificate, issuer key) signature pairs remembered (default 1024). */
  readonly signatures?: number;
}

/**
 * Sets the sizes of the certificate-parse and signature caches (0 disables one) and empties them.
 * The signature cache never holds the leaf of a verified chain (a PCK certificate): `verifyChain`
 * checks the leaf's signature on every call unless given a cache for it (DESIGN.md "Performance targets").
 */
export function setPkiCacheLimits(next: PkiCacheLimits): void {
  for (const v of [next.certificates, next.signatures])
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0))
      throw new RangeError('cache limits are integers >= 0');
  if (next.certificates !== undefined) limits.certificates = next.certificates;
  if (next.signatures !== undefined) limits.signatures = next.signatures;
  clearPkiCaches();
}

let cacheGeneration = 0;

/** Empties the certificate-parse and signature caches. */
export function clearPkiCaches(): void {
  certCache.clear();
  signatureCache.clear();
  verifiedIssuers = new WeakMap();
  cacheGeneration++;
}

/** @internal Counts {@link clearPkiCaches} calls, so memos built from cached entries can follow. */
export function pkiCacheGeneration(): number {
  return cacheGeneration;
}

function remember<K, V>(map: Map<K, V>, key: K, value: V, cap: number): void {
  if (cap <= 0) return;
  while (map.size >= cap) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
  map.set(key, value);
}

/**
 * A cheap 32-bit lookup key for a DER certificate: its length and its last 32 bytes (the tail of
 * the signature, which differs between certificates). Not a security property: a cache hit is
 * confirmed by comparing the whole DER.
 */
function fingerprint(der: Uint8Array): number {
  let h = der.length ^ 0x811c9dc5;
  for (let i = der.length > 32 ? der.length - 32 : 0; i < der.length; i++)
    h = Math.imul(h ^ der[i]!, 0x01000193);
  return h >>> 0;
}

/** Lowercase hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Normalises an INTEGER's two's-complement content octets into the serial-number form used
 * throughout attestkit: lowercase hex of the unsigned magnitude with no leading zero octet.
 * (A negative serial, which RFC 5280 forbids but some issuers emit, keeps its raw octets.)
 */
export function serialToHex(content: Uint8Array): string {
  let i = 0;
  while (i < content.length - 1 && content[i] === 0) i++;
  return toHex(content.subarray(i));
}

/** @internal Reads the contents of an AlgorithmIdentifier: the OID, then optional parameters (encoding checked only). */
export function algorithmIdentifierContents(a: DerReader): string {
  const oid = a.oid('algorithm');
  if (!a.atEnd) a.skip('parameters');
  return oid;
}

/**
 * @internal Reads `signatureAlgorithm, signatureValue`, what follows the signed part of a
 * certificate (RFC 5280 §4.1.1.2, §4.1.1.3) and of a CRL (§5.1.1.2, §5.1.1.3).
 */
export function readSignatureTrailer(r: DerReader): SignatureTrailer {
  const { raw: outerSignatureAlgorithm, value: signatureAlgorithm } = r.capture(
    DER_TAG.SEQUENCE,
    'signatureAlgorithm',
    algorithmIdentifierContents,
    true,
  );
  return { outerSignatureAlgorithm, signatureAlgorithm, signature: r.bitStringOctets('signatureValue') };
}

/** Parses an AlgorithmIdentifier (RFC 5280 §4.1.1.2) and returns its OID; parameters are checked for encoding only. */
export function readAlgorithmIdentifier(r: DerReader, field: string): string {
  return r.sequence(field, algorithmIdentifierContents);
}

/** A parsed Name (RFC 5280 §4.1.2.4): its DER and its first commonName. */
export interface ParsedName {
  /** The Name, DER (a copy). */
  readonly der: Uint8Array;
  /** The first commonName attribute, when present. */
  readonly commonName: string | undefined;
  /** The Name as text, attributes in encoding order joined by `, ` (e.g. `CN=…, O=…, C=US`). */
  readonly text: string;
}

/** Short names of the attribute types Intel's names use (RFC 4514 §3). */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
};

const STRING_TAGS = new Set<number>([
  DER_TAG.UTF8_STRING,
  DER_TAG.PRINTABLE_STRING,
  DER_TAG.TELETEX_STRING,
  DER_TAG.IA5_STRING,
  DER_TAG.UNIVERSAL_STRING,
  DER_TAG.BMP_STRING,
]);

/** Reads a Name: `SEQUENCE OF SET OF AttributeTypeAndValue` (RFC 5280 §4.1.2.4). */
export function readName(r: DerReader, field: string): ParsedName {
  let commonName: string | undefined;
  const parts: string[] = [];
  const { raw } = r.capture(DER_TAG.SEQUENCE, field, (name) => {
    let n = 0;
    while (!name.atEnd) {
      if (++n > 64) name.fail('ERR_DER_INVALID', '', 'more than 64 RelativeDistinguishedNames');
      name.set('rdn', (set) => {
        if (set.atEnd) set.fail('ERR_DER_INVALID', '', 'empty RelativeDistinguishedName');
        while (!set.atEnd) {
          set.sequence('attribute', (atv) => {
            const type = atv.oid('type');
            const tag = atv.peekTag();
            if (tag !== undefined && STRING_TAGS.has(tag)) {
              const value = atv.string('value');
              if (type === OID.COMMON_NAME && commonName === undefined) commonName = value;
              parts.push(`${ATTRIBUTE_NAMES[type] ?? type}=${value}`);
            } else {
              // RFC 5280 §4.1.2.4: a commonName is a DirectoryString.
              if (type === OID.COMMON_NAME)
                atv.fail('ERR_DER_INVALID', 'value', 'commonName is not a string');
              atv.skip('value');
              parts.push(`${ATTRIBUTE_NAMES[type] ?? type}=#`);
            }
          });
        }
      });
    }
  });
  return { der: raw, commonName, text: parts.join(', ') };
}

/**
 * @internal Reads `Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension` (RFC 5280 §4.1, §5.1),
 * rejecting duplicates (§4.2).
 */
export function readExtensions(r: DerReader, field: string): CertExtension[] {
  const seen = new Set<string>();
  const out = r.sequenceOf(
    field,
    (e) =>
      e.sequence('extension', (x) => {
        const at = x.offset;
        const oid = x.oid('extnID');
        const critical = x.peekTag() === DER_TAG.BOOLEAN ? x.boolean('critical') : false;
        const value = x.octetString('extnValue');
        // RFC 5280 §4.2: a certificate must not include more than one instance of an extension.
        if (seen.has(oid)) x.fail('ERR_DER_INVALID', 'extnID', `duplicate extension ${oid}`, at);
        seen.add(oid);
        return Object.freeze({ oid, critical, value });
      }),
    64,
  );
  if (out.length === 0) r.fail('ERR_DER_INVALID', field, 'empty extensions');
  return out;
}

/**
 * Parsed basicConstraints and keyUsage values by their bytes (a few distinct values: every PCK
 * leaf carries the same ones), in the byte-keyed memo the DER reader uses for OIDs: a lookup builds
 * no key string. The results are frozen and shared.
 */
const basicConstraintsMemo = new BytesMemo<BasicConstraints>(64);
const keyUsageMemo = new BytesMemo<readonly KeyUsageName[]>(64);

function memoised<T>(memo: BytesMemo<T>, value: Uint8Array, parse: (value: Uint8Array) => T): T {
  if (value.length > 16) return parse(value);
  const known = memo.get(value, 0, value.length);
  if (known !== undefined) return known;
  const parsed = parse(value);
  memo.set(value, 0, value.length, parsed);
  return parsed;
}

/** The 20-byte key identifier after `prefix` as hex, when `value` is exactly `prefix` ‖ 20 bytes. */
function keyIdentifierAt(value: Uint8Array, prefix: readonly number[]): string | undefined {
  if (value.length !== prefix.length + 20) return undefined;
  for (let i = 0; i < prefix.length; i++) if (value[i] !== prefix[i]) return undefined;
  return toHex(value.subarray(prefix.length));
}
/** subjectKeyIdentifier `OCTET STRING (20)` (RFC 5280 §4.2.1.2, method 1). */
const SKI_PREFIX = [0x04, 0x14] as const;
/** authorityKeyIdentifier `SEQUENCE { [0] keyIdentifier (20) }` (RFC 5280 §4.2.1.1). */
const AKI_PREFIX = [0x30, 0x16, 0x80, 0x14] as const;

function parseBasicConstraints(value: Uint8Array): BasicConstraints {
  return parseDer(value, 'certificate.extensions.basicConstraints', (r) =>
    r.sequence('', (s) => {
      const cA = s.peekTag() === DER_TAG.BOOLEAN ? s.boolean('cA') : false;
      const pathLenConstraint = s.atEnd ? undefined : s.smallInteger('pathLenConstraint', 0, 255);
      return Object.freeze({ cA, pathLenConstraint });
    }),
  );
}

function parseKeyUsage(value: Uint8Array): KeyUsageName[] {
  return parseDer(value, 'certificate.extensions.keyUsage', (r) => {
    const at = r.offset;
    const bs = r.bitString('');
    const out: KeyUsageName[] = [];
    for (let bit = 0; bit < bs.bytes.length * 8 - bs.unusedBits; bit++) {
      if ((bs.bytes[bit >> 3]! & (0x80 >> (bit & 7))) === 0) continue;
      const name = KEY_USAGE_BITS[bit];
      if (name === undefined) return r.fail('ERR_DER_INVALID', '', `unknown key usage bit ${bit}`, at);
      out.push(name);
    }
    return out;
  });
}

function parseSubjectKeyIdentifier(value: Uint8Array): string {
  return parseDer(value, 'certificate.extensions.subjectKeyIdentifier', (r) => toHex(r.octetString('')));
}

/** @internal Parses an authorityKeyIdentifier value (RFC 5280 §4.2.1.1) into its keyIdentifier, hex. */
export function parseAuthorityKeyIdentifier(value: Uint8Array, field: string): string | undefined {
  return parseDer(value, field, (r) =>
    r.sequence('', (s) => {
      const keyId = s.optionalImplicit(0, 'keyIdentifier');
      while (!s.atEnd) s.skip('issuerAndSerial');
      return keyId === undefined ? undefined : toHex(keyId);
    }),
  );
}

/** Named curves imported through JWK: OID → JWK `crv` and coordinate size. */
const EC_CURVES: Readonly<Record<string, { crv: string; size: number }>> = {
  '1.2.840.10045.3.1.7': { crv: 'P-256', size: 32 },
  '1.3.132.0.34': { crv: 'P-384', size: 48 },
};
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * SubjectPublicKeyInfo of an uncompressed P-256 key up to the point (RFC 5480 §2): SEQUENCE {
 * SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 0 unused bits, 0x04 ‖ X ‖ Y } }.
 */
const P256_SPKI_PREFIX = new Uint8Array([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
  0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
]);

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function importJwkPoint(crv: string, x: Uint8Array, y: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'EC', crv, x: b64url(x), y: b64url(y) }, format: 'jwk' });
}

/**
 * Imports a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). Uncompressed P-256/P-384 points go through
 * JWK (RFC 5480 §2.2), which node imports several times faster than SPKI DER on OpenSSL 3
 * (DCAP-VERIFICATION.md §8.2); anything else through the SPKI decoder. An invalid key (for example a
 * point off the curve) is `ERR_CRYPTO_INVALID_PUBLIC_KEY`.
 */
function importSubjectPublicKey(spki: Uint8Array): KeyObject {
  if (spki.length === P256_SPKI_PREFIX.length + 64 && startsWith(spki, P256_SPKI_PREFIX)) {
    // The exact DER of an uncompressed P-256 key (every Intel SGX certificate): X‖Y straight to JWK.
    const at = P256_SPKI_PREFIX.length;
    try {
      return importJwkPoint('P-256', spki.subarray(at, at + 32), spki.subarray(at + 32, at + 64));
    } catch (cause) {
      throw new CryptoError('ERR_CRYPTO_INVALID_PUBLIC_KEY', 'certificate: invalid P-256 public key', {
        cause,
      });
    }
  }
  const { algorithm, curve, key } = parseDer(spki, 'certificate.subjectPublicKeyInfo', (r) =>
    r.sequence('', (s) => {
      const [algorithm, curve] = s.sequence('algorithm', (a): [string, string | undefined] => {
        const oid = a.oid('algorithm');
        if (a.peekTag() === DER_TAG.OBJECT_IDENTIFIER) return [oid, a.oid('parameters')];
        while (!a.atEnd) a.skip('parameters');
        return [oid, undefined];
      });
      return { algorithm, curve, key: s.bitStringOctets('subjectPublicKey') };
    }),
  );
  try {
    const ec = curve === undefined ? undefined : EC_CURVES[curve];
    if (
      algorithm === EC_PUBLIC_KEY &&
      ec !== undefined &&
      key.length === 1 + 2 * ec.size &&
      key[0] === 0x04
    ) {
      return importJwkPoint(ec.crv, key.subarray(1, 1 + ec.size), key.subarray(1 + ec.size));
    }
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new CryptoError('ERR_CRYPTO_INVALID_PUBLIC_KEY', 'certificate: unsupported or invalid public key', {
      cause,
    });
  }
}

const x509Memo = new WeakMap<CertEntry, X509Certificate>();

/**
 * Node's `X509Certificate` for a certificate, built on first use and memoised (it is not needed to
 * verify anything; attestkit checks signatures over the exact tbsCertificate bytes itself).
 */
export function toX509Certificate(input: CertificateInput): X509Certificate {
  const e = entryOf(input);
  let x = x509Memo.get(e);
  if (x === undefined) {
    try {
      x = new X509Certificate(e.der);
    } catch (cause) {
      throw new ParseError(
        'ERR_DER_INVALID',
        'certificate: rejected by the X.509 decoder',
        { offset: 0, field: 'certificate' },
        { cause },
      );
    }
    x509Memo.set(e, x);
  }
  return x;
}

let certificateParseCount = 0;

/**
 * @internal The number of certificates parsed (not served by the parse cache) since the process
 * started; for tests that prove a certificate is parsed on every call.
 */
export function certificateParses(): number {
  return certificateParseCount;
}

/**
 * A {@link CertEntry}: frozen, with a fixed shape (property reads stay fast). The hashes are
 * computed on first use: the PCK leaf of a verified quote never needs them (they key caches and
 * fingerprints, which the default verification path does not use for it).
 */
class ParsedCertificate implements SignedEntry {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signature: Uint8Array;
  readonly tbsSignatureAlgorithm: Uint8Array;
  readonly outerSignatureAlgorithm: Uint8Array;
  readonly version: number;
  readonly serialNumber: string;
  readonly signatureAlgorithm: string;
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  readonly issuerCommonName: string | undefined;
  readonly subjectCommonName: string | undefined;
  readonly issuerText: string;
  readonly subjectText: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly spki: Uint8Array;
  readonly extensions: readonly CertExtension[];
  readonly basicConstraints: BasicConstraints | undefined;
  readonly keyUsage: readonly KeyUsageName[] | undefined;
  readonly subjectKeyIdentifier: string | undefined;
  readonly authorityKeyIdentifier: string | undefined;
  readonly publicKey: KeyObject;
  // Private fields are not properties: freezing the entry leaves them writable, for the hashes.
  #sha256: string | undefined;
  #spkiSha256: string | undefined;

  constructor(
    der: Uint8Array,
    fields: FastCertificateFields,
    publicKey: KeyObject,
    basicConstraints: BasicConstraints | undefined,
    keyUsage: readonly KeyUsageName[] | undefined,
    subjectKeyIdentifier: string | undefined,
    authorityKeyIdentifier: string | undefined,
    knownSha256: string | undefined,
  ) {
    this.der = der;
    this.tbs = fields.tbs;
    this.signature = fields.signature;
    this.tbsSignatureAlgorithm = fields.tbsSignatureAlgorithm;
    this.outerSignatureAlgorithm = fields.outerSignatureAlgorithm;
    this.version = fields.version;
    this.serialNumber = fields.serialNumber;
    this.signatureAlgorithm = fields.signatureAlgorithm;
    this.issuerDer = fields.issuer.der;
    this.subjectDer = fields.subject.der;
    this.issuerCommonName = fields.issuer.commonName;
    this.subjectCommonName = fields.subject.commonName;
    this.issuerText = fields.issuer.text;
    this.subjectText = fields.subject.text;
    this.notBefore = fields.notBefore;
    this.notAfter = fields.notAfter;
    this.spki = fields.spki;
    this.extensions = Object.freeze(fields.extensions);
    this.basicConstraints = basicConstraints;
    this.keyUsage = keyUsage;
    this.subjectKeyIdentifier = subjectKeyIdentifier;
    this.authorityKeyIdentifier = authorityKeyIdentifier;
    this.publicKey = publicKey;
    this.#sha256 = knownSha256;
    this.#spkiSha256 = undefined;
    Object.freeze(this);
  }

  /** SHA-256 of the DER, hex. */
  get sha256(): string {
    if (this.#sha256 === undefined) this.#sha256 = sha256Hex(this.der);
    return this.#sha256;
  }

  /** SHA-256 of the SubjectPublicKeyInfo, hex. */
  get spkiSha256(): string {
    if (this.#spkiSha256 === undefined) this.#spkiSha256 = sha256Hex(this.spki);
    return this.#spkiSha256;
  }
}

function parseEntry(der: Uint8Array, knownSha256?: string): CertEntry {
  certificateParseCount++;
  if (der.length > MAX_CERT_SIZE)
    throw new ParseError(
      'ERR_DER_INVALID',
      `certificate of ${der.length} bytes exceeds the cap of ${MAX_CERT_SIZE}`,
      {
        offset: 0,
        field: 'certificate',
        have: der.length,
      },
    );
  // Intel's certificates take the fast path (fast.ts); anything else, and every error, the general one.
  const fields = fastCertificateFields(der) ?? parseCertificateFields(der);
  const publicKey = importSubjectPublicKey(fields.spki);
  // Extensions are unique by OID (both parsers refuse duplicates): one pass finds the four.
  let bc: CertExtension | undefined;
  let ku: CertExtension | undefined;
  let ski: CertExtension | undefined;
  let aki: CertExtension | undefined;
  for (const e of fields.extensions) {
    if (e.oid === OID.BASIC_CONSTRAINTS) bc = e;
    else if (e.oid === OID.KEY_USAGE) ku = e;
    else if (e.oid === OID.SUBJECT_KEY_IDENTIFIER) ski = e;
    else if (e.oid === OID.AUTHORITY_KEY_IDENTIFIER) aki = e;
  }
  return new ParsedCertificate(
    der,
    fields,
    publicKey,
    bc === undefined ? undefined : memoised(basicConstraintsMemo, bc.value, parseBasicConstraints),
    ku === undefined ? undefined : memoised(keyUsageMemo, ku.value, (v) => Object.freeze(parseKeyUsage(v))),
    // The usual 20-byte key identifiers directly; any other encoding through the DER reader.
    ski === undefined
      ? undefined
      : (keyIdentifierAt(ski.value, SKI_PREFIX) ?? parseSubjectKeyIdentifier(ski.value)),
    aki === undefined
      ? undefined
      : (keyIdentifierAt(aki.value, AKI_PREFIX) ??
          parseAuthorityKeyIdentifier(aki.value, 'certificate.extensions.authorityKeyIdentifier')),
    knownSha256,
  );
}

/** @internal The general parser of a certificate's fields (any valid DER; precise errors). */
export function parseCertificateFields(der: Uint8Array): FastCertificateFields {
  return parseDer(der, 'certificate', (top) =>
    top.sequence('', (c) => {
      // RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
      const { raw: tbs, value: tbsFields } = c.capture(DER_TAG.SEQUENCE, 'tbsCertificate', parseTbs, true);
      return { tbs, ...readSignatureTrailer(c), ...tbsFields };
    }),
  );
}

function parseTbs(t: DerReader) {
  // RFC 5280 §4.1.2.1: version [0] EXPLICIT Version DEFAULT v1; DER omits the default.
  const versionAt = t.offset;
  const v = t.optionalExplicit(0, 'version', (r) => r.smallInteger('', 0, 2));
  if (v === 0) t.fail('ERR_DER_NON_MINIMAL', 'version', 'the default version v1 must be omitted', versionAt);
  const version = (v ?? 0) + 1;
  // §4.1.2.2: serialNumber.
  const serialNumber = serialToHex(t.integerBytes('serialNumber'));
  // §4.1.2.3: signature, which must equal the outer signatureAlgorithm (checked when verifying).
  const tbsSignatureAlgorithm = t.raw('signature', DER_TAG.SEQUENCE);
  const issuer = readName(t, 'issuer');
  // §4.1.2.5: validity.
  const [notBefore, notAfter] = t.sequence('validity', (r) => [
    r.time('notBefore').getTime(),
    r.time('notAfter').getTime(),
  ]) as [number, number];
  const subject = readName(t, 'subject');
  const spki = t.raw('subjectPublicKeyInfo', DER_TAG.SEQUENCE);
  // §4.1.2.8: issuerUniqueID [1] and subjectUniqueID [2] (v2/v3 only); skipped.
  if (t.optionalImplicit(1, 'issuerUniqueID') !== undefined && version < 2)
    t.fail('ERR_DER_INVALID', 'issuerUniqueID', 'unique identifiers need version 2 or 3');
  if (t.optionalImplicit(2, 'subjectUniqueID') !== undefined && version < 2)
    t.fail('ERR_DER_INVALID', 'subjectUniqueID', 'unique identifiers need version 2 or 3');
  // §4.1.2.9: extensions [3] EXPLICIT (v3 only).
  const extAt = t.offset;
  const extensions = t.optionalExplicit(3, 'extensions', (x) => readExtensions(x, '')) ?? [];
  if (extensions.length > 0 && version !== 3)
    t.fail('ERR_DER_INVALID', 'extensions', 'extensions need version 3', extAt);
  return {
    version,
    serialNumber,
    tbsSignatureAlgorithm,
    issuer,
    subject,
    notBefore,
    notAfter,
    spki,
    extensions,
  };
}

/** Equal bytes, compared natively (certificates: hundreds of bytes, usually equal when compared). */
function sameDer(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function entryFromDer(der: Uint8Array): CertEntry {
  const key = fingerprint(der);
  const hit = certCache.get(key);
  if (hit !== undefined && sameDer(hit.der, der)) {
    certCache.delete(key);
    certCache.set(key, hit);
    return hit;
  }
  const entry = parseEntry(der.slice());
  if (hit !== undefined) certCache.delete(key);
  remember(certCache, key, entry, limits.certificates);
  return entry;
}

/**
 * @internal Parses a certificate without the parse cache, neither reading nor filling it: for a
 * certificate that must be parsed (and its key imported) on every call, such as a PCK leaf
 * (DESIGN.md "Performance targets"). The caller hands `der` over: it must not change afterwards.
 */
export function freshCertificateEntry(der: Uint8Array): CertEntry {
  if (!(der instanceof Uint8Array)) throw new TypeError('expected DER bytes');
  if (der.length === 0)
    throw new ParseError('ERR_DER_INVALID', 'certificate: empty input', { offset: 0, field: 'certificate' });
  return parseEntry(der);
}

/** Resolves any {@link CertificateInput} to the internal cached entry. */
function entryOf(input: CertificateInput): CertEntry {
  if (input instanceof Uint8Array) {
    if (input.length === 0)
      throw new ParseError('ERR_DER_INVALID', 'certificate: empty input', {
        offset: 0,
        field: 'certificate',
      });
    return entryFromDer(input);
  }
  if (typeof input === 'string') {
    const ders = decodePemBlocks(input, 'CERTIFICATE');
    if (ders.length !== 1)
      throw new ParseError('ERR_PEM_INVALID', `expected one certificate, found ${ders.length}`, {
        field: 'pem',
      });
    return entryFromDer(ders[0]!);
  }
  if (input instanceof X509Certificate) {
    const e = entryFromDer(new Uint8Array(input.raw));
    if (!x509Memo.has(e)) x509Memo.set(e, input);
    return e;
  }
  if (typeof input === 'object' && input !== null) {
    const known = entries.get(input);
    if (known !== undefined) return known;
    if (input.der instanceof Uint8Array) return entryFromDer(input.der);
  }
  throw new TypeError('expected a Certificate, X509Certificate, DER bytes or PEM text');
}

/** @internal The cached entry behind a certificate; shared by chain.ts and crl.ts. */
export function certificateEntry(input: CertificateInput): CertEntry {
  return entryOf(input);
}

/** @internal A fresh public record for an entry. */
export function publicCertificate(e: CertEntry): Certificate {
  const cert: Certificate = Object.freeze({
    der: e.der.slice(),
    sha256: e.sha256,
    version: e.version,
    serialNumber: e.serialNumber,
    signatureAlgorithm: e.signatureAlgorithm,
    issuerDer: e.issuerDer.slice(),
    subjectDer: e.subjectDer.slice(),
    issuerCommonName: e.issuerCommonName,
    subjectCommonName: e.subjectCommonName,
    issuer: e.issuerText,
    subject: e.subjectText,
    notBefore: new Date(e.notBefore),
    notAfter: new Date(e.notAfter),
    subjectPublicKeyInfo: e.spki.slice(),
    selfIssued: bytesEqual(e.issuerDer, e.subjectDer),
    extensions: Object.freeze(e.extensions.map((x) => Object.freeze({ ...x, value: x.value.slice() }))),
    basicConstraints: e.basicConstraints,
    keyUsage: e.keyUsage,
    subjectKeyIdentifier: e.subjectKeyIdentifier,
    authorityKeyIdentifier: e.authorityKeyIdentifier,
    publicKey: e.publicKey,
  });
  entries.set(cert, e);
  return cert;
}

/**
 * Parses one certificate (DER bytes, PEM text of one certificate, node's `X509Certificate`, or an
 * already parsed {@link Certificate}). Throws `ERR_DER_*` / `ERR_PEM_INVALID` for malformed input
 * and `ERR_CRYPTO_INVALID_PUBLIC_KEY` for an unusable key. Results come from a bounded cache keyed
 * by the DER's SHA-256.
 */
export function parseCertificate(input: CertificateInput): Certificate {
  return publicCertificate(entryOf(input));
}

/**
 * Parses a PEM chain (e.g. the PCK chain in a quote's certification data, or a PCS
 * `…-Issuer-Chain` header after URL-decoding) into certificates, in the order given.
 */
export function parseCertificateChain(pem: string | Uint8Array): Certificate[] {
  return decodePemBlocks(pem, 'CERTIFICATE').map((der) => parseCertificate(der));
}

const HASH_OF_ALGORITHM: Readonly<Record<string, { hash: string; keyType: string }>> = {
  [OID.ECDSA_WITH_SHA256]: { hash: 'sha256', keyType: 'ec' },
  [OID.ECDSA_WITH_SHA384]: { hash: 'sha384', keyType: 'ec' },
  [OID.SHA256_WITH_RSA]: { hash: 'sha256', keyType: 'rsa' },
};

/**
 * @internal Verifies a signature made with algorithm `algorithmOid` over `data` with `key`.
 * Unknown algorithms and key-type mismatches are false. ECDSA signatures are DER (RFC 5480 §2.2 /
 * RFC 5758 §3.2), RSA ones PKCS #1 v1.5.
 */
export function verifySignature(
  algorithmOid: string,
  data: Uint8Array,
  key: KeyObject,
  signature: Uint8Array,
): boolean {
  const alg = HASH_OF_ALGORITHM[algorithmOid];
  if (alg === undefined || key.asymmetricKeyType !== alg.keyType) return false;
  try {
    return cryptoVerify(alg.hash, data, key, signature);
  } catch {
    return false;
  }
}

/**
 * @internal True when the signature of a certificate or CRL verifies under `key`, its inner and
 * outer signature algorithms being equal (RFC 5280 §4.1.1.2, §5.1.1.2).
 */
export function signedEntryVerifies(s: SignedEntry, key: KeyObject): boolean {
  return (
    bytesEqual(s.tbsSignatureAlgorithm, s.outerSignatureAlgorithm) &&
    verifySignature(s.signatureAlgorithm, s.tbs, key, s.signature)
  );
}

/**
 * True when `cert` carries a valid signature by `issuer`'s key. Checks that the tbsCertificate's
 * signature algorithm equals the outer one (RFC 5280 §4.1.1.2) and that the algorithm is one
 * attestkit accepts (ECDSA-SHA256/384, RSA-SHA256). Positive results are cached per
 * (certificate, issuer key).
 */
export function isSignedBy(cert: CertificateInput, issuer: CertificateInput): boolean {
  const c = entryOf(cert);
  const i = entryOf(issuer);
  return entrySignedBy(c, i);
}

/**
 * Where a verified certificate signature may be remembered, keyed by (certificate DER hash, issuer
 * key hash). The verifier's opt-in platform cache (`VerifierCache({ cachePlatform: true })`) is one.
 */
export interface SignatureResultCache {
  /** `true` when the signature behind `key` verified before. */
  get(key: string): true | undefined;
  /** Remembers that the signature behind `key` verified. */
  set(key: string, value: true): void;
}

/**
 * The process-wide signature cache, as a {@link SignatureResultCache} (bounded by {@link setPkiCacheLimits}).
 * Pass it as `leafSignatureCache` for chains whose leaf is a service's certificate shared by every
 * verification (e.g. the IAS report signing certificate), never for a platform's PCK certificate.
 */
export const sharedSignatureCache: SignatureResultCache = {
  get: (key) => signatureCache.get(key),
  set: (key, value) => remember(signatureCache, key, value, limits.signatures),
};

let signatureChecks = 0;

/**
 * @internal The number of certificate signature verifications actually computed (not answered by
 * a cache) since the process started; for tests that prove a check is not cached.
 */
export function certificateSignatureChecks(): number {
  return signatureChecks;
}

/**
 * @internal Signature check of `c` under `issuer`'s key. A positive result is looked up in and
 * remembered by `cache`: by default the process-wide one; `null` checks the signature every time
 * (chain.ts does so for a chain's leaf, e.g. a PCK certificate, unless given a cache for it).
 */
export function entrySignedBy(
  c: CertEntry,
  issuer: CertEntry,
  cache: SignatureResultCache | null = sharedSignatureCache,
): boolean {
  // Entries are immutable: a pair already verified through the shared cache is known by identity
  // (no hashing or key strings on the warm path of a cached CA and root).
  const shared = cache === sharedSignatureCache;
  if (shared && verifiedIssuers.get(c) === issuer) return true;
  // No cache (a PCK leaf by default): no key either, so no SHA-256 of the certificate.
  const cacheKey = cache === null ? undefined : `${c.sha256}|${issuer.spkiSha256}`;
  if (cacheKey !== undefined && cache?.get(cacheKey) === true) return true;
  signatureChecks++;
  const ok = signedEntryVerifies(c, issuer.publicKey);
  if (ok && cacheKey !== undefined) cache?.set(cacheKey, true);
  if (ok && shared && limits.signatures > 0) verifiedIssuers.set(c, issuer);
  return ok;
}

export type { CertEntry };
