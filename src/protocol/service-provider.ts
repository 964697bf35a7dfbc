/**
 * The ServiceProvider state machine (the seed's VerificationManager + ServiceProvider), sans I/O.
 *
 * PROTOCOL-SEED.md §4.1: the SP is the TLS client; it opens with RA_VERIFICATION, answers MSG0 with
 * its echo, MSG1 with MSG2, MSG3 with ATT_RESULT, and ends on APP_ATT_OK. One typed state per step;
 * any other message is `ERR_PROTOCOL_UNEXPECTED_MESSAGE` and ends the session (§11.2 B4). The seed's
 * gaps are closed (§12 item 4): extended GID 0 only and the quote's EPID group equal to msg1's (S8);
 * g_a validated (S14); constant-time MACs (S12); report_data over all 64 bytes; the quote sized by
 * its own length fields (B10); the quote verified (IAS report signature, chain and nonce, S4/S5, or
 * DCAP) and appraised against a policy (S3); a CSPRNG for g_b (S2); exact element counts (B3, B5).
 *
 * Where the fix would change bytes a seed App expects, the seed's behaviour stays on the wire: on
 * refusal the SP still sends ATT_RESULT with a zero payload and a zero tag (§4.1 step 7, §12 item
 * 4), and reports the refusal in its result.
 *
 * @module
 */
import { aesCmac } from '../crypto/cmac.ts';
import { timingSafeEqual } from '../crypto/compare.ts';
import { aesGcmEncrypt, GCM_IV_SIZE, GCM_TAG_SIZE } from '../crypto/gcm.ts';
import { deriveRaKeys, type RaKeys, raReportData } from '../crypto/kdf.ts';
import { createEphemeralEcdh, type EcPrivateKey, signSgx, validateEc256Public } from '../crypto/p256.ts';
import { type RandomSource, systemRandom } from '../crypto/random.ts';
import { type AttestError, ConfigError, isAttestError, ProtocolError, VerificationError } from '../errors.ts';
import type { VerifiedEvidence } from '../verify/types.ts';
import { bytesEqual, isAllZero, toHex } from '../wire/hex.ts';
import { RA_MSG_TYPES } from '../wire/messages.ts';
import { parseQuote, type Quote, quoteVersion } from '../wire/quote.ts';
import {
  encodeAttestationResult,
  encodePlatformInfoBlob,
  MAX_ATTESTATION_PAYLOAD_SIZE,
  type Msg2,
  msg2MacData,
  msg2SignatureData,
  msg3MacData,
  type PlatformInfoBlob,
  parseMsg3,
  SGX_SPID_SIZE,
  zeroPlatformInfoBlob,
} from '../wire/ra.ts';
import {
  attestationResultToMessage,
  msg1FromMessage,
  msg2ToMessage,
  msg3BytesFromMessage,
} from './convert.ts';
import { ProtocolSession, type ProtocolSessionOptions } from './session.ts';
import { closedError, receivedMessage, stepAfterEnd } from './step-checks.ts';
import type {
  Appraisal,
  Appraiser,
  ProtocolEvent,
  ProtocolInput,
  ProtocolMessage,
  QuoteVerifier,
  SpResult,
  Step,
} from './types.ts';

/** The seed's secret: `{0x00, 0x01}` (PROTOCOL-SEED.md §6.5). */
export const SEED_SECRET: Uint8Array = Uint8Array.of(0x00, 0x01);
/** `AES_CMAC_KDF_ID` (§2.3). */
const KDF_ID_AES_CMAC = 1;
/** `SAMPLE_QUOTE_LINKABLE_SIGNATURE`, the seed's quote type (§2.3, §9). */
const QUOTE_TYPE_LINKABLE = 1;
/** The seed's GCM IV, 0^12 (§6.5, S11). Safe here: SK is fresh per session and encrypts once. */
const ZERO_IV = new Uint8Array(GCM_IV_SIZE);
/** The payload of a refusal: the seed's two zero bytes (§4.1 step 7). */
const REFUSAL_PAYLOAD_SIZE = 2;
/** Session nonce size (IAS nonce, EAR `eat_nonce`). */
const NONCE_SIZE = 16;
/** The real IAS platformInfoBlob: TLV header `15 02 00 65` then 101 bytes (§5.6). */
const IAS_PIB_HEADER = Uint8Array.of(0x15, 0x02, 0x00, 0x65);
const IAS_PIB_SIZE = 4 + 101;

