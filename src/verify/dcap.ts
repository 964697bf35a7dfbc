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
import * as nodeCrypto from 'node:crypto';
import {
  createHash,
  createPublicKey,
  verify as cryptoVerify,
  type KeyObject,
  type X509Certificate,
} from 'node:crypto';
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
import { type CertEntry, type Certificate, parseCertificateChain, sha256Hex } from '../pki/cert.ts';
import {
  chainEntriesFromDer,
  INTEL_PCK_CERT_CN,
  INTEL_TCB_SIGNING_CN,
  pckCaTypeOf,
  resolveTrustAnchors,
  verifyChain,
  verifyEntryPath,
} from '../pki/chain.ts';
import { type Crl, crlState, parseCrl, verifyCrl, verifyCrlState } from '../pki/crl.ts';
import { type PckExtensions, pckExtensionsOfEntry } from '../pki/pck.ts';
import { decodePemBlocks } from '../pki/pem.ts';
import { INTEL_SGX_ROOT_CA_PEM } from '../pki/roots.ts';
import { bytesEqual, toHex } from '../wire/hex.ts';
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

/**
 * Records the steps as they pass. The step in progress is named by {@link Recorder.begin}; when a
 * check throws, {@link Recorder.fail} records it as the failed step with the error's message.
 * Passing steps are cheap: a shared frozen record when there is no detail, and details built from
 * values already at hand (those that depend on collateral only are built once per document).
 */
class Recorder {
  readonly steps: VerificationStep[] = [];
  readonly facts: MutableFacts = {};
  #current: string | undefined;

  begin(check: string): void {
    this.#current = check;
  }

  /** The step in progress passed; `detail` is optional text for the CLI and `inspectQuote`. */
  pass(detail?: string): void {
    const check = this.#current!;
    this.steps.push(detail === undefined ? passedStep(check) : Object.freeze({ check, ok: true, detail }));
    this.#current = undefined;
  }

  /**
   * The step in progress passed, with a record built once per `key` (a collateral object);
   * `detail(key)` is called only then, so pass a function that depends on `key` alone.
   */
  passMemo<K extends object>(key: K, detail: (key: K) => string): void {
    const check = this.#current!;
    let memo = memoSteps.get(check);
    if (memo === undefined) {
      memo = new WeakMap();
      memoSteps.set(check, memo);
    }
    let step = memo.get(key);
    if (step === undefined) {
      step = Object.freeze({ check, ok: true, detail: detail(key) });
      memo.set(key, step);
    }
    this.steps.push(step);
    this.#current = undefined;
  }

  /** Records the step in progress (if any) as failed with `e`'s message. */
  fail(e: unknown): void {
    const check = this.#current;
    if (check === undefined) return;
    const message = e instanceof Error ? e.message : String(e);
    this.steps.push(Object.freeze({ check, ok: false, detail: message }));
    this.#current = undefined;
  }
}

/** Shared records of steps that passed without a detail. */
const passedSteps = new Map<string, VerificationStep>();
function passedStep(check: string): VerificationStep {
  let step = passedSteps.get(check);
  if (step === undefined) {
    step = Object.freeze({ check, ok: true });
    passedSteps.set(check, step);
  }
  return step;
}

/** Step records whose detail depends on one collateral object only, per check. */
const memoSteps = new Map<string, WeakMap<object, VerificationStep>>();

// ---- helpers ----

const UTF8 = new TextEncoder();
const DEFAULT_ANCHORS: readonly TrustAnchor[] = Object.freeze([INTEL_SGX_ROOT_CA_PEM]);
/** The cache-key part naming a set of resolved anchors (their sorted SHA-256s). */
const anchorKeys = new WeakMap<readonly CertEntry[], string>();

