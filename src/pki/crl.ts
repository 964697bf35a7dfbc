/**
 * Certificate revocation lists (RFC 5280 §5): strict parsing of the DER CRLs Intel publishes (the
 * Root CA CRL and the PCK Platform/Processor CA CRLs), verification against their issuer at a
 * given time, and serial lookups.
 *
 * A CRL that is absent where one is required is `ERR_PKI_CRL_MISSING`; it is never treated as
 * "nothing revoked" (DCAP-VERIFICATION.md §1.2 step B; STYLE.md convention 4).
 *
 * @module
 */
import { ParseError, VerificationError } from '../errors.ts';
import { bytesEqual } from '../wire/hex.ts';
import {
  type CertEntry,
  type CertExtension,
  type CertificateInput,
  certificateEntry,
  OID,
  parseAuthorityKeyIdentifier,
  readExtensions,
  readName,
  readSignatureTrailer,
  type SignedEntry,
  serialToHex,
  sha256Hex,
  signedEntryVerifies,
} from './cert.ts';
import { DER_TAG, parseDer } from './der.ts';
import { decodePemBlocks } from './pem.ts';

/** One revoked certificate (RFC 5280 §5.1.2.6). */
export interface RevokedCertificate {
  /** The serial number, lowercase hex of its unsigned value (as {@link Certificate.serialNumber}). */
  readonly serialNumber: string;
  /** When it was revoked. */
  readonly revocationDate: Date;
  /** The CRLReason code (RFC 5280 §5.3.1), when given. */
  readonly reason: number | undefined;
}

/** A parsed CRL: frozen, byte fields are copies. */
export interface Crl {
  /** The whole CRL, DER. */
  readonly der: Uint8Array;
  /** SHA-256 of the DER, lowercase hex. */
  readonly sha256: string;
  /** The CRL version number (1 or 2). */
  readonly version: number;
  /** The signature algorithm OID. */
  readonly signatureAlgorithm: string;
  /** The issuer Name, DER. */
  readonly issuerDer: Uint8Array;
  /** The issuer's commonName, when present. */
  readonly issuerCommonName: string | undefined;
  /** When this CRL was issued (RFC 5280 §5.1.2.4). */
  readonly thisUpdate: Date;
  /** When the next CRL will be issued; required here (RFC 5280 §5.1.2.5). */
  readonly nextUpdate: Date;
  /** The revoked certificates, in order. */
  readonly revoked: readonly RevokedCertificate[];
  /** The cRLNumber extension (RFC 5280 §5.2.3), when present. */
  readonly crlNumber: bigint | undefined;
  /** The authorityKeyIdentifier's keyIdentifier, lowercase hex, when present. */
  readonly authorityKeyIdentifier: string | undefined;
  /** The CRL extensions, in order. */
  readonly extensions: readonly CertExtension[];
}

/** What the PKI functions accept as a CRL: parsed, DER bytes, or PEM text (`X509 CRL`). */
export type CrlInput = Crl | Uint8Array | string;

/** The largest CRL accepted (bytes). */
export const MAX_CRL_SIZE: number = 16 * 1024 * 1024;
/** The most entries a CRL may list. */
export const MAX_CRL_ENTRIES = 500_000;

/** Private state of one parsed CRL. */
interface CrlEntryState extends SignedEntry {
  readonly issuerDer: Uint8Array;
  readonly issuerCommonName: string | undefined;
  readonly thisUpdate: number;
  readonly nextUpdate: number;
  readonly serials: ReadonlySet<string>;
  readonly revoked: readonly { serialNumber: string; revocationDate: number; reason: number | undefined }[];
  readonly version: number;
  readonly crlNumber: bigint | undefined;
  readonly authorityKeyIdentifier: string | undefined;
  readonly extensions: readonly CertExtension[];
  /** Critical CRL or entry extensions attestkit does not process (RFC 5280 §5.2, §5.3). */
  readonly unsupportedCritical: readonly string[];
}

const CRL_CACHE_SIZE = 32;
const crlCache = new Map<string, CrlEntryState>();
const crlStates = new WeakMap<Crl, CrlEntryState>();
const verifiedCrlSignatures = new Map<string, true>();

