/**
 * The Application state machine (the seed's MessageHandler), sans I/O.
 *
 * PROTOCOL-SEED.md §4.1: the App is the TLS server. It answers RA_VERIFICATION with MSG0 (the
 * enclave's extended EPID group id), the SP's MSG0 echo with MSG1, MSG2 with MSG3 and ATT_RESULT with
 * APP_ATT_OK, after its enclave checked the result's MAC and decrypted the secret. One typed state
 * per step; anything else ends the session with `ERR_PROTOCOL_UNEXPECTED_MESSAGE` (§11.2 B4: the
 * seed crashed on out-of-order messages). All key material stays in the {@link Enclave}; the App
 * sees only msg1, msg3 and, at the end, the secret, which it hands to the host's callback and never
 * logs.
 *
 * @module
 */
import type { Enclave, EnclaveSession } from '../enclave/types.ts';
import { type AttestError, isAttestError, ProtocolError } from '../errors.ts';
import { RA_MSG_TYPES } from '../wire/messages.ts';
import { parseMsg1 } from '../wire/ra.ts';
import {
  appAttOkMessage,
  attestationResultFromMessage,
  msg1ToMessage,
  msg2BytesFromMessage,
  msg3ToMessage,
} from './convert.ts';
import { ProtocolSession, type ProtocolSessionOptions } from './session.ts';
import { closedError, receivedMessage, stepAfterEnd } from './step-checks.ts';
import type { ProtocolEvent, ProtocolInput, ProtocolMessage, Step } from './types.ts';

/** `TYPE_TERMINATE` in MSG0.status (§2.3). */
const MSG0_STATUS_TERMINATE = 1;

/** Options of {@link Application}. */
export interface ApplicationOptions {
  /** The enclave that runs the key exchange and receives the secret. */
  readonly enclave: Enclave;
  /**
   * Receives the decrypted secret once per successful session, before APP_ATT_OK is sent. The
   * secret is not kept anywhere else; a callback that throws fails the session.
   */
  readonly onSecret?: (secret: Uint8Array) => void | Promise<void>;
}

/** The App's state: one per step of §4.1. */
export type AppState =
  /** Waiting for the SP's RA_VERIFICATION. */
  | { readonly step: 'await-verification' }
  /** MSG0 sent; waiting for the SP's echo. */
  | { readonly step: 'await-msg0-echo'; readonly extendedGroupId: number }
  /** MSG1 sent; waiting for MSG2. */
  | { readonly step: 'await-msg2'; readonly session: EnclaveSession }
  /** MSG3 sent; waiting for ATT_RESULT. */
  | { readonly step: 'await-att-result'; readonly session: EnclaveSession }
  /** The secret was delivered and APP_ATT_OK sent. */
  | { readonly step: 'done'; readonly secretSize: number }
  /** The session ended without a secret: `error` says why (`ERR_PROTOCOL_REFUSED` for a refusal). */
  | { readonly step: 'failed'; readonly error: AttestError };

/** One step of the App. */
export type AppStep = Step<AppState>;

function unexpected(what: string, state: AppState): ProtocolError {
  return new ProtocolError('ERR_PROTOCOL_UNEXPECTED_MESSAGE', `${what} in state ${state.step}`);
}

function sessionOf(state: AppState): EnclaveSession | undefined {
  return state.step === 'await-msg2' || state.step === 'await-att-result' ? state.session : undefined;
}

/**
 * The Application (see the module comment). Stateless itself: `step` maps a state and an input to
 * the next state, the messages to send and events. {@link Application.session} wraps one session
 * for a transport.
 */
export class Application {
  readonly #enclave: Enclave;
  readonly #onSecret: ((secret: Uint8Array) => void | Promise<void>) | undefined;

  constructor(options: ApplicationOptions) {
    if (typeof options.enclave !== 'object' || options.enclave === null)
      throw new TypeError('enclave is required');
    this.#enclave = options.enclave;
    this.#onSecret = options.onSecret;
  }

  /** The state of a new connection. */
  initialState(): AppState {
    return Object.freeze({ step: 'await-verification' });
  }

  /** A session for a transport, starting from {@link Application.initialState}. */
  session(options: ProtocolSessionOptions = {}): ProtocolSession<AppState> {
    return new ProtocolSession<AppState>(this, this.initialState(), options);
  }

  /**
   * Advances a session. Never throws for bad input: a failed check yields the `failed` state (with
   * `done`), and the enclave session is closed. Only programming errors escape.
   */
  async step(state: AppState, input: ProtocolInput): Promise<AppStep> {
    const events: ProtocolEvent[] = [];
    try {
      return await this.#step(state, input, events);
    } catch (e) {
      if (!isAttestError(e)) throw e;
      await sessionOf(state)
        ?.close()
        .catch(() => undefined);
      events.push({ kind: 'failed', error: e });
      const next: AppState =
        state.step === 'done' || state.step === 'failed'
          ? state
          : Object.freeze({ step: 'failed', error: e });
      return { state: next, send: [], events, done: true };
    }
  }

