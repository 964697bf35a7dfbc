/**
 * DCAP quote verification: quote + collateral + time → verified facts (DCAP-VERIFICATION.md §1.2
 * steps A–J), or a specific {@link AttestError}.
 *
 * Order of the steps (each recorded as a {@link VerificationStep}):
 *
 * 1. `quote.parse`, `quote.header`, `quote.trailing`, `quote.certificationData` — step A; all-zero
 *    padding after the quote is accepted and reported, any non-zero byte is refused (§11); a quote
 *    without a PCK chain (and none in the collateral) is refused here.
 * 2. `tcbInfo.signature`, `tcbInfo.time`, `tcbInfo.tee` — step D.
 * 3. `qeIdentity.signature`, `qeIdentity.time`, `qeIdentity.tee` — step E.
 * 4. `pck.chain`, `crl.root`, `crl.pck`, `pck.extension` — steps B, C.
 * 5. `tcbInfo.match` — FMSPC and PCE-ID (step D, QVL 4.1.2.4.10).
 * 6. `qeReport.signature`, `qeReport.attestationKeyBinding`, `qeIdentity.match` — step F.
 * 7. `quote.signature` — step G.
 * 8. `tcb.level`, `tdxModule`, `tcb.status` — steps H, I, J.
 *
 * The collateral checks (2, 3) come before the PCK chain, as dcap-qvl orders them, so stale
 * collateral is reported as `ERR_COLLATERAL_EXPIRED` rather than by whichever CRL expired with it.
 *
 * @module
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject, type X509Certificate } from 'node:crypto';
import {
  type Collateral,
  type IdentityTcbLevel,
  parseQeIdentity,
  parseTcbInfo,
  type QeIdentity,
  type TcbInfo,
  type TcbLevel,
} from '../collateral/index.ts';
import { type AttestError, isAttestError, ParseError, VerificationError } from '../errors.ts';
import { type Certificate, parseCertificate, parseCertificateChain, sha256Hex } from '../pki/cert.ts';
import { INTEL_PCK_CERT_CN, INTEL_TCB_SIGNING_CN, pckCaTypeOf, verifyChain } from '../pki/chain.ts';
import { type Crl, isRevoked, parseCrl, verifyCrl } from '../pki/crl.ts';
import { type PckExtensions, parsePckExtensions } from '../pki/pck.ts';
import { INTEL_SGX_ROOT_CA_PEM } from '../pki/roots.ts';
import { bytesEqual, isAllZero, toHex } from '../wire/hex.ts';
import { type EcdsaQuote, INTEL_QE_VENDOR_ID, parseQuote, QUOTE_QE_VENDOR_ID_OFFSET } from '../wire/quote.ts';
import { DEFAULT_VERIFIER_CACHE, type VerifiedSignedDocument, type VerifierCache } from './cache.ts';
import { toEnclaveIdentity, toTdIdentity } from './identity.ts';
import {
  checkTdxModule,
  convergeTcbStatus,
  matchQeIdentity,
  matchTcbInfoPlatform,
  mergeAdvisoryIds,
  selectTcbLevel,
  type TdxModuleResult,
} from './tcb.ts';
import type { TcbStatus, VerificationStep, VerifiedQuote } from './types.ts';

/** A trust anchor: PEM text of one or more certificates, or node's `X509Certificate`. */
export type TrustAnchor = string | X509Certificate;

/** Options of {@link verifyQuote} and {@link inspectQuote}. */
export interface VerifyQuoteOptions {
  /** The verification time: every certificate, CRL and collateral document must be valid then. */
  readonly now: Date;
  /**
   * The trusted roots. Default: the embedded Intel SGX Root CA, which also pins the Intel
   * certificate names (PCK leaf, PCK Platform/Processor CA, TCB Signing). With explicit anchors the
   * roles are checked structurally instead (signing certificates must not be CAs).
   */
  readonly trustAnchors?: readonly TrustAnchor[];
  /** The caches to use (default: a process-wide {@link VerifierCache}). */
  readonly cache?: VerifierCache;
}

/** The facts established so far; what {@link inspectQuote} reports for a failed verification. */
export type QuoteFacts = Partial<Omit<VerifiedQuote, 'kind' | 'steps'>>;

/** The outcome of {@link inspectQuote}. */
export interface QuoteInspection {
  /** True when every step passed. */
  readonly verified: boolean;
  /** The verified facts, when `verified`. */
  readonly result?: VerifiedQuote;
  /** Why verification failed, when it did. */
  readonly error?: AttestError;
  /** Every step that ran, in order; the last one failed when `verified` is false. */
  readonly steps: readonly VerificationStep[];
  /** The facts known when verification stopped. */
  readonly facts: QuoteFacts;
}