function anchorsKeyOf(entries: readonly CertEntry[]): string {
  let key = anchorKeys.get(entries);
  if (key === undefined) {
    key = entries
      .map((e) => e.sha256)
      .sort()
      .join(',');
    anchorKeys.set(entries, key);
  }
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

function b64url(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('base64url');
}

/** The JWK of a raw X‖Y P-256 public key (RFC 7518 §6.2.1). */
function p256Jwk(xy: Uint8Array): { kty: 'EC'; crv: 'P-256'; x: string; y: string } {
  return { kty: 'EC', crv: 'P-256', x: b64url(xy, 0, 32), y: b64url(xy, 32, 64) };
}

/** Imports a raw X‖Y P-256 public key (via JWK, the fast path in node, DCAP-VERIFICATION.md §8.2). */
function importRawP256(xy: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: p256Jwk(xy), format: 'jwk' });
  } catch {
    // Not a point on P-256: the caller reports the failed signature check.
    return undefined;
  }
}

/**
 * ECDSA-P256-SHA256 over `data` under the raw X‖Y key `xy`, the key imported by `crypto.verify`
 * itself from its JWK (the same import as {@link importRawP256}, without a `KeyObject` for a key
 * used once). `undefined` when node throws (e.g. not a point on the curve): the caller then takes
 * the {@link importRawP256} path, which names the failure.
 */
function ecdsaVerifyRaw(xy: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean | undefined {
  try {
    return cryptoVerify(
      'sha256',
      data,
      { key: p256Jwk(xy), format: 'jwk', dsaEncoding: 'ieee-p1363' },
      signature,
    );
  } catch {
    return undefined;
  }
}

/** The earliest notAfter of `certs`, ms (Infinity for none). */
function earliestNotAfter(certs: readonly Certificate[]): number {
  let t = Number.POSITIVE_INFINITY;
  for (let i = 0; i < certs.length; i++) t = Math.min(t, certs[i]!.notAfter.getTime());
  return t;
}

function certName(c: Certificate): string {
  return c.subjectCommonName ?? c.sha256.slice(0, 16);
}

function checkValidity(certs: readonly Certificate[], now: Date): void {
  const t = now.getTime();
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i]!;
    // RFC 5280 §4.1.2.5 (bounds inclusive); DCAP-VERIFICATION.md §2.3.
    if (t < c.notBefore.getTime())
      throw new VerificationError(
        'ERR_PKI_CERT_NOT_YET_VALID',
        `"${certName(c)}" is not valid before ${c.notBefore.toISOString()} (now ${now.toISOString()})`,
      );
    if (t > c.notAfter.getTime())
      throw new VerificationError(
        'ERR_PKI_CERT_EXPIRED',
        `"${certName(c)}" expired at ${c.notAfter.toISOString()} (now ${now.toISOString()})`,
      );
  }
}

/** `now.toISOString()`, remembered for the last instant (callers often verify many quotes at one time). */
let lastNowMs = Number.NaN;
let lastNowIso = '';
function isoOfNow(now: Date): string {
  const ms = now.getTime();
  if (ms !== lastNowMs) {
    lastNowIso = now.toISOString();
    lastNowMs = ms;
  }
  return lastNowIso;
}

/** ISO 8601 text of collateral instants (few distinct values: memoised, bounded). */
const isoMemo = new Map<number, string>();
function iso(ms: number): string {
  let s = isoMemo.get(ms);
  if (s === undefined) {
    s = new Date(ms).toISOString().replace('.000Z', 'Z');
    if (isoMemo.size >= 256) isoMemo.clear();
    isoMemo.set(ms, s);
  }
  return s;
}

interface TimedDocument {
  readonly issueDateMs: number;
  readonly nextUpdateMs: number;
  readonly issueDate: string;
  readonly nextUpdate: string;
}

function checkDocumentTime(what: string, doc: TimedDocument, now: Date): void {
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
}