/** CRL extensions attestkit processes (RFC 5280 §5.2). */
const KNOWN_CRL_EXTENSIONS = new Set<string>([OID.CRL_NUMBER, OID.AUTHORITY_KEY_IDENTIFIER]);
/** CRL entry extensions attestkit processes (RFC 5280 §5.3). */
const KNOWN_ENTRY_EXTENSIONS = new Set<string>([OID.CRL_REASON, OID.INVALIDITY_DATE]);

function parseState(der: Uint8Array, sha256: string): CrlEntryState {
  if (der.length > MAX_CRL_SIZE)
    throw new ParseError('ERR_DER_INVALID', `CRL of ${der.length} bytes exceeds the cap of ${MAX_CRL_SIZE}`, {
      offset: 0,
      field: 'crl',
      have: der.length,
    });
  const unsupportedCritical: string[] = [];
  return parseDer(der, 'crl', (top) =>
    top.sequence('', (c) => {
      // RFC 5280 §5.1: CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }
      const { raw: tbs, value: t } = c.capture(
        DER_TAG.SEQUENCE,
        'tbsCertList',
        (r) => {
          // §5.1.2.1: version, present (v2) when extensions are used.
          const version = r.peekTag() === DER_TAG.INTEGER ? r.smallInteger('version', 1, 1) + 1 : 1;
          // §5.1.2.2: signature.
          const tbsSignatureAlgorithm = r.raw('signature', DER_TAG.SEQUENCE);
          // §5.1.2.3: issuer.
          const issuer = readName(r, 'issuer');
          // §5.1.2.4 / §5.1.2.5: thisUpdate, nextUpdate (required by attestkit, as by RFC 5280 for conforming CAs).
          const thisUpdate = r.time('thisUpdate').getTime();
          const nt = r.peekTag();
          if (nt !== DER_TAG.UTC_TIME && nt !== DER_TAG.GENERALIZED_TIME)
            r.fail('ERR_DER_INVALID', 'nextUpdate', 'nextUpdate is required');
          const nextUpdate = r.time('nextUpdate').getTime();
          // §5.1.2.6: revokedCertificates.
          const revoked: { serialNumber: string; revocationDate: number; reason: number | undefined }[] = [];
          if (r.peekTag() === DER_TAG.SEQUENCE) {
            r.sequenceOf(
              'revokedCertificates',
              (e) =>
                e.sequence('entry', (x) => {
                  const serialNumber = serialToHex(x.integerBytes('userCertificate'));
                  const revocationDate = x.time('revocationDate').getTime();
                  let reason: number | undefined;
                  if (!x.atEnd) {
                    for (const ext of readExtensions(x, 'crlEntryExtensions')) {
                      if (ext.oid === OID.CRL_REASON)
                        reason = parseDer(ext.value, 'crl.entry.reasonCode', (v) => v.enumerated('', 10));
                      // Unknown non-critical entry extensions are ignored (RFC 5280 §5.3); a
                      // certificateIssuer makes the CRL indirect, which attestkit does not support.
                      else if (
                        (ext.critical && !KNOWN_ENTRY_EXTENSIONS.has(ext.oid)) ||
                        ext.oid === OID.CERTIFICATE_ISSUER
                      )
                        unsupportedCritical.push(ext.oid);
                    }
                  }
                  revoked.push({ serialNumber, revocationDate, reason });
                }),
              MAX_CRL_ENTRIES,
            );
          }
          // §5.1.2.7: crlExtensions [0] EXPLICIT (v2 only).
          const extAt = r.offset;
          const extensions = r.optionalExplicit(0, 'crlExtensions', (x) => readExtensions(x, '')) ?? [];
          if (extensions.length > 0 && version !== 2)
            r.fail('ERR_DER_INVALID', 'crlExtensions', 'extensions need version 2', extAt);
          let crlNumber: bigint | undefined;
          let authorityKeyIdentifier: string | undefined;
          for (const ext of extensions) {
            if (ext.oid === OID.CRL_NUMBER)
              crlNumber = parseDer(ext.value, 'crl.crlNumber', (v) => v.integer(''));
            else if (ext.oid === OID.AUTHORITY_KEY_IDENTIFIER)
              authorityKeyIdentifier = parseAuthorityKeyIdentifier(ext.value, 'crl.authorityKeyIdentifier');
            // Unknown non-critical extensions are ignored (RFC 5280 §5.2); delta CRLs and issuing
            // distribution points change the CRL's scope, which attestkit does not support.
            else if (
              (ext.critical && !KNOWN_CRL_EXTENSIONS.has(ext.oid)) ||
              ext.oid === OID.DELTA_CRL_INDICATOR ||
              ext.oid === OID.ISSUING_DISTRIBUTION_POINT
            )
              unsupportedCritical.push(ext.oid);
          }
          return {
            version,
            tbsSignatureAlgorithm,
            issuer,
            thisUpdate,
            nextUpdate,
            revoked,
            extensions,
            crlNumber,
            authorityKeyIdentifier,
          };
        },
        true,
      );
      const { outerSignatureAlgorithm, signatureAlgorithm, signature } = readSignatureTrailer(c);
      return Object.freeze({
        der,
        sha256,
        tbs,
        signature,
        tbsSignatureAlgorithm: t.tbsSignatureAlgorithm,
        outerSignatureAlgorithm,
        signatureAlgorithm,
        issuerDer: t.issuer.der,
        issuerCommonName: t.issuer.commonName,
        thisUpdate: t.thisUpdate,
        nextUpdate: t.nextUpdate,
        serials: new Set(t.revoked.map((e) => e.serialNumber)),
        revoked: Object.freeze(t.revoked.map((e) => Object.freeze(e))),
        version: t.version,
        crlNumber: t.crlNumber,
        authorityKeyIdentifier: t.authorityKeyIdentifier,
        extensions: Object.freeze(t.extensions),
        unsupportedCritical: Object.freeze(unsupportedCritical),
      });
    }),
  );
}

