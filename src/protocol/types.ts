/**
 * The types the protocol state machines share: the injected dependencies (quote verifier,
 * appraiser), what a step returns, the events it reports and the service provider's result.
 *
 * @module
 */
import type { AttestError, ErrorCode } from '../errors.ts';
import type { RuleOutcome } from '../policy/appraise.ts';
import type {
  EnclaveIdentity,
  TcbStatus,
  TdIdentity,
  VerifiedEvidence,
  VerifiedIasReport,
  VerifiedQuote,
} from '../verify/types.ts';
import type { DecodedBody, RaMsgType } from '../wire/messages.ts';

/** A protocol message, decoded (incoming) or to be encoded (outgoing), tagged with its frame type. */
export type ProtocolMessage = DecodedBody;

/** A frame as the transport moves it: the `<type>` of the 20-byte header and the protobuf body. */
export interface RawFrame {
  readonly type: number;
  readonly body: Uint8Array;
}

/**
 * Verifies quotes for the service provider. EPID quotes (version 2) go to IAS, DCAP quotes
 * (versions 3, 4, 5) to local verification against collateral; either may be absent, and a quote
 * of a kind with no verifier is a configuration error.
 */
export interface QuoteVerifier {
  /**
   * The SigRL of an EPID group (IAS `GET /sigrl/{gid}`), raw bytes, empty when there is none.
   * `gid` is the 4-byte group id as msg1 carries it (little-endian).
   */
  getSigRl?(gid: Uint8Array): Promise<Uint8Array>;
  /**
   * Sends an EPID quote to IAS and verifies the signed report (signature, chain, that the report is
   * about this quote, the nonce). `nonce` is the session nonce, 32 lowercase hex digits.
   */
  verifyEpid?(quote: Uint8Array, options: { readonly nonce: string }): Promise<VerifiedIasReport>;
  /** Verifies a DCAP quote (v3/v4/v5) against collateral. */
  verifyDcap?(quote: Uint8Array): Promise<VerifiedQuote>;
}

/** What an appraiser answers: the policy layer's `Verdict` fits. */
export interface Appraisal {
  readonly accepted: boolean;
  /** Every rule, in the order judged. */
  readonly rules: readonly RuleOutcome[];
  /** When refused: the first failing rule's error. */
  readonly error?: AttestError | undefined;
}

/** Context given to the appraiser. */
export interface AppraisalContext {
  /** The session nonce, 32 lowercase hex digits (IAS nonce, EAR `eat_nonce`). */
  readonly nonce: string;
}

/** Appraises verified evidence against the relying party's policy (for example `policy/appraise`). */
export type Appraiser = (
  evidence: VerifiedEvidence,
  context: AppraisalContext,
) => Appraisal | Promise<Appraisal>;

/** The service provider's account of one session. Frozen. */
export interface SpResult {
  /** The enclave is what the policy accepts: the quote verified and the appraisal accepted it. */
  readonly trusted: boolean;
  /** The App confirmed (RA_APP_ATT_OK) that it decrypted the secret. */
  readonly secretDelivered: boolean;
  /** The kind of quote in msg3 (absent when the session ended before msg3). */
  readonly quoteType?: 'epid' | 'dcap';
  /** The TCB status, in DCAP names (IAS statuses mapped; absent when unknown or unmappable). */
  readonly status?: TcbStatus;
  /** The raw IAS `isvEnclaveQuoteStatus` (EPID only). */
  readonly iasStatus?: string;
  /** Advisory IDs the verifier reported. */
  readonly advisoryIds: readonly string[];
  /** The attested enclave (SGX). */
  readonly enclave?: EnclaveIdentity;
  /** The attested trust domain (TDX). */
  readonly td?: TdIdentity;
  /** The verified evidence. */
  readonly evidence?: VerifiedEvidence;
  /** The appraisal. */
  readonly verdict?: Appraisal;
  /**
   * Why the session did not end trusted with the secret delivered: a refusal is
   * `ERR_PROTOCOL_REFUSED` (its `cause` holds the underlying error, see {@link SpResult.refusalCode}),
   * anything else the check that failed.
   */
  readonly error?: AttestError;
  /** For a refusal: the code of the underlying cause (e.g. `ERR_POLICY_DEBUG`, `ERR_IAS_QUOTE_STATUS`). */
  readonly refusalCode?: ErrorCode;
  /** The session nonce, 32 lowercase hex digits. */
  readonly nonce: string;
}

/** Something a step reports, for logs and progress output. Never contains keys or the secret. */
export type ProtocolEvent =
  | { readonly kind: 'received'; readonly type: RaMsgType }
  | { readonly kind: 'sent'; readonly type: RaMsgType }
  | { readonly kind: 'msg0'; readonly extendedGroupId: number }
  | { readonly kind: 'msg1'; readonly gid: string }
  | { readonly kind: 'sigrl'; readonly size: number }
  | { readonly kind: 'msg3'; readonly quoteVersion: number; readonly quoteType: 'epid' | 'dcap' }
  | { readonly kind: 'evidence'; readonly evidence: VerifiedEvidence }
  | { readonly kind: 'verdict'; readonly verdict: Appraisal }
  | { readonly kind: 'refused'; readonly error: AttestError }
  | { readonly kind: 'secret-delivered'; readonly size: number }
  | { readonly kind: 'completed' }
  | { readonly kind: 'failed'; readonly error: AttestError };

/** What one step of a state machine produces. */
export interface Step<S> {
  /** The new state. */
  readonly state: S;
  /** Messages to send, in order. */
  readonly send: readonly ProtocolMessage[];
  /** What happened. */
  readonly events: readonly ProtocolEvent[];
  /** The session is over: send `send`, then close the connection. */
  readonly done: boolean;
}

/** What a driver feeds a state machine. */
export type ProtocolInput =
  /** The connection is up (the SP then sends RA_VERIFICATION). */
  | { readonly kind: 'start' }
  /** A decoded message arrived. */
  | { readonly kind: 'message'; readonly message: ProtocolMessage }
  /**
   * The session cannot go on: the connection ended (peer closed, timeout) or a frame did not decode.
   * `error` says why (default: `ERR_NET_CLOSED`).
   */
  | { readonly kind: 'closed'; readonly error?: AttestError };
