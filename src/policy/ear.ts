/**
 * Attestation results as EAT Attestation Results (EAR, draft-ietf-rats-ear): a signed JWT a
 * relying party can pass on, carrying the verdict, the evidence's key facts and the nonce.
 *
 * Claims: `eat_profile` = `tag:github.com,2023:veraison/ear`, `iat`, `exp`, `ear.verifier-id`,
 * `eat_nonce` (when given) and one submodule (`sgx` or `tdx`) holding `ear.status`, an AR4SI
 * `ear.trustworthiness-vector`, `ear.appraisal-policy-id` and attestkit's own `attestkit.*` claims.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { VerificationError } from '../errors.ts';
import type { EnclaveIdentity, TcbStatus, TdIdentity, VerifiedEvidence } from '../verify/types.ts';
import type { Verdict } from './appraise.ts';

/** The EAR profile this module emits (draft-ietf-rats-ear §3). */
export const EAR_PROFILE = 'tag:github.com,2023:veraison/ear';

/** `ear.status`: the overall tier of one submodule (draft-ietf-rats-ear §3.1). */
export type EarStatus = 'affirming' | 'warning' | 'contraindicated' | 'none';

/**
 * The AR4SI trustworthiness vector (draft-ietf-rats-ar4si §2.3): 0 no claim, 2..31 affirming,
 * 32..95 warning, 96..127 contraindicated.
 */
export interface TrustworthinessVector {
  readonly 'instance-identity': number;
  readonly configuration: number;
  readonly executables: number;
  readonly hardware: number;
}

/** One appraised attester (a submodule of the EAR). */
export interface EarSubmod {
  readonly 'ear.status': EarStatus;
  readonly 'ear.trustworthiness-vector'?: TrustworthinessVector;
  readonly 'ear.appraisal-policy-id': string;
  readonly 'attestkit.evidence-kind': 'dcap' | 'epid';
  readonly 'attestkit.tee-type': 'SGX' | 'TDX';
  readonly 'attestkit.tcb-status'?: TcbStatus;
  /** EPID only: the raw IAS `isvEnclaveQuoteStatus`. */
  readonly 'attestkit.ias-status'?: string;
  readonly 'attestkit.advisory-ids': readonly string[];
  readonly 'attestkit.identity'?: EnclaveIdentity | TdIdentity;
  /** DCAP: the earliest collateral issue time; EPID: the IAS report timestamp. */
  readonly 'attestkit.collateral-issued-at': string;
  /** DCAP only: the earliest collateral expiry. */
  readonly 'attestkit.collateral-expires-at'?: string;
  /** The policy rules that failed (empty when accepted). */
  readonly 'attestkit.failed-rules': readonly string[];
}

/** The claims set of an attestkit EAR. */
export interface EarClaims {
  readonly eat_profile: string;
  readonly iat: number;
  readonly exp: number;
  readonly 'ear.verifier-id': { readonly developer: string; readonly build: string };
  readonly eat_nonce?: string;
  readonly submods: Readonly<Record<string, EarSubmod>>;
}

/** Options of {@link createEar}. */
export interface CreateEarOptions {
  /** The verifier's private key (KeyObject or PEM). EC P-256 (ES256) by default. */
  readonly signingKey: KeyObject | string;
  /** JWS algorithm; default from the key: ES256 (P-256), ES384 (P-384), EdDSA (Ed25519), PS256 (RSA). */
  readonly alg?: string;
  /** A key id for the JWS header. */
  readonly kid?: string;
  /** Who made the verdict, e.g. `{ developer: 'attestkit', build: 'attestkit 0.1.0' }`. */
  readonly verifierId: { readonly developer: string; readonly build: string };
  /** The relying party's nonce: bytes (sent base64url) or a base64url/hex string (sent as is), 8..64 bytes. */
  readonly nonce?: Uint8Array | string;
  /** The issue time. */
  readonly now: Date;
  /** Lifetime in seconds (default 3600). */
  readonly ttlSeconds?: number;
  /** The submodule name; default `sgx` or `tdx` by the evidence's TEE. */
  readonly submod?: string;
}