  async #step(state: AppState, input: ProtocolInput, events: ProtocolEvent[]): Promise<AppStep> {
    if (state.step === 'done' || state.step === 'failed') return stepAfterEnd(state, input, events);
    if (input.kind === 'closed') throw closedError(input, 'SP', state.step);
    if (input.kind === 'start') {
      // The App is the TLS server: it waits for the SP's first message (§4.1 step 1).
      if (state.step !== 'await-verification') throw unexpected('start', state);
      return { state, send: [], events, done: false };
    }
    const msg = receivedMessage(input.message, events);
    switch (state.step) {
      case 'await-verification': {
        if (msg.type !== RA_MSG_TYPES.RA_VERIFICATION) throw unexpected(`message ${msg.type}`, state);
        // §4.1 step 2: MSG0 with the extended EPID group id; if the enclave cannot say, status=1.
        let xgid: number;
        try {
          xgid = await this.#enclave.extendedGroupId();
        } catch (e) {
          if (!isAttestError(e)) throw e;
          events.push({ kind: 'failed', error: e });
          events.push({ kind: 'sent', type: RA_MSG_TYPES.RA_MSG0 });
          const terminate: ProtocolMessage = {
            type: RA_MSG_TYPES.RA_MSG0,
            message: { type: RA_MSG_TYPES.RA_MSG0, epid: 0, status: MSG0_STATUS_TERMINATE },
          };
          return {
            state: Object.freeze({ step: 'failed', error: e }),
            send: [terminate],
            events,
            done: true,
          };
        }
        events.push({ kind: 'sent', type: RA_MSG_TYPES.RA_MSG0 });
        return {
          state: Object.freeze({ step: 'await-msg0-echo', extendedGroupId: xgid }),
          // §2.4: the App's MSG0 has no status field.
          send: [{ type: RA_MSG_TYPES.RA_MSG0, message: { type: RA_MSG_TYPES.RA_MSG0, epid: xgid } }],
          events,
          done: false,
        };
      }
      case 'await-msg0-echo': {
        if (msg.type !== RA_MSG_TYPES.RA_MSG0) throw unexpected(`message ${msg.type}`, state);
        // §4.1 step 3: status TYPE_OK (an absent status reads as 0) and our own group id echoed.
        const status = msg.message.status ?? 0;
        if (status !== 0) {
          throw new ProtocolError('ERR_PROTOCOL_SESSION_ENDED', `the SP answered MSG0 with status ${status}`);
        }
        if (msg.message.epid !== state.extendedGroupId) {
          throw new ProtocolError(
            'ERR_PROTOCOL_EXTENDED_GID',
            `the SP echoed extended group id ${msg.message.epid}, not ${state.extendedGroupId}`,
          );
        }
        const session = await this.#enclave.openSession();
        let msg1: Uint8Array;
        try {
          msg1 = await session.msg1();
        } catch (e) {
          await session.close().catch(() => undefined);
          throw e;
        }
        events.push({ kind: 'sent', type: RA_MSG_TYPES.RA_MSG1 });
        return {
          state: Object.freeze({ step: 'await-msg2', session }),
          send: [{ type: RA_MSG_TYPES.RA_MSG1, message: msg1ToMessage(parseMsg1(msg1)) }],
          events,
          done: false,
        };
      }
      case 'await-msg2': {
        if (msg.type !== RA_MSG_TYPES.RA_MSG2) throw unexpected(`message ${msg.type}`, state);
        // §4.1 step 5: sgx_ra_proc_msg2 inside the enclave (checks of §6.6) → msg3.
        const msg3 = await state.session.processMsg2(msg2BytesFromMessage(msg.message));
        events.push({ kind: 'sent', type: RA_MSG_TYPES.RA_MSG3 });
        return {
          state: Object.freeze({ step: 'await-att-result', session: state.session }),
          send: [{ type: RA_MSG_TYPES.RA_MSG3, message: msg3ToMessage(msg3) }],
          events,
          done: false,
        };
      }
      case 'await-att-result': {
        if (msg.type !== RA_MSG_TYPES.RA_ATT_RESULT) throw unexpected(`message ${msg.type}`, state);
        // §4.1 step 7: verify_att_result_mac, then the secret (a refusal shows as zero payload and tag).
        const session = state.session;
        const result = attestationResultFromMessage(msg.message);
        let secret: Uint8Array;
        if (session.verifyAndDecrypt !== undefined) {
          secret = await session.verifyAndDecrypt(result);
        } else {
          await session.verifyAttestationResult(result);
          secret = await session.decryptSecret();
        }
        await session.close().catch(() => undefined);
        try {
          await this.#onSecret?.(secret);
        } catch (cause) {
          if (isAttestError(cause)) throw cause;
          throw new ProtocolError('ERR_PROTOCOL_SESSION_ENDED', 'the host rejected the delivered secret', {
            cause,
          });
        }
        const size = secret.length;
        events.push({ kind: 'secret-delivered', size });
        events.push({ kind: 'sent', type: RA_MSG_TYPES.RA_APP_ATT_OK });
        events.push({ kind: 'completed' });
        // §2.4 / §4.1 step 8: InitialMessage{type:6,size:0}, which the SP parses as SecretMessage.
        const ok = appAttOkMessage();
        return { state: Object.freeze({ step: 'done', secretSize: size }), send: [ok], events, done: true };
      }
      default:
        throw unexpected('input', state);
    }
  }
}