/** Options of {@link ServiceProvider}. */
export interface ServiceProviderOptions {
  /** Verifies msg3's quote: IAS for EPID (v2), local DCAP verification for v3/v4/v5. */
  readonly verifier: QuoteVerifier;
  /** Appraises the verified evidence (for example `policy/appraise` with the relying party's policy). */
  readonly appraise: Appraiser;
  /** The SP's long-term P-256 key; the enclave pins its public key (§6.3). */
  readonly signingKey: EcPrivateKey;
  /** Randomness for g_b and the session nonce (default: the system CSPRNG; §11.1 S2). */
  readonly random?: RandomSource;
  /** The SPID sent in msg2, 16 bytes (default zeros; IAS needs the registered one). */
  readonly spid?: Uint8Array;
  /** msg2 `quote_type`: 0 unlinkable, 1 linkable (default 1, as the seed). Unused for DCAP. */
  readonly quoteType?: 0 | 1;
  /** The secret provisioned to an accepted enclave (default the seed's `{0x00, 0x01}`). */
  readonly secret?: Uint8Array;
  /**
   * Draw ECDSA nonces from this source instead of OpenSSL (reproduces Intel's sample msg2 bit for bit
   * with `dangerouslyIntelSampleRandom`). A predictable nonce reveals the signing key: golden tests only.
   */
  readonly dangerouslyNonceSource?: RandomSource;
}

/** The SP's state: one per step of §4.1. */
export type SpState =
  /** Before the connection is up. */
  | { readonly step: 'start'; readonly nonce: string }
  /** RA_VERIFICATION sent; waiting for the App's MSG0. */
  | { readonly step: 'await-msg0'; readonly nonce: string }
  /** MSG0 echoed; waiting for MSG1. */
  | { readonly step: 'await-msg1'; readonly nonce: string; readonly extendedGroupId: number }
  /** MSG2 sent; waiting for MSG3. Holds the session keys (never logged). */
  | {
      readonly step: 'await-msg3';
      readonly nonce: string;
      readonly gA: Uint8Array;
      readonly gB: Uint8Array;
      readonly gid: Uint8Array;
      readonly keys: RaKeys;
    }
  /** ATT_RESULT with the secret sent; waiting for APP_ATT_OK. */
  | { readonly step: 'await-app-att-ok'; readonly nonce: string; readonly result: SpResult }
  /** The enclave was accepted and confirmed it decrypted the secret. */
  | { readonly step: 'done'; readonly result: SpResult }
  /** Refused, or a check failed: `result.error` says why. */
  | { readonly step: 'failed'; readonly result: SpResult; readonly error: AttestError };

/** One step of the SP. */
export type SpStep = Step<SpState>;

interface ResultParts {
  trusted?: boolean;
  secretDelivered?: boolean;
  quoteType?: 'epid' | 'dcap';
  evidence?: VerifiedEvidence;
  verdict?: Appraisal;
  error?: AttestError;
}

function makeResult(nonce: string, p: ResultParts): SpResult {
  const e = p.evidence;
  const cause = p.error?.code === 'ERR_PROTOCOL_REFUSED' ? p.error.cause : undefined;
  const result: SpResult = {
    trusted: p.trusted ?? false,
    secretDelivered: p.secretDelivered ?? false,
    ...(p.quoteType === undefined ? {} : { quoteType: p.quoteType }),
    ...(e?.tcbStatus === undefined ? {} : { status: e.tcbStatus }),
    ...(e?.kind === 'epid' ? { iasStatus: e.iasStatus } : {}),
    advisoryIds: e?.advisoryIds ?? [],
    ...(e?.enclave === undefined ? {} : { enclave: e.enclave }),
    ...(e?.kind === 'dcap' && e.td !== undefined ? { td: e.td } : {}),
    ...(e === undefined ? {} : { evidence: e }),
    ...(p.verdict === undefined ? {} : { verdict: p.verdict }),
    ...(p.error === undefined ? {} : { error: p.error }),
    ...(isAttestError(cause) ? { refusalCode: cause.code } : {}),
    nonce,
  };
  return Object.freeze(result);
}