/** Options of {@link verifyEar}. */
export interface VerifyEarOptions {
  /** The time `exp` and `iat` are checked against. */
  readonly now: Date;
  /** Accepted JWS algorithms (default: ES256, ES384, EdDSA, PS256). */
  readonly algorithms?: readonly string[];
  /** When given, `eat_nonce` must equal it. */
  readonly expectedNonce?: string;
}

const DEFAULT_TTL_SECONDS = 3600;
const DEFAULT_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'PS256'] as const;
const EAR_STATUSES: readonly string[] = ['affirming', 'warning', 'contraindicated', 'none'];

// AR4SI tiers (draft-ietf-rats-ar4si §2.3.x).
const TV_AFFIRMING = 2;
const TV_WARNING_UNSAFE = 32;
const TV_WARNING_UNSAFE_EXECUTABLES = 33;
const TV_CONTRAINDICATED = 96;
const TV_UNRECOGNIZED = 97;

function algFor(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return 'ES256';
      if (curve === 'secp384r1') return 'ES384';
      throw new RangeError(`unsupported EC curve ${curve} for an EAR`);
    }
    case 'ed25519':
      return 'EdDSA';
    case 'rsa':
    case 'rsa-pss':
      return 'PS256';
    default:
      throw new RangeError(`unsupported key type ${key.asymmetricKeyType} for an EAR`);
  }
}

function nonceClaim(nonce: Uint8Array | string): string {
  if (nonce instanceof Uint8Array) {
    if (nonce.length < 8 || nonce.length > 64) throw new RangeError('EAR nonce must be 8..64 bytes');
    return Buffer.from(nonce).toString('base64url');
  }
  if (!/^[A-Za-z0-9_-]{8,88}$/.test(nonce)) {
    throw new RangeError('EAR nonce must be 8..88 base64url (or hex) characters');
  }
  return nonce;
}

function earStatus(verdict: Verdict, evidence: VerifiedEvidence): EarStatus {
  if (!verdict.accepted) return 'contraindicated';
  return evidence.tcbStatus === 'UpToDate' && evidence.advisoryIds.length === 0 ? 'affirming' : 'warning';
}

function vector(verdict: Verdict, evidence: VerifiedEvidence): TrustworthinessVector {
  const failed = new Set(verdict.rules.filter((r) => !r.ok).map((r) => r.rule));
  const identityFailed = [
    'mrEnclave',
    'mrSigner',
    'isvProdId',
    'td.mrTd',
    'td.mrSeam',
    'td.mrSignerSeam',
  ].some((r) => failed.has(r));
  const executablesFailed = ['minIsvSvn', 'td.rtmr0', 'td.rtmr1', 'td.rtmr2', 'td.rtmr3'].some((r) =>
    failed.has(r),
  );
  const configFailed = failed.has('debug') || failed.has('td.tdAttributes');
  const s = evidence.tcbStatus;
  const hardware =
    s === undefined || s === 'Revoked'
      ? TV_CONTRAINDICATED
      : s === 'UpToDate' && evidence.advisoryIds.length === 0
        ? TV_AFFIRMING
        : TV_WARNING_UNSAFE;
  return {
    'instance-identity': identityFailed ? TV_UNRECOGNIZED : TV_AFFIRMING,
    configuration: configFailed ? TV_CONTRAINDICATED : TV_AFFIRMING,
    executables: executablesFailed ? TV_WARNING_UNSAFE_EXECUTABLES : TV_AFFIRMING,
    hardware,
  };
}

/**
 * Signs an EAR for a verdict on some evidence (draft-ietf-rats-ear §3, JWT serialisation).
 * `ear.status` is `affirming` for accepted `UpToDate` evidence without advisories, `warning` for
 * other accepted evidence, and `contraindicated` when the policy refused it.
 */