function stateFromDer(der: Uint8Array): CrlEntryState {
  const sha256 = sha256Hex(der);
  const hit = crlCache.get(sha256);
  if (hit !== undefined) return hit;
  const state = parseState(der.slice(), sha256);
  if (crlCache.size >= CRL_CACHE_SIZE) {
    const oldest = crlCache.keys().next();
    if (!oldest.done) crlCache.delete(oldest.value);
  }
  crlCache.set(sha256, state);
  return state;
}

/** True when `input` stands for "no CRL": `undefined`, `null`, empty bytes or blank text. */
export function isMissingCrl(input: CrlInput | null | undefined): input is null | undefined {
  if (input === undefined || input === null) return true;
  if (input instanceof Uint8Array) return input.length === 0;
  if (typeof input === 'string') return input.trim() === '';
  return false;
}

function missing(what: string): never {
  throw new VerificationError('ERR_PKI_CRL_MISSING', `${what}: no CRL was supplied, and one is required`, {
    hint: 'Supply the CRL from the collateral (PCS pckcrl / rootcacrl); a missing CRL is never treated as valid.',
  });
}

function stateOf(input: CrlInput): CrlEntryState {
  if (input instanceof Uint8Array) return stateFromDer(input);
  if (typeof input === 'string') {
    const ders = decodePemBlocks(input, 'X509 CRL');
    if (ders.length !== 1)
      throw new ParseError('ERR_PEM_INVALID', `expected one CRL, found ${ders.length}`, { field: 'pem' });
    return stateFromDer(ders[0]!);
  }
  if (typeof input === 'object' && input !== null) {
    const known = crlStates.get(input);
    if (known !== undefined) return known;
    if (input.der instanceof Uint8Array) return stateFromDer(input.der);
  }
  throw new TypeError('expected a Crl, DER bytes or PEM text');
}

function publicCrl(s: CrlEntryState): Crl {
  const crl: Crl = Object.freeze({
    der: s.der.slice(),
    sha256: s.sha256,
    version: s.version,
    signatureAlgorithm: s.signatureAlgorithm,
    issuerDer: s.issuerDer.slice(),
    issuerCommonName: s.issuerCommonName,
    thisUpdate: new Date(s.thisUpdate),
    nextUpdate: new Date(s.nextUpdate),
    revoked: Object.freeze(
      s.revoked.map((e) =>
        Object.freeze({
          serialNumber: e.serialNumber,
          revocationDate: new Date(e.revocationDate),
          reason: e.reason,
        }),
      ),
    ),
    crlNumber: s.crlNumber,
    authorityKeyIdentifier: s.authorityKeyIdentifier,
    extensions: Object.freeze(s.extensions.map((x) => Object.freeze({ ...x, value: x.value.slice() }))),
  });
  crlStates.set(crl, s);
  return crl;
}

