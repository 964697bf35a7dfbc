/**
 * Certificate chain verification (RFC 5280 §6.1, restricted to the shapes Intel's SGX PKI uses):
 * a leaf-first chain, a set of trust anchors, a verification time, and the CRLs of every issuing
 * CA. DCAP-VERIFICATION.md §1.2 steps B and D.
 *
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { ParseError, VerificationError } from '../errors.ts';
import { bytesEqual } from '../wire/hex.ts';
import {
  type CertEntry,
  type Certificate,
  type CertificateInput,
  certificateEntry,
  entrySignedBy,
  freshCertificateEntry,
  OID,
  pkiCacheGeneration,
  publicCertificate,
  type SignatureResultCache,
} from './cert.ts';
import {
  type CrlEntryState,
  type CrlInput,
  type CrlSummary,
  crlState,
  crlSummary,
  isMissingCrl,
  verifyCrlState,
} from './crl.ts';
import { decodePemBlocks } from './pem.ts';

/** The commonName of Intel's PCK leaf certificates (Intel QVL 4.1.2.4.4). */
export const INTEL_PCK_CERT_CN = 'Intel SGX PCK Certificate';
/** The commonName of the PCK Platform CA. */
export const INTEL_PCK_PLATFORM_CA_CN = 'Intel SGX PCK Platform CA';
/** The commonName of the PCK Processor CA. */
export const INTEL_PCK_PROCESSOR_CA_CN = 'Intel SGX PCK Processor CA';
/** The commonName of the TCB Signing certificate (signs TCB Info and QE Identity). */
export const INTEL_TCB_SIGNING_CN = 'Intel SGX TCB Signing';
/** The commonName of the Intel SGX Root CA. */
export const INTEL_ROOT_CA_CN = 'Intel SGX Root CA';

/** The longest chain accepted, trust anchor included. */
export const MAX_CHAIN_LENGTH = 6;

/** Trust anchors: one or more certificates (PEM text may hold several). */
export type TrustAnchors = CertificateInput | readonly CertificateInput[];

/** A certificate chain: leaf first, as an array or as PEM text holding the certificates in order. */
export type ChainInput = string | Uint8Array | readonly CertificateInput[];

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions {
  /** The verification time (every certificate and CRL must be valid then). */
  readonly now: Date;
  /** The certificates trusted as roots (e.g. {@link INTEL_SGX_ROOT_CA_PEM}). */
  readonly trustAnchors: TrustAnchors;
  /**
   * CRLs, matched to the CA that issued them by issuer Name. Every certificate below the trust
   * anchor must be covered by a valid CRL of its issuer, else `ERR_PKI_CRL_MISSING`; a CRL issued
   * by the anchor is also applied to the anchor itself. `undefined` and empty entries count as
   * missing; CRLs of CAs not on the path are ignored.
   *
   * For a PCK chain pass the Root CA CRL (covers the Platform/Processor CA) and the PCK CRL of
   * that CA (covers the leaf); for a TCB Signing chain, the Root CA CRL.
   */
  readonly crls?: readonly (CrlInput | null | undefined)[];
  /** Skip revocation checking entirely (e.g. IAS chains, for which no CRL is available offline). */
  readonly dangerouslySkipRevocation?: boolean;
  /** When set, the leaf's subject commonName must equal this, else `ERR_PKI_CHAIN`. */
  readonly expectedLeafCommonName?: string;
  /** The longest chain accepted, anchor included (default {@link MAX_CHAIN_LENGTH}). */
  readonly maxLength?: number;
  /**
   * Where a verified signature of the LEAF may be remembered; given one, the leaf's parse may also
   * come from the process-wide parse cache. Default: neither, the leaf is parsed (its key imported)
   * and its signature checked on every call (for a PCK chain it is the platform's own certificate,
   * and caches keyed on it are opt-in: DESIGN.md "Performance targets"). A leaf passed as a parsed
   * {@link Certificate} is used as it is. The CAs and the anchor are always parsed once and their
   * signatures remembered in the process-wide pki cache.
   */
  readonly leafSignatureCache?: SignatureResultCache;
}