// Details of steps that depend on one collateral object only (Recorder.passMemo).
function tcbInfoDetail(t: TcbInfo): string {
  return `TCB info ${t.id} v${t.version}, eval ${t.tcbEvaluationDataNumber}`;
}
function qeIdentityDetail(q: QeIdentity): string {
  return `QE identity ${q.id}, eval ${q.tcbEvaluationDataNumber}`;
}
function documentTimeDetail(d: TimedDocument): string {
  return `${d.issueDate} ≤ now ≤ ${d.nextUpdate}`;
}
function tcbLevelDetail(l: TcbLevel): string {
  return `${l.tcbStatus} (tcbDate ${l.tcbDate})`;
}
function crlDetail(c: Crl): string {
  return `thisUpdate ${c.thisUpdate.toISOString()}, nextUpdate ${c.nextUpdate.toISOString()}, ${c.revoked.length} revoked`;
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
  /** The anchors, parsed (resolved once per anchors array). */
  readonly anchorEntries: readonly CertEntry[];
  readonly anchorsKey: string;
  /** True for the embedded Intel root: Intel certificate names are then required. */
  readonly intelRoles: boolean;
  readonly cache: VerifierCache;
}

/**
 * Steps D/E (signature part): the issuer chain of a TCB info or QE identity must be a TCB signing
 * certificate under a trust anchor, and its key must verify the ECDSA r‖s signature over the exact
 * text. Cached by content: a document verified before is taken from `store`, and only the
 * certificates' validity at `now` is checked again (on every call).
 */