function stateNonce(state: SpState): string {
  return 'nonce' in state ? state.nonce : state.result.nonce;
}

function unexpected(what: string, state: SpState): ProtocolError {
  return new ProtocolError('ERR_PROTOCOL_UNEXPECTED_MESSAGE', `${what} in state ${state.step}`);
}

function zeroKeys(keys: RaKeys): void {
  keys.kdk.fill(0);
  keys.smk.fill(0);
  keys.sk.fill(0);
  keys.mk.fill(0);
  keys.vk.fill(0);
}

/**
 * Maps the real IAS platformInfoBlob (hex TLV `15 02 00 65` + `sgx_platform_info_t`, §5.6) onto the
 * seed's 97-byte blob: statuses (big-endian in IAS's blob), TCB/PSE/PSDA SVNs, and the GID in the
 * `performance_rekey_gid` slot. The signature field stays zero. Anything else yields the all-zero
 * blob of a success.
 */
function platformInfoBlobFor(evidence: VerifiedEvidence | undefined): PlatformInfoBlob {
  const zero = zeroPlatformInfoBlob();
  if (evidence?.kind !== 'epid' || evidence.platformInfoBlob === undefined) return zero;
  const hex = evidence.platformInfoBlob;
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== IAS_PIB_SIZE * 2) return zero;
  const b = new Uint8Array(Buffer.from(hex, 'hex'));
  if (!bytesEqual(b.subarray(0, 4), IAS_PIB_HEADER)) return zero;
  const p = b.subarray(4);
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return {
    epidGroupStatus: p[0]!,
    tcbEvaluationStatus: view.getUint16(1, false),
    pseEvaluationStatus: view.getUint16(3, false),
    latestEquivalentTcbPsvn: p.slice(5, 23),
    latestPseIsvsvn: p.slice(23, 25),
    latestPsdaSvn: p.slice(25, 29),
    // p[29..33) is the xeid, absent from the sample format; p[33..37) the GID.
    performanceRekeyGid: p.slice(33, 37),
    signature: new Uint8Array(64),
  };
}

/** True when an error means "the evidence is not acceptable" rather than "the session broke". */
function isRefusal(e: AttestError): boolean {
  return e.stage === 'verify' || e.stage === 'policy';
}

function refusedError(cause: AttestError | undefined): ProtocolError {
  const detail =
    cause === undefined ? 'the appraisal refused the evidence' : `${cause.code}: ${cause.message}`;
  return new ProtocolError('ERR_PROTOCOL_REFUSED', `attestation refused (${detail})`, {
    ...(cause === undefined ? {} : { cause }),
  });
}

function reportDataOf(evidence: VerifiedEvidence): string | undefined {
  if (evidence.kind === 'epid') return evidence.enclave.reportData;
  return evidence.enclave?.reportData ?? evidence.td?.reportData;
}

/** What the synchronous checks of msg3 pass on to its verification. */
interface CheckedMsg3 {
  /** The quote bytes as msg3 carried them (what the verifier checks). */
  readonly quote: Uint8Array;
  readonly version: number;
  readonly quoteType: 'epid' | 'dcap';
  /** EPID (v2) quotes: the quote's group id. */
  readonly epidGroupId: Uint8Array | undefined;
  /** The session's report_data, lowercase hex. */
  readonly expectedHex: string;
}