/** The result of a successful {@link verifyChain}. */
export interface VerifiedChain {
  /** The verified path, leaf first, ending with the trust anchor. */
  readonly certificates: readonly Certificate[];
  /** The leaf (first) certificate. */
  readonly leaf: Certificate;
  /** The trust anchor the path ends at. */
  readonly anchor: Certificate;
  /** The leaf's subject commonName. */
  readonly leafCommonName: string | undefined;
  /** The earliest notAfter on the path (the chain's own expiry). */
  readonly earliestNotAfter: Date;
  /** The CRLs that were checked, in path order (empty when revocation was skipped). */
  readonly crls: readonly CrlSummary[];
  /** The earliest nextUpdate of the checked CRLs, when any were checked. */
  readonly earliestCrlNextUpdate: Date | undefined;
}

function fail(
  code: 'ERR_PKI_CHAIN' | 'ERR_PKI_SIGNATURE' | 'ERR_PKI_UNTRUSTED_ROOT' | 'ERR_PKI_CA_CONSTRAINTS',
  message: string,
): never {
  throw new VerificationError(code, message);
}

function label(e: CertEntry): string {
  return `"${e.subjectCommonName ?? e.sha256.slice(0, 16)}"`;
}

/**
 * The entries of a chain, leaf first. Unless `cachedLeaf`, a leaf given as DER, PEM or node's
 * `X509Certificate` is parsed without the parse cache.
 */
function chainEntries(chain: ChainInput, cachedLeaf: boolean): CertEntry[] {
  if (typeof chain === 'string')
    return chainEntriesFromDer(decodePemBlocks(chain, 'CERTIFICATE'), cachedLeaf);
  if (chain instanceof Uint8Array) return chainEntriesFromDer([chain.slice()], cachedLeaf);
  if (!Array.isArray(chain))
    throw new TypeError('chain must be PEM text, DER bytes or an array of certificates');
  return (chain as readonly CertificateInput[]).map((c, i) => {
    if (i > 0 || cachedLeaf) return certificateEntry(c);
    if (c instanceof Uint8Array) return freshCertificateEntry(c.slice());
    if (typeof c === 'string') {
      const ders = decodePemBlocks(c, 'CERTIFICATE');
      if (ders.length !== 1)
        throw new ParseError('ERR_PEM_INVALID', `expected one certificate, found ${ders.length}`, {
          field: 'pem',
        });
      return freshCertificateEntry(ders[0]!);
    }
    if (c instanceof X509Certificate) return freshCertificateEntry(new Uint8Array(c.raw));
    return certificateEntry(c);
  });
}

/**
 * @internal The entries of a chain given as DER certificates, leaf first: the CAs (and a root)
 * through the parse cache, the leaf parsed afresh unless `cachedLeaf`. The leaf's bytes are handed
 * over (not copied): the caller must not change them afterwards.
 */
export function chainEntriesFromDer(ders: readonly Uint8Array[], cachedLeaf: boolean): CertEntry[] {
  const out: CertEntry[] = [];
  for (let i = 0; i < ders.length; i++) {
    const der = ders[i]!;
    out.push(i === 0 && !cachedLeaf ? freshCertificateEntry(der) : certificateEntry(der));
  }
  return out;
}

function anchorEntries(anchors: TrustAnchors): CertEntry[] {
  if (typeof anchors === 'string')
    return decodePemBlocks(anchors, 'CERTIFICATE').map((d) => certificateEntry(d));
  if (Array.isArray(anchors))
    return (anchors as readonly CertificateInput[]).flatMap((a) => anchorEntries(a));
  if (anchors instanceof Uint8Array || anchors instanceof X509Certificate || typeof anchors === 'object')
    return [certificateEntry(anchors as CertificateInput)];
  throw new TypeError('trustAnchors must be certificates, DER bytes or PEM text');
}

/** Resolved anchors of PEM text, by the text (anchors are few: a small map). */
let anchorsByText = new Map<string, readonly CertEntry[]>();
/** Resolved anchors of an array or certificate object, with the elements they were resolved from. */
let anchorsByObject = new WeakMap<
  object,
  { readonly from: readonly unknown[]; readonly entries: readonly CertEntry[] }
>();
const ANCHOR_MEMO_SIZE = 16;
let anchorsGeneration = -1;

/** True when resolving `a` again gives the same entries (it cannot change in place). */
function immutableAnchor(a: unknown): boolean {
  if (typeof a === 'string' || a instanceof X509Certificate) return true;
  return typeof a === 'object' && a !== null && !(a instanceof Uint8Array) && Object.isFrozen(a);
}

/**
 * @internal The trust anchors as parsed entries, resolved once per anchors value: PEM text by its
 * text; an array (or a certificate object) by identity, as long as it holds the same elements.
 * Anchors given as raw bytes (which may change in place) are resolved on every call.
 */
