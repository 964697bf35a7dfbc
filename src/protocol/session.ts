/**
 * One protocol session over frames: wraps a state machine's `step` for a transport. Its `start`,
 * `onFrame` and `onEnd` have the shape of the transport's session handler, so a session can be
 * handed to the TLS client or server as is.
 *
 * @module
 */
import { type AttestError, isAttestError } from '../errors.ts';
import { decodeProtocolFrame, encodeProtocolMessage } from './convert.ts';
import type { ProtocolEvent, ProtocolInput, RawFrame, Step } from './types.ts';

/** What the transport should do after a frame-level step. */
export interface FrameStep {
  /** Frames to send, in order. */
  readonly send: readonly RawFrame[];
  /** After sending, close the connection: the session is over. */
  readonly close: boolean;
}

/** A state machine: the ServiceProvider or the Application. */
export interface StateMachine<S> {
  step(state: S, input: ProtocolInput): Promise<Step<S>>;
}

/** Options of {@link ProtocolSession}. */
export interface ProtocolSessionOptions {
  /** Called for every event, in order (progress output, logs). Must not throw. */
  readonly onEvent?: (event: ProtocolEvent) => void;
}

/** How the transport says a session ended. */
export type SessionEndInfo = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** Drops a step's value or error once it has run. */
function settled(): void {}

function failureOf(state: unknown): AttestError | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const s = state as { step?: unknown; error?: unknown };
  return s.step === 'failed' && isAttestError(s.error) ? s.error : undefined;
}

/**
 * One session of a state machine (see the module comment). Steps run one at a time, in call order.
 */
export class ProtocolSession<S> {
  readonly #machine: StateMachine<S>;
  readonly #onEvent: ((event: ProtocolEvent) => void) | undefined;
  #state: S;
  #done = false;
  #queue: Promise<unknown> = Promise.resolve();
  /** The state of the step that ended the session. */
  #final: S | undefined;
  /** {@link ProtocolSession.finished}, made when first asked for (most sessions never are). */
  #finished: Promise<S> | undefined;
  #resolveFinished: ((state: S) => void) | undefined;

  constructor(machine: StateMachine<S>, initial: S, options: ProtocolSessionOptions = {}) {
    this.#machine = machine;
    this.#state = initial;
    this.#onEvent = options.onEvent;
  }

  /** The current state. */
  get state(): S {
    return this.#state;
  }

  /** True once a step ended the session. */
  get done(): boolean {
    return this.#done;
  }

  /** Resolves with the final state when the session is over. */
  finished(): Promise<S> {
    if (this.#finished === undefined) {
      this.#finished = this.#done
        ? Promise.resolve(this.#final as S)
        : new Promise<S>((resolve) => {
            this.#resolveFinished = resolve;
          });
    }
    return this.#finished;
  }

  /** Feeds one input to the state machine (queued behind earlier calls). */
  step(input: ProtocolInput): Promise<Step<S>> {
    // Not async, and the input is dropped once handed over: a step that waits (e.g. on a quote
    // verifier) must not keep the received message alive through this closure.
    let pending: ProtocolInput | undefined = input;
    const run = (): Promise<Step<S>> => {
      const taken = pending!;
      pending = undefined;
      return this.#machine.step(this.#state, taken).then((out) => {
        this.#state = out.state;
        for (const e of out.events) this.#onEvent?.(e);
        if (out.done && !this.#done) {
          this.#done = true;
          this.#final = out.state;
          this.#resolveFinished?.(out.state);
          this.#resolveFinished = undefined;
        }
        return out;
      });
    };
    const next = this.#queue.then(run, run);
    // The queue only orders the steps: it must not hold the last step's output (its messages, e.g.
    // msg3 and its quote) for the rest of the session.
    this.#queue = next.then(settled, settled);
    return next;
  }

  /** Turns a step into frames; a failure with nothing to send is thrown (the transport closes). */
  #frames(out: Step<S>): FrameStep {
    const error = failureOf(out.state);
    if (error !== undefined && out.send.length === 0) throw error;
    return { send: out.send.map(encodeProtocolMessage), close: out.done };
  }

  /** The connection is up: the initiator's first frames. */
  async start(): Promise<FrameStep> {
    return this.#frames(await this.step({ kind: 'start' }));
  }

  /**
   * One received frame. A frame that does not decode ends the session with its `ParseError`;
   * a failed step is thrown as its error when there is nothing to send.
   */
  onFrame(frame: RawFrame): Promise<FrameStep> {
    let input: ProtocolInput;
    try {
      input = { kind: 'message', message: decodeProtocolFrame(frame) };
    } catch (e) {
      if (!isAttestError(e)) return Promise.reject(e);
      input = { kind: 'closed', error: e };
    }
    // Not async: neither the frame nor the decoded message stays referenced from here while the
    // state machine works.
    return this.step(input).then((out) => this.#frames(out));
  }

  /** The transport ended the session; an unfinished session fails with the reason. */
  onEnd(end: SessionEndInfo): void {
    if (this.#done) return;
    const error = end.ok ? undefined : isAttestError(end.error) ? end.error : undefined;
    this.step({ kind: 'closed', ...(error === undefined ? {} : { error }) }).catch(() => undefined);
  }
}