/** §4.1 step 6, §6.4: msg3's structure, g_a, MAC, quote framing and report_data binding. */
function checkMsg3(
  state: Extract<SpState, { step: 'await-msg3' }>,
  m: Parameters<typeof msg3BytesFromMessage>[0],
  events: ProtocolEvent[],
): CheckedMsg3 {
  const { keys } = state;
  // §11.2 B3/B5: exact element counts; the quote is never cut at 1116 bytes (B10).
  const msg3 = parseMsg3(msg3BytesFromMessage(m));
  // §4.1 step 6: msg3.g_a equals msg1's (SP_PROTOCOL_ERROR in the seed).
  if (!bytesEqual(msg3.gA, state.gA)) {
    throw new ProtocolError('ERR_PROTOCOL_GA_MISMATCH', 'msg3 g_a differs from msg1 g_a');
  }
  // §6.4: msg3.mac = CMAC_SMK(g_a ‖ ps_sec_prop ‖ quote), compared in constant time (S12).
  if (!timingSafeEqual(aesCmac(keys.smk, msg3MacData(msg3)), msg3.mac)) {
    throw new ProtocolError('ERR_PROTOCOL_MSG3_MAC', 'msg3 MAC (CMAC under SMK) does not verify');
  }
  // §5.3 / B10: the quote is sized by its own length fields. EPID v2: nothing may follow it;
  // DCAP: trailing bytes are recorded and judged by the verifier (DCAP-VERIFICATION.md §11).
  const version = quoteVersion(msg3.quote);
  const quote: Quote = parseQuote(msg3.quote, { allowTrailing: version !== 2 });
  const quoteType = quote.version === 2 ? 'epid' : 'dcap';
  events.push({ kind: 'msg3', quoteVersion: quote.version, quoteType });
  // §6.4: report_data = SHA-256(g_a ‖ g_b ‖ VK) ‖ 0^32, all 64 bytes compared.
  const expected = raReportData(state.gA, state.gB, keys.vk);
  if (!bytesEqual(quote.body.reportData, expected)) {
    throw new ProtocolError(
      'ERR_PROTOCOL_REPORT_DATA',
      "the quote's report_data is not SHA-256(g_a ‖ g_b ‖ VK) ‖ 0^32",
    );
  }
  return {
    quote: msg3.quote,
    version: quote.version,
    quoteType,
    epidGroupId: quote.version === 2 ? quote.epidGroupId : undefined,
    expectedHex: toHex(expected),
  };
}

/**
 * The ServiceProvider (see the module comment). Stateless itself: `step` maps a state and an input
 * to the next state, the messages to send and events. {@link ServiceProvider.session} wraps one
 * session for a transport.
 */
export class ServiceProvider {
  readonly #verifier: QuoteVerifier;
  readonly #appraise: Appraiser;
  readonly #signingKey: EcPrivateKey;
  readonly #random: RandomSource;
  readonly #spid: Uint8Array;
  readonly #quoteType: number;
  readonly #secret: Uint8Array;
  readonly #nonceSource: RandomSource | undefined;

  constructor(options: ServiceProviderOptions) {
    if (typeof options.appraise !== 'function') throw new TypeError('appraise must be a function');
    if (typeof options.verifier !== 'object' || options.verifier === null)
      throw new TypeError('verifier is required');
    this.#verifier = options.verifier;
    this.#appraise = options.appraise;
    this.#signingKey = options.signingKey;
    this.#random = options.random ?? systemRandom;
    const spid = options.spid ?? new Uint8Array(SGX_SPID_SIZE);
    if (!(spid instanceof Uint8Array) || spid.length !== SGX_SPID_SIZE)
      throw new RangeError('spid must be 16 bytes');
    this.#spid = spid.slice();
    const qt = options.quoteType ?? QUOTE_TYPE_LINKABLE;
    if (qt !== 0 && qt !== 1) throw new RangeError('quoteType must be 0 or 1');
    this.#quoteType = qt;
    const secret = options.secret ?? SEED_SECRET;
    if (
      !(secret instanceof Uint8Array) ||
      secret.length === 0 ||
      secret.length > MAX_ATTESTATION_PAYLOAD_SIZE
    ) {
      throw new RangeError(`secret must be 1..${MAX_ATTESTATION_PAYLOAD_SIZE} bytes`);
    }
    this.#secret = secret.slice();
    this.#nonceSource = options.dangerouslyNonceSource;
    // Fail at construction, not mid-session, when the key is unusable.
    signSgx(this.#signingKey, new Uint8Array(0));
  }

  /** A fresh session state with a fresh 16-byte nonce. */
  initialState(): SpState {
    const nonce = this.#random(NONCE_SIZE);
    if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_SIZE)
      throw new RangeError('RandomSource broke its contract');
    return Object.freeze({ step: 'start', nonce: toHex(nonce) });
  }