type MutableFacts = { -readonly [K in keyof QuoteFacts]: QuoteFacts[K] };

class Recorder {
  readonly steps: VerificationStep[] = [];
  readonly facts: MutableFacts = {};

  step<T>(check: string, fn: () => T, detail?: (value: T) => string | undefined): T {
    let value: T;
    try {
      value = fn();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.steps.push(Object.freeze({ check, ok: false, detail: message }));
      throw e;
    }
    const d = detail?.(value);
    this.steps.push(Object.freeze(d === undefined ? { check, ok: true } : { check, ok: true, detail: d }));
    return value;
  }
}

// ---- helpers ----

const UTF8 = new TextEncoder();
const DEFAULT_ANCHORS: readonly TrustAnchor[] = Object.freeze([INTEL_SGX_ROOT_CA_PEM]);
const DEFAULT_ANCHORS_KEY = 'intel-sgx-root-ca';
const anchorKeys = new WeakMap<readonly TrustAnchor[], string>();

function anchorsKeyOf(anchors: readonly TrustAnchor[] | undefined): string {
  if (anchors === undefined) return DEFAULT_ANCHORS_KEY;
  const known = anchorKeys.get(anchors);
  if (known !== undefined) return known;
  if (!Array.isArray(anchors) || anchors.length === 0)
    throw new TypeError('trustAnchors must be a non-empty array');
  const ids: string[] = [];
  for (const a of anchors) {
    const certs = typeof a === 'string' ? parseCertificateChain(a) : [parseCertificate(a)];
    for (const c of certs) ids.push(c.sha256);
  }
  const key = ids.sort().join(',');
  anchorKeys.set(anchors, key);
  return key;
}

/** ECDSA-P256-SHA256 over `data`, signature raw r‖s. A malformed key or signature is `false`. */
function ecdsaVerify(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    // A signature of the wrong length or a key of the wrong type is a failed verification.
    return false;
  }
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Imports a raw X‖Y P-256 public key (via JWK, the fast path in node, DCAP-VERIFICATION.md §8.2). */
function importRawP256(xy: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64url(xy.subarray(0, 32)), y: b64url(xy.subarray(32, 64)) },
      format: 'jwk',
    });
  } catch {
    // Not a point on P-256: the caller reports the failed signature check.
    return undefined;
  }
}

