/**
 * The attestkit error hierarchy.
 *
 * One {@link AttestError} base class, one subclass per stage of the pipeline, and stable string
 * codes (`ERR_*`) for the fine-grained cases. Callers (the CLI, the HTTP service) map codes, never
 * messages. Every code is documented in `docs/errors.md`; a test keeps the two in lock-step.
 *
 * @module
 */

/** The stage of the pipeline an error comes from; each stage has its own error class. */
export type Stage = 'parse' | 'crypto' | 'verify' | 'policy' | 'protocol' | 'config' | 'network';

interface CodeInfo {
  readonly stage: Stage;
  /** The HTTP status the verification service answers with for this code. */
  readonly http: number;
}

/**
 * Every error code attestkit throws, with its stage and HTTP status. The keys are the stable API;
 * their meaning and remedy are documented in `docs/errors.md`.
 */
export const ERROR_CODES = {
  // ---- parse: bytes and text that are not what they claim to be ----
  ERR_WIRE_TRUNCATED: { stage: 'parse', http: 400 },
  ERR_WIRE_TRAILING_BYTES: { stage: 'parse', http: 400 },
  ERR_WIRE_LENGTH_LIMIT: { stage: 'parse', http: 400 },
  ERR_WIRE_INVALID_VALUE: { stage: 'parse', http: 400 },
  ERR_QUOTE_UNSUPPORTED_VERSION: { stage: 'parse', http: 422 },
  ERR_QUOTE_UNSUPPORTED_TEE_TYPE: { stage: 'parse', http: 422 },
  ERR_QUOTE_UNSUPPORTED_BODY_TYPE: { stage: 'parse', http: 422 },
  ERR_QUOTE_UNSUPPORTED_KEY_TYPE: { stage: 'parse', http: 422 },
  ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE: { stage: 'parse', http: 422 },
  ERR_FRAME_HEADER_INVALID: { stage: 'parse', http: 400 },
  ERR_FRAME_TOO_LARGE: { stage: 'parse', http: 413 },
  ERR_PROTOBUF_INVALID: { stage: 'parse', http: 400 },
  ERR_PROTOBUF_MISSING_FIELD: { stage: 'parse', http: 400 },
  ERR_PROTOBUF_BYTE_RANGE: { stage: 'parse', http: 400 },
  ERR_DER_INVALID: { stage: 'parse', http: 400 },
  ERR_DER_NON_MINIMAL: { stage: 'parse', http: 400 },
  ERR_DER_DEPTH: { stage: 'parse', http: 400 },
  ERR_PEM_INVALID: { stage: 'parse', http: 400 },
  ERR_HEX_INVALID: { stage: 'parse', http: 400 },
  ERR_JSON_INVALID: { stage: 'parse', http: 400 },
  ERR_COLLATERAL_FORMAT: { stage: 'parse', http: 400 },

  // ---- crypto: keys and ciphertexts ----
  ERR_CRYPTO_INVALID_PUBLIC_KEY: { stage: 'crypto', http: 400 },
  ERR_CRYPTO_INVALID_LENGTH: { stage: 'crypto', http: 400 },
  ERR_CRYPTO_DECRYPT_FAILED: { stage: 'crypto', http: 400 },
  ERR_CRYPTO_INVALID_PRIVATE_KEY: { stage: 'crypto', http: 400 },

  // ---- verify: signatures, chains, CRLs, collateral, TCB ----
  ERR_VERIFY_QUOTE_SIGNATURE: { stage: 'verify', http: 422 },
  ERR_VERIFY_QE_REPORT_SIGNATURE: { stage: 'verify', http: 422 },
  ERR_VERIFY_QE_REPORT_DATA: { stage: 'verify', http: 422 },
  ERR_VERIFY_NO_PCK_CHAIN: { stage: 'verify', http: 422 },
  ERR_VERIFY_NONZERO_TRAILING: { stage: 'verify', http: 422 },
  ERR_VERIFY_QE_IDENTITY_MISMATCH: { stage: 'verify', http: 422 },
  ERR_VERIFY_QE_TCB_REVOKED: { stage: 'verify', http: 422 },
  ERR_VERIFY_TCB_NO_MATCH: { stage: 'verify', http: 422 },
  ERR_VERIFY_TCB_REVOKED: { stage: 'verify', http: 422 },
  ERR_VERIFY_TDX_MODULE_MISMATCH: { stage: 'verify', http: 422 },
  ERR_VERIFY_TEE_MISMATCH: { stage: 'verify', http: 422 },
  ERR_PKI_SIGNATURE: { stage: 'verify', http: 422 },
  ERR_PKI_CHAIN: { stage: 'verify', http: 422 },
  ERR_PKI_UNTRUSTED_ROOT: { stage: 'verify', http: 422 },
  ERR_PKI_CERT_EXPIRED: { stage: 'verify', http: 422 },
  ERR_PKI_CERT_NOT_YET_VALID: { stage: 'verify', http: 422 },
  ERR_PKI_CA_CONSTRAINTS: { stage: 'verify', http: 422 },
  ERR_PKI_REVOKED: { stage: 'verify', http: 422 },
  ERR_PKI_CRL_MISSING: { stage: 'verify', http: 422 },
  ERR_PKI_CRL_SIGNATURE: { stage: 'verify', http: 422 },
  ERR_PKI_CRL_ISSUER: { stage: 'verify', http: 422 },
  ERR_PKI_CRL_EXPIRED: { stage: 'verify', http: 422 },
  ERR_PKI_CRL_NOT_YET_VALID: { stage: 'verify', http: 422 },
  ERR_PKI_PCK_EXTENSION: { stage: 'verify', http: 422 },
  ERR_COLLATERAL_TCB_INFO_SIGNATURE: { stage: 'verify', http: 422 },
  ERR_COLLATERAL_QE_IDENTITY_SIGNATURE: { stage: 'verify', http: 422 },
  ERR_COLLATERAL_EXPIRED: { stage: 'verify', http: 422 },
  ERR_COLLATERAL_NOT_YET_VALID: { stage: 'verify', http: 422 },
  ERR_COLLATERAL_FMSPC_MISMATCH: { stage: 'verify', http: 422 },
  ERR_COLLATERAL_PCEID_MISMATCH: { stage: 'verify', http: 422 },
  ERR_COLLATERAL_UNSUPPORTED_VERSION: { stage: 'verify', http: 422 },
  ERR_IAS_SIGNATURE: { stage: 'verify', http: 422 },
  ERR_IAS_CHAIN: { stage: 'verify', http: 422 },
  ERR_IAS_QUOTE_MISMATCH: { stage: 'verify', http: 422 },
  ERR_IAS_NONCE_MISMATCH: { stage: 'verify', http: 422 },
  ERR_IAS_QUOTE_STATUS: { stage: 'verify', http: 422 },
  ERR_IAS_REPORT_FORMAT: { stage: 'verify', http: 422 },
  ERR_EAR_INVALID: { stage: 'verify', http: 422 },

  // ---- policy: verified, but not what the relying party accepts ----
  ERR_POLICY_MR_ENCLAVE: { stage: 'policy', http: 403 },
  ERR_POLICY_MR_SIGNER: { stage: 'policy', http: 403 },
  ERR_POLICY_ISV_PROD_ID: { stage: 'policy', http: 403 },
  ERR_POLICY_ISV_SVN: { stage: 'policy', http: 403 },
  ERR_POLICY_DEBUG: { stage: 'policy', http: 403 },
  ERR_POLICY_TCB_STATUS: { stage: 'policy', http: 403 },
  ERR_POLICY_ADVISORY: { stage: 'policy', http: 403 },
  ERR_POLICY_COLLATERAL_AGE: { stage: 'policy', http: 403 },
  ERR_POLICY_TD_IDENTITY: { stage: 'policy', http: 403 },
  ERR_POLICY_INVALID: { stage: 'policy', http: 400 },

  // ---- protocol: the RA message exchange ----
  ERR_PROTOCOL_UNEXPECTED_MESSAGE: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_EXTENDED_GID: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_INVALID_GA: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_INVALID_GB: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_MSG2_SIGNATURE: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_MSG2_MAC: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_MSG2_INVALID: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_KDF_UNSUPPORTED: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_MSG3_MAC: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_GA_MISMATCH: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_REPORT_DATA: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_GID_MISMATCH: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_QUOTE_TYPE: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_ATT_RESULT_MAC: { stage: 'protocol', http: 400 },
  ERR_PROTOCOL_REFUSED: { stage: 'protocol', http: 403 },
  ERR_PROTOCOL_SESSION_ENDED: { stage: 'protocol', http: 400 },

  // ---- config: settings, flags and files ----
  ERR_CONFIG_INVALID: { stage: 'config', http: 500 },
  ERR_CONFIG_FILE: { stage: 'config', http: 500 },
  ERR_CONFIG_NO_IDENTITY: { stage: 'config', http: 500 },
  ERR_CONFIG_IAS_REQUIRED: { stage: 'config', http: 500 },
  ERR_CONFIG_UNSUPPORTED: { stage: 'config', http: 500 },

  // ---- network: peers and services ----
  ERR_NET_TIMEOUT: { stage: 'network', http: 504 },
  ERR_NET_CLOSED: { stage: 'network', http: 502 },
  ERR_NET_TLS: { stage: 'network', http: 502 },
  ERR_NET_UNREACHABLE: { stage: 'network', http: 502 },
  ERR_NET_HTTP_STATUS: { stage: 'network', http: 502 },
  ERR_NET_BAD_RESPONSE: { stage: 'network', http: 502 },
} as const;