export function resolveTrustAnchors(anchors: TrustAnchors): readonly CertEntry[] {
  // Emptying the pki caches (clearPkiCaches, setPkiCacheLimits) forgets resolved anchors too.
  if (anchorsGeneration !== pkiCacheGeneration()) {
    anchorsByText = new Map();
    anchorsByObject = new WeakMap();
    anchorsGeneration = pkiCacheGeneration();
  }
  if (typeof anchors === 'string') {
    const known = anchorsByText.get(anchors);
    if (known !== undefined) return known;
    const entries = Object.freeze(anchorEntries(anchors));
    if (anchorsByText.size >= ANCHOR_MEMO_SIZE) anchorsByText.clear();
    anchorsByText.set(anchors, entries);
    return entries;
  }
  if (typeof anchors !== 'object' || anchors === null || anchors instanceof Uint8Array)
    return anchorEntries(anchors);
  const list: readonly unknown[] = Array.isArray(anchors) ? anchors : [anchors];
  const known = anchorsByObject.get(anchors);
  if (known !== undefined && known.from.length === list.length && known.from.every((a, i) => a === list[i]))
    return known.entries;
  const entries = Object.freeze(anchorEntries(anchors));
  if (list.every(immutableAnchor)) anchorsByObject.set(anchors, { from: [...list], entries });
  return entries;
}

/** Extensions attestkit processes; any other extension marked critical rejects the certificate. */
const PROCESSED_EXTENSIONS = new Set<string>([
  OID.BASIC_CONSTRAINTS,
  OID.KEY_USAGE,
  OID.SUBJECT_KEY_IDENTIFIER,
  OID.AUTHORITY_KEY_IDENTIFIER,
  OID.CRL_DISTRIBUTION_POINTS,
]);

/**
 * Finds the trust anchor the chain ends at and returns the path (leaf first, anchor last).
 * A self-issued last certificate must be an anchor (same DER, or same subject and key); otherwise
 * the last certificate's issuer must be an anchor whose key verifies its signature.
 */
function anchorPath(
  entries: readonly CertEntry[],
  anchors: readonly CertEntry[],
  leafCache: SignatureResultCache | undefined,
): CertEntry[] {
  const last = entries[entries.length - 1]!;
  // A one-certificate chain's last certificate is its leaf (undefined: the shared cache).
  const cache = entries.length === 1 ? (leafCache ?? null) : undefined;
  const signed = (c: CertEntry, a: CertEntry) => entrySignedBy(c, a, cache);
  if (bytesEqual(last.issuerDer, last.subjectDer)) {
    const anchor =
      anchors.find((a) => a === last || bytesEqual(a.der, last.der)) ??
      anchors.find((a) => bytesEqual(a.subjectDer, last.subjectDer) && bytesEqual(a.spki, last.spki));
    if (anchor === undefined)
      fail('ERR_PKI_UNTRUSTED_ROOT', `root ${label(last)} in the chain is not a trust anchor`);
    if (!signed(last, anchor))
      fail(
        'ERR_PKI_UNTRUSTED_ROOT',
        `root ${label(last)} in the chain is not signed by the trust anchor's key`,
      );
    const path = entries.slice();
    path[path.length - 1] = anchor;
    return path;
  }
  const named = anchors.filter((a) => bytesEqual(a.subjectDer, last.issuerDer));
  if (named.length === 0)
    fail(
      'ERR_PKI_UNTRUSTED_ROOT',
      `${label(last)} is issued by "${last.issuerCommonName ?? '?'}", which is not a trust anchor`,
    );
  const anchor = named.find((a) => signed(last, a));
  if (anchor === undefined)
    fail(
      'ERR_PKI_UNTRUSTED_ROOT',
      `${label(last)} is not signed by the trust anchor "${last.issuerCommonName ?? '?'}"`,
    );
  return [...entries, anchor];
}

