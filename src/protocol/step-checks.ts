/**
 * The input checks both state machines (ServiceProvider and Application) make before their own
 * transitions: what an ended session accepts, what a closed connection means, and the frame-type
 * check of PROTOCOL-SEED.md §4.2.
 *
 * @module
 */
import { type AttestError, NetworkError, ProtocolError } from '../errors.ts';
import type { ProtocolEvent, ProtocolInput, ProtocolMessage, Step } from './types.ts';

/**
 * @internal The step of a session that already ended (`done` or `failed`): a `closed` input ends
 * it quietly; anything else is `ERR_PROTOCOL_SESSION_ENDED`.
 */
export function stepAfterEnd<S>(state: S, input: ProtocolInput, events: ProtocolEvent[]): Step<S> {
  if (input.kind === 'closed') return { state, send: [], events, done: true };
  throw new ProtocolError('ERR_PROTOCOL_SESSION_ENDED', `${input.kind} after the session ended`);
}

/**
 * @internal Why a live session cannot go on after a `closed` input: its error, else
 * `ERR_NET_CLOSED` naming the `peer` that closed and the state the session was in.
 */
export function closedError(
  input: { readonly error?: AttestError },
  peer: 'SP' | 'App',
  step: string,
): AttestError {
  return (
    input.error ?? new NetworkError('ERR_NET_CLOSED', `the ${peer} closed the connection in state ${step}`)
  );
}

/**
 * @internal Accepts a received message: its protobuf `type` must equal the frame type (§4.2), else
 * `ERR_PROTOCOL_UNEXPECTED_MESSAGE`. Records the `received` event.
 */
export function receivedMessage(msg: ProtocolMessage, events: ProtocolEvent[]): ProtocolMessage {
  if (msg.message.type !== msg.type) {
    throw new ProtocolError(
      'ERR_PROTOCOL_UNEXPECTED_MESSAGE',
      `message type ${msg.message.type} in a frame of type ${msg.type}`,
    );
  }
  events.push({ kind: 'received', type: msg.type });
  return msg;
}