  /** A session for a transport, starting from a fresh {@link ServiceProvider.initialState}. */
  session(options: ProtocolSessionOptions = {}): ProtocolSession<SpState> {
    return new ProtocolSession<SpState>(this, this.initialState(), options);
  }

  /**
   * Advances a session. Never throws for bad input: a failed check yields the `failed` state (with
   * `done`) whose result carries the error. Only programming errors (a broken verifier throwing a
   * non-AttestError, wrong argument types) escape.
   */
  step(state: SpState, input: ProtocolInput): Promise<SpStep> {
    const events: ProtocolEvent[] = [];
    // Not async: while a step waits (on IAS or the quote verifier) nothing here keeps the input.
    let running: Promise<SpStep>;
    try {
      running = this.#step(state, input, events);
    } catch (e) {
      running = Promise.reject(e);
    }
    return running.catch((e: unknown) => this.#failed(state, e, events));
  }

  /** The step that ends a session on an AttestError (programming errors are rethrown). */
  #failed(state: SpState, e: unknown, events: ProtocolEvent[]): SpStep {
    if (!isAttestError(e)) throw e;
    if (state.step === 'await-msg3') zeroKeys(state.keys);
    const nonce = stateNonce(state);
    const prior = 'result' in state ? state.result : undefined;
    const result =
      state.step === 'done' || state.step === 'failed'
        ? state.result
        : makeResult(nonce, {
            ...(prior?.trusted === true ? { trusted: true } : {}),
            ...(prior?.quoteType === undefined ? {} : { quoteType: prior.quoteType }),
            ...(prior?.evidence === undefined ? {} : { evidence: prior.evidence }),
            ...(prior?.verdict === undefined ? {} : { verdict: prior.verdict }),
            error: e,
          });
    events.push({ kind: 'failed', error: e });
    const next: SpState =
      state.step === 'done' || state.step === 'failed'
        ? state
        : Object.freeze({ step: 'failed', result, error: e });
    return { state: next, send: [], events, done: true };
  }