/**
 * Parses a DER CRL (or PEM text with one `X509 CRL` block). Throws `ERR_DER_*` / `ERR_PEM_INVALID`
 * for malformed input, and `ERR_PKI_CRL_MISSING` for empty input.
 */
export function parseCrl(input: CrlInput): Crl {
  if (isMissingCrl(input)) missing('parseCrl');
  return publicCrl(stateOf(input));
}

/** Options of {@link verifyCrl}. */
export interface VerifyCrlOptions {
  /** What the CRL is for, used in messages (e.g. `PCK CRL`). */
  readonly name?: string;
}

/** @internal Checks `s` against the issuing CA's entry `iss` at `now`. */
export function verifyCrlState(s: CrlEntryState, iss: CertEntry, now: Date, name = 'CRL'): void {
  const issuerName = iss.subjectCommonName ?? 'its issuer';
  // RFC 5280 §6.3.3 (b)(1); Intel QVL 4.1.2.4.6: the CRL issuer equals the CA's subject, byte for byte.
  if (!bytesEqual(s.issuerDer, iss.subjectDer))
    throw new VerificationError(
      'ERR_PKI_CRL_ISSUER',
      `${name}: issued by "${s.issuerCommonName ?? '?'}", not by "${issuerName}"`,
    );
  // RFC 5280 §6.3.3 (f): the CRL signer must be allowed to sign CRLs.
  if (iss.keyUsage !== undefined && !iss.keyUsage.includes('cRLSign'))
    throw new VerificationError(
      'ERR_PKI_CRL_ISSUER',
      `${name}: "${issuerName}" is not allowed to sign CRLs (keyUsage cRLSign)`,
    );
  // RFC 5280 §5.2.1: the authority key identifier names the signing key.
  if (
    s.authorityKeyIdentifier !== undefined &&
    iss.subjectKeyIdentifier !== undefined &&
    s.authorityKeyIdentifier !== iss.subjectKeyIdentifier
  )
    throw new VerificationError(
      'ERR_PKI_CRL_ISSUER',
      `${name}: authority key identifier does not match "${issuerName}"`,
    );
  // RFC 5280 §5.2 / §5.3: critical extensions that are not processed make the CRL unusable (delta and
  // indirect CRLs, issuing distribution points).
  if (s.unsupportedCritical.length > 0)
    throw new VerificationError(
      'ERR_PKI_CRL_ISSUER',
      `${name}: unsupported CRL scope extension(s) ${s.unsupportedCritical.join(', ')}`,
    );
  // RFC 5280 §6.3.3 (f) / §5.1.1.2: signature over tbsCertList with the issuer's key.
  const cacheKey = `${s.sha256}|${iss.spkiSha256}`;
  if (!verifiedCrlSignatures.has(cacheKey)) {
    if (!signedEntryVerifies(s, iss.publicKey))
      throw new VerificationError(
        'ERR_PKI_CRL_SIGNATURE',
        `${name}: signature does not verify under "${issuerName}"`,
      );
    if (verifiedCrlSignatures.size >= 256) verifiedCrlSignatures.clear();
    verifiedCrlSignatures.set(cacheKey, true);
  }
  // DCAP-VERIFICATION.md §2.3: thisUpdate ≤ now ≤ nextUpdate.
  const t = now.getTime();
  if (s.thisUpdate > t)
    throw new VerificationError(
      'ERR_PKI_CRL_NOT_YET_VALID',
      `${name}: thisUpdate ${new Date(s.thisUpdate).toISOString()} is after ${now.toISOString()}`,
    );
  if (s.nextUpdate < t)
    throw new VerificationError(
      'ERR_PKI_CRL_EXPIRED',
      `${name}: nextUpdate ${new Date(s.nextUpdate).toISOString()} is before ${now.toISOString()}`,
    );
}