/**
 * Verifies a certificate chain at `options.now` (RFC 5280 §6.1 and §6.3; DCAP-VERIFICATION.md §1.2
 * step B). In order:
 *
 * 1. shape: 1..maxLength certificates, no duplicates, self-issued only at the end → `ERR_PKI_CHAIN`;
 * 2. trust anchor: a self-issued last certificate must BE an anchor (same DER, or same subject and
 *    public key, and its signature verifies under the anchor key); otherwise the last certificate
 *    must be signed by an anchor → `ERR_PKI_UNTRUSTED_ROOT`;
 * 3. each certificate's issuer Name equals the next one's subject (`ERR_PKI_CHAIN`) and its
 *    signature verifies under the next one's key (`ERR_PKI_SIGNATURE`);
 * 4. X.509 v3, no unprocessed critical extension (`ERR_PKI_CHAIN` / `ERR_PKI_CA_CONSTRAINTS`);
 * 5. `expectedLeafCommonName`, when given → `ERR_PKI_CHAIN`;
 * 6. every certificate, anchor included, valid at `now` (`ERR_PKI_CERT_NOT_YET_VALID` /
 *    `ERR_PKI_CERT_EXPIRED`; both bounds inclusive, RFC 5280 §4.1.2.5);
 * 7. issuers: basicConstraints cA, keyUsage keyCertSign, pathLenConstraint; leaf: keyUsage
 *    digitalSignature, as Intel issues them → `ERR_PKI_CA_CONSTRAINTS`;
 * 8. revocation (unless `dangerouslySkipRevocation`): every certificate below the anchor is checked
 *    against a verified CRL of its issuer (`verifyCrl` errors; `ERR_PKI_CRL_MISSING` when none is
 *    given), the anchor against its own CRL → `ERR_PKI_REVOKED`.
 */
export function verifyChain(chain: ChainInput, options: VerifyChainOptions): VerifiedChain {
  const { now } = options;
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw new TypeError('options.now must be a valid Date');
  const entries = chainEntries(chain, options.leafSignatureCache !== undefined);
  const { path, crls: usedCrls } = verifyEntryPath(
    entries,
    resolveTrustAnchors(options.trustAnchors),
    options,
  );
  const leaf = path[0]!;
  const certificates = Object.freeze(path.map((e) => publicCertificate(e)));
  return Object.freeze({
    certificates,
    leaf: certificates[0]!,
    anchor: certificates[certificates.length - 1]!,
    leafCommonName: leaf.subjectCommonName,
    earliestNotAfter: new Date(Math.min(...path.map((e) => e.notAfter))),
    crls: Object.freeze(usedCrls),
    earliestCrlNextUpdate:
      usedCrls.length === 0 ? undefined : new Date(Math.min(...usedCrls.map((c) => c.nextUpdate.getTime()))),
  });
}

/** @internal What {@link verifyEntryPath} returns: the path (leaf first, anchor last) and the CRLs checked. */
export interface VerifiedEntryPath {
  readonly path: readonly CertEntry[];
  readonly crls: CrlSummary[];
}

/**
 * @internal The checks of {@link verifyChain} (steps 1-8) over parsed entries and resolved anchors,
 * without building public records: for callers that work on entries (the DCAP verifier).
 */