/** The union of every stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes that belong to stage `S`. */
export type CodeOf<S extends Stage> = {
  [K in ErrorCode]: (typeof ERROR_CODES)[K]['stage'] extends S ? K : never;
}[ErrorCode];

const BRAND: unique symbol = Symbol.for('attestkit.AttestError') as never;

/** Options common to every {@link AttestError}. */
export interface AttestErrorOptions {
  /** The underlying error, if any. */
  readonly cause?: unknown;
  /** A sentence a person can act on (shown by the CLI). */
  readonly hint?: string;
}

/**
 * The base of every error attestkit throws on purpose. Check with {@link isAttestError} (which
 * survives duplicate copies of the package) or `instanceof`.
 */
export class AttestError extends Error {
  /** The stable code; see `docs/errors.md`. */
  readonly code: ErrorCode;
  /** The pipeline stage that raised it. */
  readonly stage: Stage;
  /** A remedy a person can act on, when one is known. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: AttestErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.stage = ERROR_CODES[code].stage;
    this.hint = options.hint;
    Object.defineProperty(this, BRAND, { value: true });
  }

  override get name(): string {
    return 'AttestError';
  }

  /** The HTTP status the service answers with for this error. */
  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }
}

/** Where in a binary or structured input a parse failed. */
export interface ParseLocation {
  /** Byte offset (binary inputs) at which the failure was detected. */
  readonly offset?: number;
  /** Dotted path of the field being read, e.g. `quote.signatureData.qeReport`. */
  readonly field?: string;
  /** Bytes needed by the field, when known. */
  readonly need?: number;
  /** Bytes available, when known. */
  readonly have?: number;
}