  async #step(state: SpState, input: ProtocolInput, events: ProtocolEvent[]): Promise<SpStep> {
    if (state.step === 'done' || state.step === 'failed') return stepAfterEnd(state, input, events);
    if (input.kind === 'closed') throw closedError(input, 'App', state.step);
    if (input.kind === 'start') {
      if (state.step !== 'start') throw unexpected('start', state);
      // §4.1 step 1: the SP opens with InitialMessage{type=5}.
      const send: ProtocolMessage[] = [
        { type: RA_MSG_TYPES.RA_VERIFICATION, message: { type: RA_MSG_TYPES.RA_VERIFICATION } },
      ];
      events.push({ kind: 'sent', type: RA_MSG_TYPES.RA_VERIFICATION });
      return { state: Object.freeze({ step: 'await-msg0', nonce: state.nonce }), send, events, done: false };
    }
    const msg = receivedMessage(input.message, events);
    switch (state.step) {
      case 'start':
        throw unexpected(`message ${msg.type} before start`, state);
      case 'await-msg0':
        if (msg.type !== RA_MSG_TYPES.RA_MSG0) throw unexpected(`message ${msg.type}`, state);
        return this.#onMsg0(state, msg.message, events);
      case 'await-msg1':
        if (msg.type !== RA_MSG_TYPES.RA_MSG1) throw unexpected(`message ${msg.type}`, state);
        return this.#onMsg1(state, msg.message, events);
      case 'await-msg3':
        if (msg.type !== RA_MSG_TYPES.RA_MSG3) throw unexpected(`message ${msg.type}`, state);
        return this.#onMsg3(state, msg.message, events);
      case 'await-app-att-ok': {
        if (msg.type !== RA_MSG_TYPES.RA_APP_ATT_OK) throw unexpected(`message ${msg.type}`, state);
        // §4.1 step 8: the App decrypted the secret; the SP closes.
        const result = makeResult(state.nonce, {
          trusted: true,
          secretDelivered: true,
          ...(state.result.quoteType === undefined ? {} : { quoteType: state.result.quoteType }),
          ...(state.result.evidence === undefined ? {} : { evidence: state.result.evidence }),
          ...(state.result.verdict === undefined ? {} : { verdict: state.result.verdict }),
        });
        events.push({ kind: 'completed' });
        return { state: Object.freeze({ step: 'done', result }), send: [], events, done: true };
      }
      default:
        throw unexpected('input', state);
    }
  }

  /** §4.1 step 2-3: MSG0 → the echo with status 0. */
  #onMsg0(
    state: Extract<SpState, { step: 'await-msg0' }>,
    m: { readonly type: number; readonly epid: number; readonly status?: number },
    events: ProtocolEvent[],
  ): SpStep {
    if (m.status === 1) {
      // §4.2: TYPE_TERMINATE: the App could not get its extended EPID group id.
      throw new ProtocolError('ERR_PROTOCOL_SESSION_ENDED', 'the App sent MSG0 with status TERMINATE');
    }
    if (m.status !== undefined && m.status !== 0) {
      throw new ProtocolError('ERR_PROTOCOL_UNEXPECTED_MESSAGE', `MSG0 status ${m.status}`);
    }
    // §10 / §11.1 S8: only extended EPID group 0 (IAS, DCAP) is supported.
    if (m.epid !== 0) {
      throw new ProtocolError('ERR_PROTOCOL_EXTENDED_GID', `extended EPID group id ${m.epid} is not 0`);
    }
    events.push({ kind: 'msg0', extendedGroupId: m.epid });
    const send: ProtocolMessage[] = [
      { type: RA_MSG_TYPES.RA_MSG0, message: { type: RA_MSG_TYPES.RA_MSG0, epid: m.epid, status: 0 } },
    ];
    events.push({ kind: 'sent', type: RA_MSG_TYPES.RA_MSG0 });
    return {
      state: Object.freeze({ step: 'await-msg1', nonce: state.nonce, extendedGroupId: m.epid }),
      send,
      events,
      done: false,
    };
  }

  /** §4.1 step 4: MSG1 → MSG2 (`sp_ra_proc_msg1_req`). */
  async #onMsg1(
    state: Extract<SpState, { step: 'await-msg1' }>,
    m: Parameters<typeof msg1FromMessage>[0],
    events: ProtocolEvent[],
  ): Promise<SpStep> {
    const msg1 = msg1FromMessage(m);
    // §11.1 S14: g_a must be a point on P-256 before any ECDH.
    try {
      validateEc256Public(msg1.gA);
    } catch (cause) {
      if (!isAttestError(cause)) throw cause;
      throw new ProtocolError('ERR_PROTOCOL_INVALID_GA', 'msg1 g_a is not a valid P-256 point', { cause });
    }
    events.push({ kind: 'msg1', gid: toHex(msg1.gid) });
    // §4.1 step 4 / §8: the SigRL of an EPID group (a DCAP enclave sends gid 0). The request runs
    // while this side does its key exchange and signature below.
    const fetching =
      !isAllZero(msg1.gid) && this.#verifier.getSigRl !== undefined
        ? this.#verifier.getSigRl(msg1.gid.slice())
        : undefined;
    fetching?.catch(() => undefined); // awaited below; a failure of the work in between must not leave it unhandled
    // §6.1-§6.3, §11.1 S2: a fresh ephemeral b, g_b from the CSPRNG for every session.
    const pair = createEphemeralEcdh(this.#random);
    let shared: Uint8Array;
    try {
      shared = pair.sharedSecretLE(msg1.gA);
    } finally {
      pair.destroy(); // b is needed for nothing else
    }
    const keys = deriveRaKeys(shared);
    shared.fill(0);
    const signGbGa = signSgx(
      this.#signingKey,
      msg2SignatureData(pair.publicKey, msg1.gA),
      this.#nonceSource === undefined ? {} : { dangerouslyNonceSource: this.#nonceSource },
    );
    let sigRl: Uint8Array = new Uint8Array(0);
    if (fetching !== undefined) {
      sigRl = await fetching;
      if (!(sigRl instanceof Uint8Array)) throw new TypeError('getSigRl must return a Uint8Array');
      events.push({ kind: 'sigrl', size: sigRl.length });
    }
    const body = {
      gB: pair.publicKey,
      spid: this.#spid,
      quoteType: this.#quoteType,
      kdfId: KDF_ID_AES_CMAC,
      signGbGa,
    };
    const msg2: Msg2 = { ...body, mac: aesCmac(keys.smk, msg2MacData(body)), sigRl };
    events.push({ kind: 'sent', type: RA_MSG_TYPES.RA_MSG2 });
    return {
      state: Object.freeze({
        step: 'await-msg3',
        nonce: state.nonce,
        gA: msg1.gA,
        gB: pair.publicKey,
        gid: msg1.gid,
        keys,
      }),
      send: [{ type: RA_MSG_TYPES.RA_MSG2, message: msg2ToMessage(msg2) }],
      events,
      done: false,
    };
  }

  /** §4.1 steps 6-7: MSG3 → checks, verification, appraisal → ATT_RESULT (`sp_ra_proc_msg3_req`). */
  #onMsg3(
    state: Extract<SpState, { step: 'await-msg3' }>,
    m: Parameters<typeof msg3BytesFromMessage>[0],
    events: ProtocolEvent[],
  ): Promise<SpStep> {
    // The checks run synchronously; only the quote and what the answer needs go on to the
    // (possibly slow) verification, so a session waiting there does not hold msg3's decoded copies.
    return this.#verifyMsg3(state, checkMsg3(state, m, events), events);
  }

  async #verifyMsg3(
    state: Extract<SpState, { step: 'await-msg3' }>,
    checked: CheckedMsg3,
    events: ProtocolEvent[],
  ): Promise<SpStep> {
    const { keys } = state;
    const { quoteType, expectedHex } = checked;
    // Dispatch on the quote version (issue 5): 2 → EPID/IAS, 3/4/5 → DCAP.
    let evidence: VerifiedEvidence | undefined;
    let verdict: Appraisal | undefined;
    let refusal: AttestError | undefined;
    try {
      if (checked.version === 2) {
        const verifyEpid = this.#verifier.verifyEpid;
        if (verifyEpid === undefined) {
          throw new ConfigError(
            'ERR_CONFIG_IAS_REQUIRED',
            'the App sent an EPID quote and no IAS is configured',
            {
              hint: 'Configure an IAS (or the IAS mock) to accept EPID quotes, or use DCAP.',
            },
          );
        }
        // §11.1 S8: the quote's EPID group is the one msg1 announced (and whose SigRL was sent).
        if (checked.epidGroupId === undefined || !bytesEqual(checked.epidGroupId, state.gid)) {
          throw new ProtocolError(
            'ERR_PROTOCOL_GID_MISMATCH',
            `quote EPID group ${toHex(checked.epidGroupId ?? new Uint8Array(0))} differs from msg1 gid ${toHex(state.gid)}`,
          );
        }
        evidence = await verifyEpid.call(this.#verifier, checked.quote, { nonce: state.nonce });
        if (evidence?.kind !== 'epid')
          throw new TypeError('verifyEpid must return VerifiedIasReport evidence');
        // §11.1 S4: IAS must echo our nonce when it sends one.
        if (evidence.nonce !== undefined && evidence.nonce !== state.nonce) {
          throw new VerificationError(
            'ERR_IAS_NONCE_MISMATCH',
            'the IAS report nonce is not the session nonce',
          );
        }
      } else {
        // DCAP (v3 SGX, v4/v5 SGX or TDX): msg1's gid is 0 and not compared; SPID and quote type unused.
        const verifyDcap = this.#verifier.verifyDcap;
        if (verifyDcap === undefined) {
          throw new ConfigError(
            'ERR_CONFIG_UNSUPPORTED',
            `the App sent a DCAP v${checked.version} quote and no DCAP verifier is configured`,
          );
        }
        evidence = await verifyDcap.call(this.#verifier, checked.quote);
        if (evidence?.kind !== 'dcap') throw new TypeError('verifyDcap must return VerifiedQuote evidence');
      }
      // The evidence must be about this quote: its report_data is the session binding.
      if (reportDataOf(evidence) !== expectedHex) {
        throw new ProtocolError(
          'ERR_PROTOCOL_REPORT_DATA',
          "the verified evidence's report_data is not this session's",
        );
      }
      events.push({ kind: 'evidence', evidence });
      // §11.1 S3: appraisal against the relying party's policy.
      verdict = await this.#appraise(evidence, { nonce: state.nonce });
      events.push({ kind: 'verdict', verdict });
      if (verdict.accepted !== true) refusal = verdict.error ?? undefined;
    } catch (e) {
      if (!isAttestError(e) || !isRefusal(e)) throw e;
      refusal = e;
    }
    const accepted = verdict?.accepted === true && refusal === undefined;

    // §5.6 / §6.5: PIB ‖ CMAC_MK(PIB) ‖ the secret under SK (AES-128-GCM, the seed's zero IV).
    const pib = encodePlatformInfoBlob(platformInfoBlobFor(evidence));
    const mac = aesCmac(keys.mk, pib);
    let payload: Uint8Array;
    let payloadTag: Uint8Array;
    if (accepted) {
      const sealed = aesGcmEncrypt(keys.sk, ZERO_IV, this.#secret);
      payload = sealed.ciphertext;
      payloadTag = sealed.tag;
    } else {
      // §4.1 step 7: a refusal still sends the message, with zero payload and zero tag.
      payload = new Uint8Array(REFUSAL_PAYLOAD_SIZE);
      payloadTag = new Uint8Array(GCM_TAG_SIZE);
    }
    const att = encodeAttestationResult({
      platformInfoBlob: platformInfoBlobFor(evidence),
      mac,
      payloadTag,
      payload,
    });
    zeroKeys(keys);
    const send: ProtocolMessage[] = [
      { type: RA_MSG_TYPES.RA_ATT_RESULT, message: attestationResultToMessage(att) },
    ];
    events.push({ kind: 'sent', type: RA_MSG_TYPES.RA_ATT_RESULT });
    const common = {
      quoteType,
      ...(evidence === undefined ? {} : { evidence }),
      ...(verdict === undefined ? {} : { verdict }),
    } as const;
    if (accepted) {
      const result = makeResult(state.nonce, { ...common, trusted: true });
      return {
        state: Object.freeze({ step: 'await-app-att-ok', nonce: state.nonce, result }),
        send,
        events,
        done: false,
      };
    }
    const error = refusedError(refusal);
    events.push({ kind: 'refused', error });
    const result = makeResult(state.nonce, { ...common, error });
    return { state: Object.freeze({ step: 'failed', result, error }), send, events, done: true };
  }
}

/** The SP's result when the session is over (`done` or `failed`), else undefined. */
export function spResultOf(state: SpState): SpResult | undefined {
  return state.step === 'done' || state.step === 'failed' ? state.result : undefined;
}