export function verifyEntryPath(
  entries: readonly CertEntry[],
  anchors: readonly CertEntry[],
  options: Omit<VerifyChainOptions, 'trustAnchors'>,
): VerifiedEntryPath {
  const { now } = options;
  const t = now.getTime();
  const maxLength = options.maxLength ?? MAX_CHAIN_LENGTH;

  // 1. Shape.
  if (entries.length === 0) fail('ERR_PKI_CHAIN', 'empty certificate chain');
  if (entries.length > maxLength)
    fail('ERR_PKI_CHAIN', `chain of ${entries.length} certificates exceeds ${maxLength}`);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    for (let j = 0; j < i; j++)
      if (bytesEqual(entries[j]!.der, e.der))
        fail('ERR_PKI_CHAIN', `certificate ${label(e)} appears twice in the chain`);
    if (i < entries.length - 1 && bytesEqual(e.issuerDer, e.subjectDer))
      fail('ERR_PKI_CHAIN', `self-issued certificate ${label(e)} is not at the end of the chain`);
  }
  if (anchors.length === 0) fail('ERR_PKI_UNTRUSTED_ROOT', 'no trust anchors were given');

  // 2. Trust anchor.
  const path = anchorPath(entries, anchors, options.leafSignatureCache);
  if (path.length > maxLength)
    fail('ERR_PKI_CHAIN', `path of ${path.length} certificates exceeds ${maxLength}`);

  // 3. Name chaining and signatures (RFC 5280 §6.1.3 (a)(1), (a)(4)).
  for (let i = 0; i + 1 < path.length; i++) {
    const child = path[i]!;
    const parent = path[i + 1]!;
    if (!bytesEqual(child.issuerDer, parent.subjectDer))
      fail(
        'ERR_PKI_CHAIN',
        `${label(child)} is issued by "${child.issuerCommonName ?? '?'}", not by ${label(parent)}`,
      );
    if (
      child.authorityKeyIdentifier !== undefined &&
      parent.subjectKeyIdentifier !== undefined &&
      child.authorityKeyIdentifier !== parent.subjectKeyIdentifier
    )
      fail('ERR_PKI_CHAIN', `${label(child)}: authority key identifier does not match ${label(parent)}`);
    // The leaf (i = 0) is re-checked on every call unless the caller opted into caching it.
    const leafCache = i === 0 ? (options.leafSignatureCache ?? null) : undefined;
    if (!entrySignedBy(child, parent, leafCache))
      fail('ERR_PKI_SIGNATURE', `${label(child)}: signature does not verify under ${label(parent)}`);
  }

  // 4. Version and critical extensions (RFC 5280 §4.2: unrecognised critical extensions reject).
  for (let i = 0; i < path.length; i++) {
    const e = path[i]!;
    if (e.version !== 3) fail('ERR_PKI_CHAIN', `${label(e)} is X.509 v${e.version}, expected v3`);
    const extensions = e.extensions;
    for (let k = 0; k < extensions.length; k++) {
      const x = extensions[k]!;
      if (x.critical && !PROCESSED_EXTENSIONS.has(x.oid))
        fail('ERR_PKI_CA_CONSTRAINTS', `${label(e)} has an unsupported critical extension ${x.oid}`);
    }
  }

  // 5. The leaf's role.
  const leaf = path[0]!;
  if (
    options.expectedLeafCommonName !== undefined &&
    leaf.subjectCommonName !== options.expectedLeafCommonName
  )
    fail('ERR_PKI_CHAIN', `leaf is ${label(leaf)}, expected "${options.expectedLeafCommonName}"`);

  // 6. Validity at now (RFC 5280 §6.1.3 (a)(2); DCAP-VERIFICATION.md §2.3).
  for (let i = 0; i < path.length; i++) {
    const e = path[i]!;
    if (t < e.notBefore)
      throw new VerificationError(
        'ERR_PKI_CERT_NOT_YET_VALID',
        `${label(e)} is not valid before ${new Date(e.notBefore).toISOString()} (now ${now.toISOString()})`,
      );
    if (t > e.notAfter)
      throw new VerificationError(
        'ERR_PKI_CERT_EXPIRED',
        `${label(e)} expired at ${new Date(e.notAfter).toISOString()} (now ${now.toISOString()})`,
      );
  }

  // 7. CA constraints (RFC 5280 §6.1.4 (k), (l), (m), (n)) and the leaf's key usage.
  for (let i = 1; i < path.length; i++) {
    const ca = path[i]!;
    const bc = ca.basicConstraints;
    if (bc === undefined || !bc.cA)
      fail('ERR_PKI_CA_CONSTRAINTS', `issuer ${label(ca)} is not a CA (basicConstraints)`);
    if (ca.keyUsage === undefined || !ca.keyUsage.includes('keyCertSign'))
      fail('ERR_PKI_CA_CONSTRAINTS', `issuer ${label(ca)} may not sign certificates (keyUsage keyCertSign)`);
    // Intermediates between this CA and the leaf, not counting self-issued ones.
    let below = 0;
    for (let j = 1; j < i; j++) if (!bytesEqual(path[j]!.issuerDer, path[j]!.subjectDer)) below++;
    if (bc.pathLenConstraint !== undefined && below > bc.pathLenConstraint)
      fail(
        'ERR_PKI_CA_CONSTRAINTS',
        `issuer ${label(ca)} allows ${bc.pathLenConstraint} intermediate(s), found ${below}`,
      );
  }
  if (leaf.keyUsage === undefined || !leaf.keyUsage.includes('digitalSignature'))
    fail('ERR_PKI_CA_CONSTRAINTS', `leaf ${label(leaf)} may not sign data (keyUsage digitalSignature)`);

  // 8. Revocation (RFC 5280 §6.3; DCAP-VERIFICATION.md §1.2 step B).
  const usedCrls: CrlSummary[] = [];
  if (options.dangerouslySkipRevocation !== true) {
    const states: CrlEntryState[] = [];
    for (const c of options.crls ?? []) if (!isMissingCrl(c)) states.push(crlState(c));
    const checked = new Set<CrlEntryState>();
    for (let i = 0; i < path.length; i++) {
      const subject = path[i]!;
      const issuer = i + 1 < path.length ? path[i + 1]! : subject;
      const isAnchor = i === path.length - 1;
      const mine = states.filter((s) => bytesEqual(s.issuerDer, issuer.subjectDer));
      if (mine.length === 0) {
        if (isAnchor) continue; // The anchor's own CRL is applied when given (it is required for what it issued).
        throw new VerificationError(
          'ERR_PKI_CRL_MISSING',
          `no CRL from ${label(issuer)} was supplied to check ${label(subject)}`,
          {
            hint: 'Supply the CRL of every issuing CA (Root CA CRL and PCK CRL); a missing CRL is never treated as valid.',
          },
        );
      }
      for (const s of mine) {
        if (!checked.has(s)) {
          verifyCrlState(s, issuer, now, `CRL of ${label(issuer)}`);
          checked.add(s);
          usedCrls.push(crlSummary(s));
        }
        if (s.serials.has(subject.serialNumber))
          throw new VerificationError(
            'ERR_PKI_REVOKED',
            `${label(subject)} (serial ${subject.serialNumber}) is revoked by the CRL of ${label(issuer)}`,
          );
      }
    }
  }

  return { path, crls: usedCrls };
}