/** Input bytes or text that do not parse. Carries the offset and field path. */
export class ParseError extends AttestError {
  /** Byte offset of the failure, or -1 when the input is not binary. */
  readonly offset: number;
  /** Dotted path of the field being read. */
  readonly field: string;
  /** Bytes needed by the field, when known. */
  readonly need: number | undefined;
  /** Bytes available, when known. */
  readonly have: number | undefined;

  constructor(code: CodeOf<'parse'>, message: string, at: ParseLocation = {}, options?: AttestErrorOptions) {
    super(code, message, options);
    this.offset = at.offset ?? -1;
    this.field = at.field ?? '';
    this.need = at.need;
    this.have = at.have;
  }

  override get name(): string {
    return 'ParseError';
  }
}

/** A key, signature or ciphertext that is malformed or does not decrypt. */
export class CryptoError extends AttestError {
  constructor(code: CodeOf<'crypto'>, message: string, options?: AttestErrorOptions) {
    super(code, message, options);
  }
  override get name(): string {
    return 'CryptoError';
  }
}

/** A signature, chain, CRL, collateral or TCB check failed. */
export class VerificationError extends AttestError {
  constructor(code: CodeOf<'verify'>, message: string, options?: AttestErrorOptions) {
    super(code, message, options);
  }
  override get name(): string {
    return 'VerificationError';
  }
}

/** The evidence verified but the policy does not accept it. */
export class PolicyError extends AttestError {
  constructor(code: CodeOf<'policy'>, message: string, options?: AttestErrorOptions) {
    super(code, message, options);
  }
  override get name(): string {
    return 'PolicyError';
  }
}

/** A protocol message was out of order, malformed in meaning, or failed a protocol check. */
export class ProtocolError extends AttestError {
  constructor(code: CodeOf<'protocol'>, message: string, options?: AttestErrorOptions) {
    super(code, message, options);
  }
  override get name(): string {
    return 'ProtocolError';
  }
}

/** A setting, flag or configuration file is invalid. */
export class ConfigError extends AttestError {
  constructor(code: CodeOf<'config'>, message: string, options?: AttestErrorOptions) {
    super(code, message, options);
  }
  override get name(): string {
    return 'ConfigError';
  }
}

/** A peer or service was unreachable, too slow, or answered garbage. */
export class NetworkError extends AttestError {
  constructor(code: CodeOf<'network'>, message: string, options?: AttestErrorOptions) {
    super(code, message, options);
  }
  override get name(): string {
    return 'NetworkError';
  }
}

/** True for any attestkit error, including one from another copy of the package. */
export function isAttestError(value: unknown): value is AttestError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

// Compile-time check that every entry of ERROR_CODES is well formed.
const _wellFormed: Readonly<Record<string, CodeInfo>> = ERROR_CODES;
void _wellFormed;