export async function createEar(
  verdict: Verdict,
  evidence: VerifiedEvidence,
  options: CreateEarOptions,
): Promise<string> {
  const now = options.now;
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw new TypeError('options.now must be a valid Date');
  const key =
    typeof options.signingKey === 'string' ? createPrivateKey(options.signingKey) : options.signingKey;
  if (key.type !== 'private') throw new TypeError('signingKey must be a private key');
  const alg = options.alg ?? algFor(key);
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new RangeError('ttlSeconds must be a positive integer');
  const iat = Math.floor(now.getTime() / 1000);
  const teeType = evidence.kind === 'dcap' ? evidence.teeType : 'SGX';
  const identity =
    evidence.kind === 'dcap' ? (teeType === 'TDX' ? evidence.td : evidence.enclave) : evidence.enclave;
  const submod: EarSubmod = {
    'ear.status': earStatus(verdict, evidence),
    'ear.trustworthiness-vector': vector(verdict, evidence),
    'ear.appraisal-policy-id': verdict.policyId,
    'attestkit.evidence-kind': evidence.kind,
    'attestkit.tee-type': teeType,
    ...(evidence.tcbStatus === undefined ? {} : { 'attestkit.tcb-status': evidence.tcbStatus }),
    ...(evidence.kind === 'epid' ? { 'attestkit.ias-status': evidence.iasStatus } : {}),
    'attestkit.advisory-ids': evidence.advisoryIds,
    ...(identity === undefined ? {} : { 'attestkit.identity': identity }),
    'attestkit.collateral-issued-at':
      evidence.kind === 'dcap' ? evidence.collateralIssuedAt : evidence.timestamp,
    ...(evidence.kind === 'dcap' ? { 'attestkit.collateral-expires-at': evidence.collateralExpiresAt } : {}),
    'attestkit.failed-rules': verdict.rules.filter((r) => !r.ok).map((r) => r.rule),
  };
  const claims = {
    eat_profile: EAR_PROFILE,
    'ear.verifier-id': { developer: options.verifierId.developer, build: options.verifierId.build },
    ...(options.nonce === undefined ? {} : { eat_nonce: nonceClaim(options.nonce) }),
    submods: { [options.submod ?? teeType.toLowerCase()]: submod },
  };
  const header = { alg, typ: 'JWT', ...(options.kid === undefined ? {} : { kid: options.kid }) };
  return new SignJWT(claims as unknown as Record<string, unknown>)
    .setProtectedHeader(header)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(key);
}

function invalid(message: string, cause?: unknown): never {
  throw new VerificationError('ERR_EAR_INVALID', `EAR: ${message}`, cause === undefined ? {} : { cause });
}

/**
 * Verifies an EAR's signature with the verifier's public key, its `iat`/`exp` at `now`, its profile
 * and the shape of its submodules, and returns its claims.
 *
 * @throws VerificationError `ERR_EAR_INVALID`.
 */
export async function verifyEar(
  token: string,
  publicKey: KeyObject | string,
  options: VerifyEarOptions,
): Promise<EarClaims> {
  const now = options.now;
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw new TypeError('options.now must be a valid Date');
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  let payload: Record<string, unknown>;
  try {
    const r = await jwtVerify(token, key, {
      currentDate: now,
      algorithms: [...(options.algorithms ?? DEFAULT_ALGORITHMS)],
      requiredClaims: ['iat', 'exp'],
    });
    payload = r.payload as Record<string, unknown>;
  } catch (cause) {
    invalid(
      `signature or time check failed (${(cause as { code?: string }).code ?? 'invalid token'})`,
      cause,
    );
  }
  if (typeof payload.iat === 'number' && payload.iat * 1000 > now.getTime() + 60_000)
    invalid('issued in the future');
  if (payload.eat_profile !== EAR_PROFILE) invalid(`eat_profile is not ${EAR_PROFILE}`);
  const vid = payload['ear.verifier-id'] as Record<string, unknown> | undefined;
  if (
    typeof vid !== 'object' ||
    vid === null ||
    typeof vid.developer !== 'string' ||
    typeof vid.build !== 'string'
  ) {
    invalid('ear.verifier-id is missing');
  }
  const submods = payload.submods;
  if (typeof submods !== 'object' || submods === null || Object.keys(submods).length === 0) {
    invalid('submods is missing');
  }
  for (const [name, sub] of Object.entries(submods)) {
    const status = (sub as Record<string, unknown> | null)?.['ear.status'];
    if (typeof status !== 'string' || !EAR_STATUSES.includes(status))
      invalid(`submods.${name}: bad ear.status`);
  }
  if (options.expectedNonce !== undefined && payload.eat_nonce !== options.expectedNonce) {
    invalid('eat_nonce does not match');
  }
  return Object.freeze(payload) as unknown as EarClaims;
}