function verifiedDocument<T>(
  input: SignedDocInput<T>,
  ctx: Context,
  store: {
    get(key: string): VerifiedSignedDocument<T> | undefined;
    set(key: string, v: VerifiedSignedDocument<T>): void;
  },
  /** The cache key: content and anchors ({@link contentKeys}). */
  contentKey: string,
): VerifiedSignedDocument<T> {
  const hit = store.get(contentKey);
  if (hit !== undefined) {
    checkValidity(hit.chain, ctx.now);
    return hit;
  }
  const code =
    input.kind === 'tcbInfo' ? 'ERR_COLLATERAL_TCB_INFO_SIGNATURE' : 'ERR_COLLATERAL_QE_IDENTITY_SIGNATURE';
  const what = input.kind === 'tcbInfo' ? 'TCB info' : 'QE identity';
  const key = contentKey;
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

/**
 * The cache keys of the collateral's TCB info and QE identity under the anchors `anchorsKey`:
 * SHA-256 of each document's text, signature and issuer chain, then the anchors. Kept per (frozen)
 * collateral object, so repeated calls neither hash nor build key strings.
 */
function contentKeys(
  collateral: Collateral,
  cache: VerifierCache,
  anchorsKey: string,
): { readonly tcbInfo: string; readonly qeIdentity: string } {
  const known = cache.collateralKeys.get(collateral);
  if (known !== undefined && known.anchorsKey === anchorsKey) return known;
  const tcbInfo = sha256Hex(
    UTF8.encode(
      `${collateral.tcbInfo}\u0000${toHex(collateral.tcbInfoSignature)}\u0000${collateral.tcbInfoIssuerChain}`,
    ),
  );
  const qeIdentity = sha256Hex(
    UTF8.encode(
      `${collateral.qeIdentity}\u0000${toHex(collateral.qeIdentitySignature)}\u0000${collateral.qeIdentityIssuerChain}`,
    ),
  );
  const keys = Object.freeze({
    anchorsKey,
    tcbInfo: `${tcbInfo}|${anchorsKey}`,
    qeIdentity: `${qeIdentity}|${anchorsKey}`,
  });
  // Collateral records are frozen, so the keys stay right for the object's lifetime.
  if (Object.isFrozen(collateral)) cache.collateralKeys.set(collateral, keys);
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

/**
 * `crl` verified against its issuer's entry at `now` (signature remembered by pki, time checked
 * every call); a missing CRL is `ERR_PKI_CRL_MISSING` (through `verifyCrl`'s own check).
 */
function verifiedCrl(crl: Crl | undefined, issuer: CertEntry, now: Date, name: string): Crl {
  if (crl === undefined) return verifyCrl(undefined, issuer.der, now, { name });
  verifyCrlState(crlState(crl), issuer, now, name);
  return crl;
}

/** A certificate as the revocation checks read it (a pki entry or a public record). */
interface RevocableCert {
  readonly issuerDer: Uint8Array;
  readonly subjectCommonName: string | undefined;
  readonly serialNumber: string;
}

/** §1.2 B: `cert` is issued by `anchor`, so the Root CA CRL covers it, and is not listed there. */
function checkRootCrlCovers(rootCrl: Crl, anchor: CertEntry, cert: RevocableCert): void {
  if (!bytesEqual(cert.issuerDer, anchor.subjectDer)) {
    throw new VerificationError(
      'ERR_PKI_CRL_MISSING',
      `no CRL covers "${cert.subjectCommonName ?? '?'}" (another root)`,
    );
  }
  if (listed(rootCrl, cert)) {
    throw new VerificationError(
      'ERR_PKI_REVOKED',
      `"${cert.subjectCommonName ?? '?'}" (serial ${cert.serialNumber}) is revoked by the Root CA CRL`,
    );
  }
}

/** True when `crl` (already verified) lists the serial number of `cert`. */
function listed(crl: Crl, cert: { readonly serialNumber: string }): boolean {
  return crlState(crl).serials.has(cert.serialNumber);
}

/** The PCK chain's source: DER decoded by the quote parser, or PEM blocks of the collateral. */
type PckChainSource =
  | { readonly from: 'quote'; readonly ders: readonly Uint8Array[] }
  | { readonly from: 'collateral'; readonly pems: readonly string[] };

function decodeCollateralChain(pems: readonly string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const pem of pems) out.push(...decodePemBlocks(pem, 'CERTIFICATE'));
  return out;
}

/** node's one-shot `crypto.hash` (Node ≥ 20.12), cheaper than a `Hash` object for small inputs. */
const oneShotHash: ((algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer) | undefined =
  typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;

/** SHA-256 of `a ‖ b`. */
function sha256Of(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (oneShotHash === undefined) return createHash('sha256').update(a).update(b).digest();
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return oneShotHash('sha256', joined, 'buffer');
}

const NO_ADVISORIES: readonly string[] = Object.freeze([]);

/**
 * {@link mergeAdvisoryIds} of the platform, TDX module and QE levels' advisory lists, remembered
 * per platform list (the lists are frozen arrays of the parsed collateral, so one result serves
 * every call with the same three).
 */
const mergedAdvisories = new WeakMap<
  readonly string[],
  { readonly module: readonly string[]; readonly qe: readonly string[]; readonly ids: readonly string[] }
>();
function mergedAdvisoryIds(
  platform: readonly string[],
  module: readonly string[],
  qe: readonly string[],
): readonly string[] {
  const known = mergedAdvisories.get(platform);
  if (known !== undefined && known.module === module && known.qe === qe) return known.ids;
  const ids = mergeAdvisoryIds(platform, module, qe);
  if (Object.isFrozen(platform) && Object.isFrozen(module) && Object.isFrozen(qe))
    mergedAdvisories.set(platform, { module, qe, ids });
  return ids;
}

/** SHA-256(attestation key ‖ QE auth data) ‖ 0^32 = QE report data (QVL 4.1.2.4.13). */
function bindingHolds(quote: EcdsaQuote): boolean {
  const digest = sha256Of(quote.attestationKey, quote.qeAuthData);
  const rd = quote.qeReportBody.reportData;
  if (rd.length !== 64) return false;
  for (let i = 0; i < 32; i++) if (rd[i] !== digest[i]) return false;
  for (let i = 32; i < 64; i++) if (rd[i] !== 0) return false;
  return true;
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
  const given = options.trustAnchors;
  if (given !== undefined && (!Array.isArray(given) || given.length === 0))
    throw new TypeError('trustAnchors must be a non-empty array');
  const anchors = given ?? DEFAULT_ANCHORS;
  const anchorEntries = resolveTrustAnchors(anchors);
  const ctx: Context = {
    now,
    anchors,
    anchorEntries,
    anchorsKey: anchorsKeyOf(anchorEntries),
    intelRoles: given === undefined,
    cache: options.cache ?? DEFAULT_VERIFIER_CACHE,
  };
  const facts = rec.facts;

  // ---- A. Parse the quote. ----
  rec.begin('quote.parse');
  const parsed = parseQuote(quoteBytes, { allowTrailing: true });
  if (parsed.version === 2) {
    throw new ParseError(
      'ERR_QUOTE_UNSUPPORTED_VERSION',
      'quote.version: EPID v2 quotes are verified through IAS',
      {
        offset: 0,
        field: 'quote.version',
      },
    );
  }
  const quote: EcdsaQuote = parsed;
  rec.pass(`v${quote.version} ${quote.teeType} quote, ${quote.length} bytes`);
  facts.quoteVersion = quote.version;
  facts.teeType = quote.teeType;
  if (quote.body.kind === 'sgx') facts.enclave = toEnclaveIdentity(quote.body);
  else facts.td = toTdIdentity(quote.body);

  rec.begin('quote.header');
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
  rec.pass();

  rec.begin('quote.trailing');
  // §11: genuine quotes often sit in zero-padded buffers; non-zero bytes after the quote are refused.
  if (quote.trailingBytes > 0 && !quote.trailingAllZero) {
    throw new VerificationError(
      'ERR_VERIFY_NONZERO_TRAILING',
      `${quote.trailingBytes} bytes after the quote (from offset ${quote.length}) are not all zero`,
    );
  }
  rec.pass(quote.trailingBytes === 0 ? undefined : `${quote.trailingBytes} bytes of zero padding`);
  facts.paddingBytes = quote.trailingBytes;

  // The PCK chain must be at hand (certification data type 5, or given with the collateral).
  rec.begin('quote.certificationData');
  let source: PckChainSource;
  if (quote.pckCertChainDer !== null) {
    source = { from: 'quote', ders: quote.pckCertChainDer };
  } else {
    const pems = splitChain(collateral.pckCertificateChain);
    if (pems === undefined) {
      throw new VerificationError(
        'ERR_VERIFY_NO_PCK_CHAIN',
        `the quote carries certification data type ${quote.certificationData.type}, not a PCK certificate chain (type 5), and the collateral has none`,
        {
          hint: 'Fetch the PCK certificate for this platform from PCS/PCCS and pass it as collateral.pckCertificateChain.',
        },
      );
    }
    source = { from: 'collateral', pems };
  }
  rec.pass(
    source.from === 'quote'
      ? `quote PCK chain of ${source.ders.length} certificates`
      : `collateral PCK chain of ${source.pems.length} certificates`,
  );

  const keys = contentKeys(collateral, ctx.cache, ctx.anchorsKey);

  // ---- D. TCB info. ----
  rec.begin('tcbInfo.signature');
  const tcbDoc = verifiedDocument<TcbInfo>(
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
  );
  const tcbInfo = tcbDoc.document;
  rec.passMemo(tcbInfo, tcbInfoDetail);

  rec.begin('tcbInfo.time');
  checkDocumentTime('TCB info', tcbInfo, now);
  rec.passMemo(tcbInfo, documentTimeDetail);

  rec.begin('tcbInfo.tee');
  // §1.2 D: id/version against the TEE type: "SGX" v2/v3, "TDX" v3.
  if (tcbInfo.id !== quote.teeType) {
    throw new VerificationError(
      'ERR_VERIFY_TEE_MISMATCH',
      `TCB info is for ${tcbInfo.id}, the quote is ${quote.teeType}`,
    );
  }
  rec.pass();

  // ---- E. QE identity. ----
  rec.begin('qeIdentity.signature');
  const qeDoc = verifiedDocument<QeIdentity>(
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
  );
  const qeIdentity = qeDoc.document;
  rec.passMemo(qeIdentity, qeIdentityDetail);

  rec.begin('qeIdentity.time');
  checkDocumentTime('QE identity', qeIdentity, now);
  rec.passMemo(qeIdentity, documentTimeDetail);

  rec.begin('qeIdentity.tee');
  // §1.2 E (QVL 4.1.2.4.14): "QE" for SGX, "TD_QE" for TDX.
  const wantQe = quote.teeType === 'SGX' ? 'QE' : 'TD_QE';
  if (qeIdentity.id !== wantQe) {
    throw new VerificationError(
      'ERR_VERIFY_TEE_MISMATCH',
      `QE identity is "${qeIdentity.id}", a ${quote.teeType} quote needs "${wantQe}"`,
    );
  }
  rec.pass();

  // ---- B. PCK chain and CRLs. ----
  rec.begin('pck.chain');
  // Revocation is the next two steps (crl.root, crl.pck). The PCK leaf is parsed, its key imported
  // and its signature checked (under the cached PCK CA key) on every call, unless the opt-in
  // platform cache is on (DESIGN.md "Performance targets"); the CA and the root are collateral and
  // come from the pki caches. The leaf's signature-cache keys (leaf hash | CA key hash) cannot
  // collide with the QE report memos (three parts).
  const platform = ctx.cache.platform;
  const chainDers = source.from === 'quote' ? source.ders : decodeCollateralChain(source.pems);
  const entries = chainEntriesFromDer(chainDers, platform !== undefined);
  const { path } = verifyEntryPath(
    entries,
    ctx.anchorEntries,
    platform === undefined
      ? { now, dangerouslySkipRevocation: true }
      : { now, dangerouslySkipRevocation: true, leafSignatureCache: platform },
  );
  const leaf = path[0]!;
  // QVL 4.1.2.4.4: the leaf is a PCK certificate (by name under Intel's root, structurally otherwise).
  if (ctx.intelRoles && leaf.subjectCommonName !== INTEL_PCK_CERT_CN) {
    throw new VerificationError(
      'ERR_PKI_CHAIN',
      `PCK leaf is "${leaf.subjectCommonName ?? '?'}", not "${INTEL_PCK_CERT_CN}"`,
    );
  }
  if (leaf.basicConstraints?.cA === true)
    throw new VerificationError('ERR_PKI_CHAIN', 'the PCK leaf is a CA certificate');
  if (path.length !== 3) {
    throw new VerificationError(
      'ERR_PKI_CHAIN',
      `a PCK chain is leaf, PCK CA and root; this path has ${path.length} certificates`,
    );
  }
  const ca = path[1]!;
  const anchor = path[2]!;
  const caType = pckCaTypeOf(ca.subjectCommonName) ?? 'other';
  if (caType === 'other' && ctx.intelRoles)
    throw new VerificationError(
      'ERR_PKI_CHAIN',
      `the PCK leaf is issued by "${ca.subjectCommonName ?? '?'}"`,
    );
  rec.pass(`PCK leaf ← ${ca.subjectCommonName ?? '?'} ← ${anchor.subjectCommonName ?? '?'}`);

  rec.begin('crl.root');
  // §1.2 B: the Root CA CRL, signed by the root, valid at now, covers the PCK CA, the TCB signing
  // certificates and the root itself.
  const rootCrl = verifiedCrl(parsedCrl(collateral, 'rootCaCrl', ctx.cache), anchor, now, 'Root CA CRL');
  checkRootCrlCovers(rootCrl, anchor, anchor);
  checkRootCrlCovers(rootCrl, anchor, ca);
  checkRootCrlCovers(rootCrl, anchor, tcbDoc.chain[0]!);
  checkRootCrlCovers(rootCrl, anchor, qeDoc.chain[0]!);
  rec.passMemo(rootCrl, crlDetail);

  rec.begin('crl.pck');
  // §1.2 B / QVL 4.1.2.4.6: the PCK CRL is issued by the leaf's own CA and lists no leaf serial.
  const pckCrl = verifiedCrl(parsedCrl(collateral, 'pckCrl', ctx.cache), ca, now, 'PCK CRL');
  if (listed(pckCrl, leaf)) {
    throw new VerificationError(
      'ERR_PKI_REVOKED',
      `the PCK certificate (serial ${leaf.serialNumber}) is revoked`,
    );
  }
  rec.passMemo(pckCrl, crlDetail);

  // ---- C. PCK SGX extension. ----
  rec.begin('pck.extension');
  const ext: PckExtensions = pckExtensionsOfEntry(leaf);
  rec.pass(`FMSPC ${ext.fmspcHex}, PCE-ID ${ext.pceIdHex}, PCESVN ${ext.pceSvn}`);
  facts.fmspc = ext.fmspcHex;
  facts.pceId = ext.pceIdHex;

  // §1.2 D (QVL 4.1.2.4.10): FMSPC and PCE-ID of the TCB info equal the PCK certificate's.
  rec.begin('tcbInfo.match');
  matchTcbInfoPlatform(tcbInfo, { fmspc: ext.fmspcHex, pceId: ext.pceIdHex });
  rec.pass();

  // ---- F. QE report. ----
  rec.begin('qeReport.signature');
  // QVL 4.1.2.4.12: the QE report is signed by the PCK leaf key.
  const memo =
    platform === undefined
      ? undefined
      : `${leaf.sha256}|${sha256Hex(quote.qeReport)}|${toHex(quote.qeReportSignature)}`;
  if (memo === undefined || platform?.get(memo) === undefined) {
    if (!ecdsaVerify(leaf.publicKey, quote.qeReport, quote.qeReportSignature)) {
      throw new VerificationError(
        'ERR_VERIFY_QE_REPORT_SIGNATURE',
        'the QE report signature does not verify under the PCK key',
      );
    }
    if (memo !== undefined) platform?.set(memo, true);
  }
  rec.pass();

  rec.begin('qeReport.attestationKeyBinding');
  // QVL 4.1.2.4.13: reportData = SHA-256(attestation key ‖ QE auth data) ‖ 0^32.
  if (!bindingHolds(quote)) {
    throw new VerificationError(
      'ERR_VERIFY_QE_REPORT_DATA',
      'the QE report data is not SHA-256(attestation key ‖ QE auth data) followed by 32 zero bytes',
    );
  }
  rec.pass();

  rec.begin('qeIdentity.match');
  const qeLevel: IdentityTcbLevel = matchQeIdentity(qeIdentity, quote.qeReportBody);
  if (qeLevel.tcbStatus === 'Revoked') {
    throw new VerificationError(
      'ERR_VERIFY_QE_TCB_REVOKED',
      `the QE TCB level (ISVSVN ${qeLevel.isvSvn}) is Revoked`,
    );
  }
  rec.pass(`QE ISVSVN ${quote.qeReportBody.isvSvn} → level ${qeLevel.isvSvn} ${qeLevel.tcbStatus}`);
  facts.qeTcbStatus = qeLevel.tcbStatus;

  // ---- G. Quote signature. ----
  rec.begin('quote.signature');
  // QVL 4.1.2.4.16: ECDSA with the attestation key over header ‖ (v5 descriptor ‖) body.
  // Without the platform cache the key is used once: crypto.verify imports it from its JWK. Should
  // node refuse the key, the import below does it again and names the failure.
  const cacheKeys = ctx.cache.attestationKeys;
  let verified =
    cacheKeys === undefined
      ? ecdsaVerifyRaw(quote.attestationKey, quote.signedBytes, quote.signature)
      : undefined;
  if (verified === undefined) {
    const keyHex = cacheKeys === undefined ? undefined : toHex(quote.attestationKey);
    let key = keyHex === undefined ? undefined : cacheKeys?.get(keyHex);
    if (key === undefined) {
      key = importRawP256(quote.attestationKey);
      if (key === undefined) {
        throw new VerificationError('ERR_VERIFY_QUOTE_SIGNATURE', 'the attestation key is not a P-256 point');
      }
      if (keyHex !== undefined) cacheKeys?.set(keyHex, key);
    }
    verified = ecdsaVerify(key, quote.signedBytes, quote.signature);
  }
  if (!verified) {
    throw new VerificationError(
      'ERR_VERIFY_QUOTE_SIGNATURE',
      'the quote signature does not verify under the attestation key',
    );
  }
  rec.pass();

  // ---- H. Platform TCB level. ----
  const td = quote.body.kind === 'sgx' ? undefined : quote.body;
  rec.begin('tcb.level');
  const level: TcbLevel = selectTcbLevel(
    tcbInfo,
    td === undefined
      ? { sgxTcbComponents: ext.tcbComponents, pceSvn: ext.pceSvn }
      : { sgxTcbComponents: ext.tcbComponents, pceSvn: ext.pceSvn, teeTcbSvn: td.teeTcbSvn },
  );
  rec.passMemo(level, tcbLevelDetail);
  facts.platformTcbStatus = level.tcbStatus;
  facts.tcbDate = level.tcbDate;

  // ---- I. TDX module. ----
  let module: TdxModuleResult | undefined;
  if (td !== undefined) {
    rec.begin('tdxModule');
    const m = checkTdxModule(tcbInfo, td);
    rec.pass(
      m.level === undefined
        ? `${m.id} matches`
        : `${m.id} ISVSVN ${td.teeTcbSvn[0]} → level ${m.level.isvSvn} ${m.level.tcbStatus}`,
    );
    module = m;
    if (m.level !== undefined) facts.tdxModuleTcbStatus = m.level.tcbStatus;
  }

  // ---- J. Converge. ----
  rec.begin('tcb.status');
  if (level.tcbStatus === 'Revoked') {
    throw new VerificationError(
      'ERR_VERIFY_TCB_REVOKED',
      `the platform TCB level (tcbDate ${level.tcbDate}) is Revoked`,
    );
  }
  if (module?.level?.tcbStatus === 'Revoked') {
    throw new VerificationError('ERR_VERIFY_TCB_REVOKED', `the TDX module ${module.id} TCB level is Revoked`);
  }
  const status: TcbStatus =
    module?.level === undefined
      ? convergeTcbStatus(level.tcbStatus, qeLevel.tcbStatus)
      : convergeTcbStatus(level.tcbStatus, module.level.tcbStatus, qeLevel.tcbStatus);
  rec.pass(status);
  const advisoryIds = mergedAdvisoryIds(
    level.advisoryIds,
    module?.level?.advisoryIds ?? NO_ADVISORIES,
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
  let expires = Math.min(
    tcbInfo.nextUpdateMs,
    qeIdentity.nextUpdateMs,
    rootCrl.nextUpdate.getTime(),
    pckCrl.nextUpdate.getTime(),
  );
  for (let i = 0; i < path.length; i++) expires = Math.min(expires, path[i]!.notAfter);
  expires = Math.min(expires, earliestNotAfter(tcbDoc.chain), earliestNotAfter(qeDoc.chain));
  const collateralIssuedAt = iso(issued);
  const collateralExpiresAt = iso(expires);
  const verifiedAt = isoOfNow(now);
  facts.collateralIssuedAt = collateralIssuedAt;
  facts.collateralExpiresAt = collateralExpiresAt;
  facts.verifiedAt = verifiedAt;

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
    collateralIssuedAt,
    collateralExpiresAt,
    paddingBytes: quote.trailingBytes,
    verifiedAt,
    ...(facts.enclave === undefined ? {} : { enclave: facts.enclave }),
    ...(facts.td === undefined ? {} : { td: facts.td }),
    steps: Object.freeze(rec.steps),
  };
  return Object.freeze(result);
}

/** Runs the pipeline, recording the step that throws as failed. */
function runRecorded(
  quoteBytes: Uint8Array,
  collateral: Collateral,
  options: VerifyQuoteOptions,
  rec: Recorder,
): VerifiedQuote {
  try {
    return run(quoteBytes, collateral, options, rec);
  } catch (e) {
    rec.fail(e);
    throw e;
  }
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
  return runRecorded(quoteBytes, collateral, options, new Recorder());
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
    const result = runRecorded(quoteBytes, collateral, options, rec);
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
      steps: Object.freeze(rec.steps),
      facts: Object.freeze({ ...rec.facts }),
    });
  }
}