/**
 * Verifies a CRL against the certificate of the CA that issued it, at `now`:
 *
 * 1. a missing CRL (`undefined`, empty) is `ERR_PKI_CRL_MISSING`;
 * 2. the CRL's issuer Name must equal the CA's subject byte for byte, the CA must have the cRLSign
 *    key usage, and the authority key identifier (when both are present) must match:
 *    `ERR_PKI_CRL_ISSUER` (also for unsupported delta/indirect CRL extensions);
 * 3. the signature over tbsCertList must verify under the CA key: `ERR_PKI_CRL_SIGNATURE`;
 * 4. `thisUpdate > now` is `ERR_PKI_CRL_NOT_YET_VALID`, `nextUpdate < now` is `ERR_PKI_CRL_EXPIRED`.
 *
 * Returns the parsed CRL.
 */
export function verifyCrl(
  crl: CrlInput | null | undefined,
  issuer: CertificateInput,
  now: Date,
  options: VerifyCrlOptions = {},
): Crl {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError('now must be a valid Date');
  const name = options.name ?? 'CRL';
  if (isMissingCrl(crl)) missing(name);
  const s = stateOf(crl);
  verifyCrlState(s, certificateEntry(issuer), now, name);
  return crl instanceof Uint8Array || typeof crl === 'string' ? publicCrl(s) : crl;
}

/** Normalises a serial in any accepted form to {@link serialToHex}'s form. */
function normaliseSerial(serial: string | bigint | Uint8Array | { readonly serialNumber: string }): string {
  if (serial instanceof Uint8Array) return serialToHex(serial);
  if (typeof serial === 'bigint') {
    if (serial < 0n) throw new RangeError('serial numbers are positive');
    const h = serial.toString(16);
    return h.length % 2 === 0 ? h : `0${h}`;
  }
  if (typeof serial === 'string') {
    let h = serial.trim().toLowerCase().replace(/^0x/, '').replace(/:/g, '');
    if (!/^[0-9a-f]+$/.test(h)) throw new RangeError('serial must be hex');
    if (h.length % 2 === 1) h = `0${h}`;
    while (h.length > 2 && h.startsWith('00')) h = h.slice(2);
    return h;
  }
  if (typeof serial === 'object' && serial !== null && typeof serial.serialNumber === 'string')
    return normaliseSerial(serial.serialNumber);
  throw new TypeError('expected a serial number (hex, bigint, bytes) or a certificate');
}

/**
 * True when `serial` is listed in `crl`. `serial` may be hex (any case, optional colons), a
 * bigint, INTEGER content octets, or a {@link Certificate}. This is a lookup only: verify the CRL
 * first with {@link verifyCrl}.
 */
export function isRevoked(
  crl: CrlInput,
  serial: string | bigint | Uint8Array | { readonly serialNumber: string },
): boolean {
  if (isMissingCrl(crl)) missing('isRevoked');
  return stateOf(crl).serials.has(normaliseSerial(serial));
}

/** @internal The private state of a CRL input (parsing it when needed). */
export function crlState(input: CrlInput): CrlEntryState {
  return stateOf(input);
}

/** What {@link verifyChain} reports about each CRL it checked (cheap: no copy of the entries). */
export interface CrlSummary {
  /** SHA-256 of the CRL's DER, lowercase hex. */
  readonly sha256: string;
  /** The issuer's commonName, when present. */
  readonly issuerCommonName: string | undefined;
  /** thisUpdate. */
  readonly thisUpdate: Date;
  /** nextUpdate (the CRL's own expiry). */
  readonly nextUpdate: Date;
  /** The cRLNumber, when present. */
  readonly crlNumber: bigint | undefined;
  /** How many certificates it lists. */
  readonly revokedCount: number;
}

/** @internal The summary of a CRL state. */
export function crlSummary(s: CrlEntryState): CrlSummary {
  return Object.freeze({
    sha256: s.sha256,
    issuerCommonName: s.issuerCommonName,
    thisUpdate: new Date(s.thisUpdate),
    nextUpdate: new Date(s.nextUpdate),
    crlNumber: s.crlNumber,
    revokedCount: s.revoked.length,
  });
}

export type { CrlEntryState };