function checkValidity(certs: readonly Certificate[], now: Date): void {
  const t = now.getTime();
  for (const c of certs) {
    const name = c.subjectCommonName ?? c.sha256.slice(0, 16);
    // RFC 5280 §4.1.2.5 (bounds inclusive); DCAP-VERIFICATION.md §2.3.
    if (t < c.notBefore.getTime())
      throw new VerificationError(
        'ERR_PKI_CERT_NOT_YET_VALID',
        `"${name}" is not valid before ${c.notBefore.toISOString()} (now ${now.toISOString()})`,
      );
    if (t > c.notAfter.getTime())
      throw new VerificationError(
        'ERR_PKI_CERT_EXPIRED',
        `"${name}" expired at ${c.notAfter.toISOString()} (now ${now.toISOString()})`,
      );
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function checkDocumentTime(
  what: string,
  doc: {
    readonly issueDateMs: number;
    readonly nextUpdateMs: number;
    readonly issueDate: string;
    readonly nextUpdate: string;
  },
  now: Date,
): string {
  const t = now.getTime();
  // DCAP-VERIFICATION.md §2.3: issueDate ≤ now ≤ nextUpdate; attestkit fails closed (§11.1).
  if (doc.issueDateMs > t)
    throw new VerificationError(
      'ERR_COLLATERAL_NOT_YET_VALID',
      `${what} issueDate ${doc.issueDate} is after the verification time ${now.toISOString()}`,
    );
  if (doc.nextUpdateMs < t)
    throw new VerificationError(
      'ERR_COLLATERAL_EXPIRED',
      `${what} nextUpdate ${doc.nextUpdate} is before the verification time ${now.toISOString()}`,
    );
  return `${doc.issueDate} ≤ now ≤ ${doc.nextUpdate}`;
}

interface SignedDocInput<T> {
  readonly kind: 'tcbInfo' | 'qeIdentity';
  readonly text: string;
  readonly signature: Uint8Array;
  readonly chainPem: string;
  readonly parse: (text: string) => T;
}

interface Context {
  readonly now: Date;
  readonly anchors: readonly TrustAnchor[];
  readonly anchorsKey: string;
  /** True for the embedded Intel root: Intel certificate names are then required. */
  readonly intelRoles: boolean;
  readonly cache: VerifierCache;
}

/**
 * Steps D/E (signature part): the issuer chain of a TCB info or QE identity must be a TCB signing
 * certificate under a trust anchor, and its key must verify the ECDSA r‖s signature over the exact
 * text. Cached by content; the certificates' validity at `now` is checked on every call.
 */
function verifiedDocument<T>(
  input: SignedDocInput<T>,
  ctx: Context,
  store: {
    get(key: string): VerifiedSignedDocument<T> | undefined;
    set(key: string, v: VerifiedSignedDocument<T>): void;
  },
  contentKey: string,
): VerifiedSignedDocument<T> {
  const code =
    input.kind === 'tcbInfo' ? 'ERR_COLLATERAL_TCB_INFO_SIGNATURE' : 'ERR_COLLATERAL_QE_IDENTITY_SIGNATURE';
  const what = input.kind === 'tcbInfo' ? 'TCB info' : 'QE identity';
  const key = `${contentKey}|${ctx.anchorsKey}`;
  const hit = store.get(key);
  if (hit !== undefined) {
    checkValidity(hit.chain, ctx.now);
    return hit;
  }
  if (typeof input.chainPem !== 'string' || input.chainPem.trim() === '') {
    throw new VerificationError(code, `${what}: no issuer chain was supplied`);
  }
  const certs = parseCertificateChain(input.chainPem);
  const signer = certs[0];
  if (signer === undefined)
    throw new VerificationError(code, `${what}: the issuer chain holds no certificate`);
  // The signer's role (QVL: TCB signing chain = TCB Signing certificate ← Root): with Intel's root its
  // name is pinned; with explicit anchors it must at least not be a CA (e.g. oasis `…_certs_bad.pem`).
  if (ctx.intelRoles && signer.subjectCommonName !== INTEL_TCB_SIGNING_CN) {
    throw new VerificationError(
      code,
      `${what} is signed by "${signer.subjectCommonName ?? '?'}", not by the "${INTEL_TCB_SIGNING_CN}" certificate`,
      {
        hint:
          'with the default Intel trust anchor only Intel-signed collateral verifies; for a simulated platform ' +
          'pass its root as a trust anchor (--trust-anchor DIR/sim-root.pem)',
      },
    );
  }
  if (signer.basicConstraints?.cA === true) {
    throw new VerificationError(
      code,
      `${what} is signed by a CA certificate ("${signer.subjectCommonName ?? '?'}")`,
    );
  }
  // Revocation of the signing certificate is checked against the Root CA CRL in `crl.root`.
  const chain = verifyChain(certs, {
    now: ctx.now,
    trustAnchors: ctx.anchors,
    dangerouslySkipRevocation: true,
  });
  if (chain.certificates.length !== 2) {
    throw new VerificationError(
      code,
      `${what}: the issuer chain must be the signing certificate and the root`,
    );
  }
  // DCAP-VERIFICATION.md §6.3: the signature covers the exact bytes of the inner object.
  if (
    input.signature.length !== 64 ||
    !ecdsaVerify(chain.leaf.publicKey, UTF8.encode(input.text), input.signature)
  ) {
    throw new VerificationError(
      code,
      `${what} signature does not verify under "${chain.leaf.subjectCommonName ?? '?'}"`,
    );
  }
  const document = input.parse(input.text);
  const entry: VerifiedSignedDocument<T> = Object.freeze({ document, chain: chain.certificates });
  store.set(key, entry);
  return entry;
}

function contentKeys(collateral: Collateral, cache: VerifierCache): { tcbInfo: string; qeIdentity: string } {
  const known = cache.collateralKeys.get(collateral);
  if (known !== undefined) return known;
  const keys = {
    tcbInfo: sha256Hex(
      UTF8.encode(
        `${collateral.tcbInfo}\u0000${toHex(collateral.tcbInfoSignature)}\u0000${collateral.tcbInfoIssuerChain}`,
      ),
    ),
    qeIdentity: sha256Hex(
      UTF8.encode(
        `${collateral.qeIdentity}\u0000${toHex(collateral.qeIdentitySignature)}\u0000${collateral.qeIdentityIssuerChain}`,
      ),
    ),
  };
  // Collateral records are frozen, so the keys stay right for the object's lifetime.
  if (Object.isFrozen(collateral)) cache.collateralKeys.set(collateral, Object.freeze(keys));
  return keys;
}

/**
 * A CRL of the collateral, parsed once per (frozen) collateral object: `verifyCrl` then works on the
 * parsed record (pki caches its verified signature) instead of re-hashing and copying the DER.
 * Absent or empty → undefined (`verifyCrl` then fails with `ERR_PKI_CRL_MISSING`).
 */
function parsedCrl(
  collateral: Collateral,
  which: 'rootCaCrl' | 'pckCrl',
  cache: VerifierCache,
): Crl | undefined {
  let memo = cache.collateralCrls.get(collateral);
  const known = memo?.[which];
  if (known !== undefined) return known;
  const der = collateral[which];
  if (der === undefined || der.length === 0) return undefined;
  const crl = parseCrl(der);
  if (Object.isFrozen(collateral)) {
    memo = { rootCaCrl: memo?.rootCaCrl, pckCrl: memo?.pckCrl, [which]: crl };
    cache.collateralCrls.set(collateral, memo);
  }
  return crl;
}

// ---- the pipeline ----

function run(
  quoteBytes: Uint8Array,
  collateral: Collateral,
  options: VerifyQuoteOptions,
  rec: Recorder,
): VerifiedQuote {
  if (!(quoteBytes instanceof Uint8Array)) throw new TypeError('quoteBytes must be a Uint8Array');
  if (typeof collateral !== 'object' || collateral === null)
    throw new TypeError('collateral must be a Collateral');
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const now = options.now;
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw new TypeError('options.now must be a valid Date');
  const ctx: Context = {
    now,
    anchors: options.trustAnchors ?? DEFAULT_ANCHORS,
    anchorsKey: anchorsKeyOf(options.trustAnchors),
    intelRoles: options.trustAnchors === undefined,
    cache: options.cache ?? DEFAULT_VERIFIER_CACHE,
  };
  const facts = rec.facts;

  // ---- A. Parse the quote. ----
  const quote: EcdsaQuote = rec.step(
    'quote.parse',
    () => {
      const q = parseQuote(quoteBytes, { allowTrailing: true });
      if (q.version === 2) {
        throw new ParseError(
          'ERR_QUOTE_UNSUPPORTED_VERSION',
          'quote.version: EPID v2 quotes are verified through IAS',
          {
            offset: 0,
            field: 'quote.version',
          },
        );
      }
      return q;
    },
    (q) => `v${q.version} ${q.teeType} quote, ${q.length} bytes`,
  );
  facts.quoteVersion = quote.version;
  facts.teeType = quote.teeType;
  if (quote.body.kind === 'sgx') facts.enclave = toEnclaveIdentity(quote.body);
  else facts.td = toTdIdentity(quote.body);

  rec.step('quote.header', () => {
    // §1.2 A: the QE vendor ID must be Intel's.
    if (!bytesEqual(quote.qeVendorId, INTEL_QE_VENDOR_ID)) {
      throw new ParseError(
        'ERR_WIRE_INVALID_VALUE',
        `quote.qeVendorId: ${toHex(quote.qeVendorId)} is not Intel's`,
        {
          offset: QUOTE_QE_VENDOR_ID_OFFSET,
          field: 'quote.qeVendorId',
        },
      );
    }
  });

  rec.step(
    'quote.trailing',
    () => {
      // §11: genuine quotes often sit in zero-padded buffers; non-zero bytes after the quote are refused.
      if (quote.trailingBytes > 0 && !quote.trailingAllZero) {
        throw new VerificationError(
          'ERR_VERIFY_NONZERO_TRAILING',
          `${quote.trailingBytes} bytes after the quote (from offset ${quote.length}) are not all zero`,
        );
      }
      return quote.trailingBytes;
    },
    (n) => (n === 0 ? undefined : `${n} bytes of zero padding`),
  );
  facts.paddingBytes = quote.trailingBytes;

  // The PCK chain must be at hand (certification data type 5, or given with the collateral).
  const pckPems = rec.step(
    'quote.certificationData',
    () => {
      const pems = quote.pckCertChain ?? splitChain(collateral.pckCertificateChain);
      if (pems === undefined) {
        throw new VerificationError(
          'ERR_VERIFY_NO_PCK_CHAIN',
          `the quote carries certification data type ${quote.certificationData.type}, not a PCK certificate chain (type 5), and the collateral has none`,
          {
            hint: 'Fetch the PCK certificate for this platform from PCS/PCCS and pass it as collateral.pckCertificateChain.',
          },
        );
      }
      return pems;
    },
    (p) => `${quote.pckCertChain === null ? 'collateral' : 'quote'} PCK chain of ${p.length} certificates`,
  );

  const keys = contentKeys(collateral, ctx.cache);

  // ---- D. TCB info. ----
  const tcbDoc = rec.step(
    'tcbInfo.signature',
    () =>
      verifiedDocument<TcbInfo>(
        {
          kind: 'tcbInfo',
          text: collateral.tcbInfo,
          signature: collateral.tcbInfoSignature,
          chainPem: collateral.tcbInfoIssuerChain,
          parse: parseTcbInfo,
        },
        ctx,
        ctx.cache.tcbInfo,
        keys.tcbInfo,
      ),
    (d) => `TCB info ${d.document.id} v${d.document.version}, eval ${d.document.tcbEvaluationDataNumber}`,
  );
  const tcbInfo = tcbDoc.document;
  rec.step(
    'tcbInfo.time',
    () => checkDocumentTime('TCB info', tcbInfo, now),
    (d) => d,
  );
  rec.step('tcbInfo.tee', () => {
    // §1.2 D: id/version against the TEE type: "SGX" v2/v3, "TDX" v3.
    if (tcbInfo.id !== quote.teeType) {
      throw new VerificationError(
        'ERR_VERIFY_TEE_MISMATCH',
        `TCB info is for ${tcbInfo.id}, the quote is ${quote.teeType}`,
      );
    }
  });

  // ---- E. QE identity. ----
  const qeDoc = rec.step(
    'qeIdentity.signature',
    () =>
      verifiedDocument<QeIdentity>(
        {
          kind: 'qeIdentity',
          text: collateral.qeIdentity,
          signature: collateral.qeIdentitySignature,
          chainPem: collateral.qeIdentityIssuerChain,
          parse: parseQeIdentity,
        },
        ctx,
        ctx.cache.qeIdentity,
        keys.qeIdentity,
      ),
    (d) => `QE identity ${d.document.id}, eval ${d.document.tcbEvaluationDataNumber}`,
  );
  const qeIdentity = qeDoc.document;
  rec.step(
    'qeIdentity.time',
    () => checkDocumentTime('QE identity', qeIdentity, now),
    (d) => d,
  );
  rec.step('qeIdentity.tee', () => {
    // §1.2 E (QVL 4.1.2.4.14): "QE" for SGX, "TD_QE" for TDX.
    const want = quote.teeType === 'SGX' ? 'QE' : 'TD_QE';
    if (qeIdentity.id !== want) {
      throw new VerificationError(
        'ERR_VERIFY_TEE_MISMATCH',
        `QE identity is "${qeIdentity.id}", a ${quote.teeType} quote needs "${want}"`,
      );
    }
  });

  // ---- B. PCK chain and CRLs. ----
  const pck = rec.step(
    'pck.chain',
    () => {
      // Revocation is the next two steps (crl.root, crl.pck). The leaf's signature is checked on every
      // call unless the opt-in platform cache is on (DESIGN.md "Performance targets"); its keys
      // (leaf hash | CA key hash) cannot collide with the QE report memos (three parts).
      const platform = ctx.cache.platform;
      const chain = verifyChain(pckPems, {
        now,
        trustAnchors: ctx.anchors,
        dangerouslySkipRevocation: true,
        ...(platform === undefined ? {} : { leafSignatureCache: platform }),
      });
      const leaf = chain.leaf;
      // QVL 4.1.2.4.4: the leaf is a PCK certificate (by name under Intel's root, structurally otherwise).
      if (ctx.intelRoles && leaf.subjectCommonName !== INTEL_PCK_CERT_CN) {
        throw new VerificationError(
          'ERR_PKI_CHAIN',
          `PCK leaf is "${leaf.subjectCommonName ?? '?'}", not "${INTEL_PCK_CERT_CN}"`,
        );
      }
      if (leaf.basicConstraints?.cA === true)
        throw new VerificationError('ERR_PKI_CHAIN', 'the PCK leaf is a CA certificate');
      if (chain.certificates.length !== 3) {
        throw new VerificationError(
          'ERR_PKI_CHAIN',
          `a PCK chain is leaf, PCK CA and root; this path has ${chain.certificates.length} certificates`,
        );
      }
      const ca = chain.certificates[1]!;
      const caType = pckCaTypeOf(ca.subjectCommonName) ?? 'other';
      if (caType === 'other' && ctx.intelRoles)
        throw new VerificationError(
          'ERR_PKI_CHAIN',
          `the PCK leaf is issued by "${ca.subjectCommonName ?? '?'}"`,
        );
      return { leaf: chain.leaf, ca, anchor: chain.anchor, certificates: chain.certificates, caType };
    },
    (c) => `PCK leaf ← ${c.ca.subjectCommonName ?? '?'} ← ${c.anchor.subjectCommonName ?? '?'}`,
  );

  const rootCrl: Crl = rec.step(
    'crl.root',
    () => {
      // §1.2 B: the Root CA CRL, signed by the root, valid at now, covers the PCK CA, the TCB signing
      // certificates and the root itself.
      const crl = verifyCrl(parsedCrl(collateral, 'rootCaCrl', ctx.cache), pck.anchor, now, {
        name: 'Root CA CRL',
      });
      const covered: Certificate[] = [pck.anchor, pck.ca, tcbDoc.chain[0]!, qeDoc.chain[0]!];
      for (const c of covered) {
        if (!bytesEqual(c.issuerDer, pck.anchor.subjectDer)) {
          throw new VerificationError(
            'ERR_PKI_CRL_MISSING',
            `no CRL covers "${c.subjectCommonName ?? '?'}" (another root)`,
          );
        }
        if (isRevoked(crl, c)) {
          throw new VerificationError(
            'ERR_PKI_REVOKED',
            `"${c.subjectCommonName ?? '?'}" (serial ${c.serialNumber}) is revoked by the Root CA CRL`,
          );
        }
      }
      return crl;
    },
    (c) =>
      `thisUpdate ${c.thisUpdate.toISOString()}, nextUpdate ${c.nextUpdate.toISOString()}, ${c.revoked.length} revoked`,
  );

  const pckCrl: Crl = rec.step(
    'crl.pck',
    () => {
      // §1.2 B / QVL 4.1.2.4.6: the PCK CRL is issued by the leaf's own CA and lists no leaf serial.
      const crl = verifyCrl(parsedCrl(collateral, 'pckCrl', ctx.cache), pck.ca, now, { name: 'PCK CRL' });
      if (isRevoked(crl, pck.leaf)) {
        throw new VerificationError(
          'ERR_PKI_REVOKED',
          `the PCK certificate (serial ${pck.leaf.serialNumber}) is revoked`,
        );
      }
      return crl;
    },
    (c) =>
      `thisUpdate ${c.thisUpdate.toISOString()}, nextUpdate ${c.nextUpdate.toISOString()}, ${c.revoked.length} revoked`,
  );

  // ---- C. PCK SGX extension. ----
  const ext: PckExtensions = rec.step(
    'pck.extension',
    () => parsePckExtensions(pck.leaf),
    (e) => `FMSPC ${e.fmspcHex}, PCE-ID ${e.pceIdHex}, PCESVN ${e.pceSvn}`,
  );
  facts.fmspc = ext.fmspcHex;
  facts.pceId = ext.pceIdHex;

  // §1.2 D (QVL 4.1.2.4.10): FMSPC and PCE-ID of the TCB info equal the PCK certificate's.
  rec.step('tcbInfo.match', () =>
    matchTcbInfoPlatform(tcbInfo, { fmspc: ext.fmspcHex, pceId: ext.pceIdHex }),
  );

  // ---- F. QE report. ----
  rec.step('qeReport.signature', () => {
    // QVL 4.1.2.4.12: the QE report is signed by the PCK leaf key.
    const platform = ctx.cache.platform;
    let memo: string | undefined;
    if (platform !== undefined) {
      memo = `${pck.leaf.sha256}|${sha256Hex(quote.qeReport)}|${toHex(quote.qeReportSignature)}`;
      if (platform.get(memo) !== undefined) return;
    }
    if (!ecdsaVerify(pck.leaf.publicKey, quote.qeReport, quote.qeReportSignature)) {
      throw new VerificationError(
        'ERR_VERIFY_QE_REPORT_SIGNATURE',
        'the QE report signature does not verify under the PCK key',
      );
    }
    if (platform !== undefined && memo !== undefined) platform.set(memo, true);
  });

  rec.step('qeReport.attestationKeyBinding', () => {
    // QVL 4.1.2.4.13: reportData = SHA-256(attestation key ‖ QE auth data) ‖ 0^32.
    const expected = new Uint8Array(
      Buffer.from(sha256Hex(Buffer.concat([quote.attestationKey, quote.qeAuthData])), 'hex'),
    );
    const rd = quote.qeReportBody.reportData;
    if (!bytesEqual(rd.subarray(0, 32), expected) || !isAllZero(rd.subarray(32, 64))) {
      throw new VerificationError(
        'ERR_VERIFY_QE_REPORT_DATA',
        'the QE report data is not SHA-256(attestation key ‖ QE auth data) followed by 32 zero bytes',
      );
    }
  });

  const qeLevel: IdentityTcbLevel = rec.step(
    'qeIdentity.match',
    () => {
      const level = matchQeIdentity(qeIdentity, quote.qeReportBody);
      if (level.tcbStatus === 'Revoked') {
        throw new VerificationError(
          'ERR_VERIFY_QE_TCB_REVOKED',
          `the QE TCB level (ISVSVN ${level.isvSvn}) is Revoked`,
        );
      }
      return level;
    },
    (l) => `QE ISVSVN ${quote.qeReportBody.isvSvn} → level ${l.isvSvn} ${l.tcbStatus}`,
  );
  facts.qeTcbStatus = qeLevel.tcbStatus;

  // ---- G. Quote signature. ----
  rec.step('quote.signature', () => {
    // QVL 4.1.2.4.16: ECDSA with the attestation key over header ‖ (v5 descriptor ‖) body.
    const cacheKeys = ctx.cache.attestationKeys;
    const keyHex = cacheKeys === undefined ? undefined : toHex(quote.attestationKey);
    let key = keyHex === undefined ? undefined : cacheKeys?.get(keyHex);
    if (key === undefined) {
      key = importRawP256(quote.attestationKey);
      if (key === undefined) {
        throw new VerificationError('ERR_VERIFY_QUOTE_SIGNATURE', 'the attestation key is not a P-256 point');
      }
      if (keyHex !== undefined) cacheKeys?.set(keyHex, key);
    }
    if (!ecdsaVerify(key, quote.signedBytes, quote.signature)) {
      throw new VerificationError(
        'ERR_VERIFY_QUOTE_SIGNATURE',
        'the quote signature does not verify under the attestation key',
      );
    }
  });

  // ---- H. Platform TCB level. ----
  const td = quote.body.kind === 'sgx' ? undefined : quote.body;
  const level: TcbLevel = rec.step(
    'tcb.level',
    () =>
      selectTcbLevel(tcbInfo, {
        sgxTcbComponents: ext.tcbComponents,
        pceSvn: ext.pceSvn,
        ...(td === undefined ? {} : { teeTcbSvn: td.teeTcbSvn }),
      }),
    (l) => `${l.tcbStatus} (tcbDate ${l.tcbDate})`,
  );
  facts.platformTcbStatus = level.tcbStatus;
  facts.tcbDate = level.tcbDate;

  // ---- I. TDX module. ----
  let module: TdxModuleResult | undefined;
  if (td !== undefined) {
    module = rec.step(
      'tdxModule',
      () => checkTdxModule(tcbInfo, td),
      (m) =>
        m.level === undefined
          ? `${m.id} matches`
          : `${m.id} ISVSVN ${td.teeTcbSvn[0]} → level ${m.level.isvSvn} ${m.level.tcbStatus}`,
    );
    if (module.level !== undefined) facts.tdxModuleTcbStatus = module.level.tcbStatus;
  }

  // ---- J. Converge. ----
  const status: TcbStatus = rec.step(
    'tcb.status',
    () => {
      if (level.tcbStatus === 'Revoked') {
        throw new VerificationError(
          'ERR_VERIFY_TCB_REVOKED',
          `the platform TCB level (tcbDate ${level.tcbDate}) is Revoked`,
        );
      }
      if (module?.level?.tcbStatus === 'Revoked') {
        throw new VerificationError(
          'ERR_VERIFY_TCB_REVOKED',
          `the TDX module ${module.id} TCB level is Revoked`,
        );
      }
      const others =
        module?.level === undefined ? [qeLevel.tcbStatus] : [module.level.tcbStatus, qeLevel.tcbStatus];
      return convergeTcbStatus(level.tcbStatus, ...others);
    },
    (s) => s,
  );
  const advisoryIds = mergeAdvisoryIds(
    level.advisoryIds,
    module?.level?.advisoryIds ?? [],
    qeLevel.advisoryIds,
  );
  facts.tcbStatus = status;
  facts.advisoryIds = advisoryIds;

  // Collateral window (DCAP-VERIFICATION.md §2.3; QvE `qve_get_collateral_dates`).
  const issued = Math.min(
    tcbInfo.issueDateMs,
    qeIdentity.issueDateMs,
    rootCrl.thisUpdate.getTime(),
    pckCrl.thisUpdate.getTime(),
  );
  const certs = [...pck.certificates, ...tcbDoc.chain, ...qeDoc.chain];
  const expires = Math.min(
    tcbInfo.nextUpdateMs,
    qeIdentity.nextUpdateMs,
    rootCrl.nextUpdate.getTime(),
    pckCrl.nextUpdate.getTime(),
    ...certs.map((c) => c.notAfter.getTime()),
  );
  facts.collateralIssuedAt = iso(issued);
  facts.collateralExpiresAt = iso(expires);
  facts.verifiedAt = now.toISOString();

  const result: VerifiedQuote = {
    kind: 'dcap',
    teeType: quote.teeType,
    quoteVersion: quote.version,
    tcbStatus: status,
    platformTcbStatus: level.tcbStatus,
    qeTcbStatus: qeLevel.tcbStatus,
    ...(module?.level === undefined ? {} : { tdxModuleTcbStatus: module.level.tcbStatus }),
    advisoryIds,
    fmspc: ext.fmspcHex.toUpperCase(),
    pceId: ext.pceIdHex.toLowerCase(),
    tcbDate: level.tcbDate,
    collateralIssuedAt: iso(issued),
    collateralExpiresAt: iso(expires),
    paddingBytes: quote.trailingBytes,
    verifiedAt: now.toISOString(),
    ...(facts.enclave === undefined ? {} : { enclave: facts.enclave }),
    ...(facts.td === undefined ? {} : { td: facts.td }),
    steps: Object.freeze([...rec.steps]),
  };
  return Object.freeze(result);
}

function splitChain(pem: string | undefined): readonly string[] | undefined {
  if (pem === undefined) return undefined;
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  return blocks === null ? undefined : blocks;
}

/**
 * Verifies a DCAP quote (SGX v3/v4/v5, TDX v4/v5) against its collateral at `options.now`
 * (DCAP-VERIFICATION.md §1.2 steps A–J) and returns the verified facts, frozen.
 *
 * Whether the resulting TCB status, advisories or identity are acceptable is policy, not
 * verification (step K). Expired or not-yet-valid collateral, certificates and CRLs, missing CRLs,
 * a PCK chain that does not reach the trust anchor, and every signature failure are errors.
 *
 * @throws AttestError with a specific code, e.g. `ERR_VERIFY_QUOTE_SIGNATURE`,
 *   `ERR_VERIFY_QE_REPORT_SIGNATURE`, `ERR_VERIFY_QE_REPORT_DATA`, `ERR_VERIFY_QE_IDENTITY_MISMATCH`,
 *   `ERR_VERIFY_QE_TCB_REVOKED`, `ERR_VERIFY_TCB_NO_MATCH`, `ERR_VERIFY_TCB_REVOKED`,
 *   `ERR_VERIFY_TDX_MODULE_MISMATCH`, `ERR_VERIFY_TEE_MISMATCH`, `ERR_VERIFY_NONZERO_TRAILING`,
 *   `ERR_VERIFY_NO_PCK_CHAIN`, `ERR_COLLATERAL_*`, `ERR_PKI_*`, and parse codes for malformed input.
 * @throws TypeError for arguments of the wrong type.
 */
export function verifyQuote(
  quoteBytes: Uint8Array,
  collateral: Collateral,
  options: VerifyQuoteOptions,
): VerifiedQuote {
  return run(quoteBytes, collateral, options, new Recorder());
}

/**
 * Runs the same verification as {@link verifyQuote} but never throws an {@link AttestError}:
 * it reports whether the quote verified, the steps that ran, the error that stopped it, and the
 * facts known at that point (for the CLI). Misuse (arguments of the wrong type) still throws.
 */
export function inspectQuote(
  quoteBytes: Uint8Array,
  collateral: Collateral,
  options: VerifyQuoteOptions,
): QuoteInspection {
  const rec = new Recorder();
  try {
    const result = run(quoteBytes, collateral, options, rec);
    return Object.freeze({
      verified: true,
      result,
      steps: result.steps,
      facts: Object.freeze({ ...rec.facts }),
    });
  } catch (e) {
    if (!isAttestError(e)) throw e;
    return Object.freeze({
      verified: false,
      error: e,
      steps: Object.freeze([...rec.steps]),
      facts: Object.freeze({ ...rec.facts }),
    });
  }
}