/** Options of {@link verifyPckChain} and {@link verifyTcbSigningChain}. */
export interface VerifyIntelChainOptions {
  /** The verification time. */
  readonly now: Date;
  /** The trusted roots (the Intel SGX Root CA, or a synthetic root in tests and simulations). */
  readonly trustAnchors: TrustAnchors;
  /** The Root CA CRL, plus the PCK CRL for PCK chains. Required: missing ones are `ERR_PKI_CRL_MISSING`. */
  readonly crls: readonly (CrlInput | null | undefined)[];
}

/** A verified PCK chain, with the kind of CA that issued the leaf. */
export interface VerifiedPckChain extends VerifiedChain {
  /** `platform` (PCK Platform CA) or `processor` (PCK Processor CA), as PCS's `ca` parameter names them. */
  readonly caType: 'platform' | 'processor';
}

/** The kind of PCK CA a subject commonName names (as PCS's `ca` parameter does), if any. */
export function pckCaTypeOf(commonName: string | undefined): 'platform' | 'processor' | undefined {
  if (commonName === INTEL_PCK_PLATFORM_CA_CN) return 'platform';
  if (commonName === INTEL_PCK_PROCESSOR_CA_CN) return 'processor';
  return undefined;
}

/** {@link verifyChain} with an Intel leaf name and an exact path length (leaf to anchor). */
function verifyIntelChain(
  chain: ChainInput,
  options: VerifyIntelChainOptions,
  leafCommonName: string,
  length: number,
  shape: string,
): VerifiedChain {
  const v = verifyChain(chain, {
    now: options.now,
    trustAnchors: options.trustAnchors,
    crls: options.crls,
    expectedLeafCommonName: leafCommonName,
  });
  if (v.certificates.length !== length)
    fail('ERR_PKI_CHAIN', `${shape}; this path has ${v.certificates.length} certificates`);
  return v;
}

/**
 * Verifies a PCK certificate chain (DCAP-VERIFICATION.md §1.2 step B): leaf
 * "Intel SGX PCK Certificate" ← "Intel SGX PCK Platform CA" or "… Processor CA" ← trust anchor,
 * with the Root CA CRL and the PCK CRL both required. A chain of another shape is `ERR_PKI_CHAIN`.
 */
export function verifyPckChain(chain: ChainInput, options: VerifyIntelChainOptions): VerifiedPckChain {
  const v = verifyIntelChain(chain, options, INTEL_PCK_CERT_CN, 3, 'a PCK chain is leaf, PCK CA and root');
  const caCn = v.certificates[1]!.subjectCommonName;
  const caType = pckCaTypeOf(caCn);
  if (caType === undefined)
    return fail(
      'ERR_PKI_CHAIN',
      `the PCK leaf is issued by "${caCn ?? '?'}", not by a PCK Platform or Processor CA`,
    );
  return Object.freeze({ ...v, caType });
}

/**
 * Verifies the issuer chain of TCB Info and QE Identity (DCAP-VERIFICATION.md §1.2 steps D, E):
 * leaf "Intel SGX TCB Signing" ← trust anchor, with the Root CA CRL required. Any other leaf (for
 * example the PCK Platform CA of oasis-core's `…_certs_bad.pem`) is rejected.
 */
export function verifyTcbSigningChain(chain: ChainInput, options: VerifyIntelChainOptions): VerifiedChain {
  return verifyIntelChain(
    chain,
    options,
    INTEL_TCB_SIGNING_CN,
    2,
    'a TCB Signing chain is signing certificate and root',
  );
}
