/**
 * The session driver: runs a {@link SessionHandler} over a {@link FrameChannel} with deadlines.
 *
 * The handler is where the sans-I/O protocol state machines plug in: for each received frame it
 * returns the frames to send and whether the session is over, typically by calling
 * `step(state, event)` and returning its `send`. The driver keeps the seed's strict ping-pong
 * (PROTOCOL-SEED.md §3.1): send the handler's frames, then wait for exactly one frame, and so on.
 * Failure is signalled as the seed does (§4.2): the connection is closed without a message.
 *
 * @module
 */
import { type AttestError, isAttestError, NetworkError } from '../errors.ts';
import type { Frame } from '../wire/frame.ts';
import {
  type FrameChannel,
  type FrameSink,
  type PeerInfo,
  publishDiagnostic,
  TRANSPORT_CHANNELS,
} from './channel.ts';

/** What a handler wants done after a step. */
export interface SessionStep {
  /** Frames to send, in order (may be empty). */
  readonly send?: readonly Frame[];
  /** After sending, end the session successfully and close the connection gracefully. */
  readonly close?: boolean;
}

/** How a session ended. `error` is the reason of a failed session (an `AttestError` for anything foreseen). */
export type SessionEnd = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/**
 * One session's protocol logic, generic over the protocol. Throwing (or rejecting) from `start` or
 * `onFrame` fails the session: the connection is closed without a message.
 */
export interface SessionHandler {
  /** Called once when the connection is up; the initiator returns its first frame here. */
  start?(): SessionStep | Promise<SessionStep>;
  /** Called for each received frame, in order, never concurrently. */
  onFrame(frame: Frame): SessionStep | Promise<SessionStep>;
  /** Called once when the session has ended, successfully or not. Must not throw. */
  onEnd?(end: SessionEnd): void;
}

/** Deadlines, in milliseconds. */
export interface TransportTimeouts {
  /** TCP connect plus TLS handshake (default 10 s). */
  readonly handshakeMs?: number;
  /** Waiting for one complete frame from the peer (default 30 s). */
  readonly messageMs?: number;
  /** The whole session after the handshake, handler time included (default 120 s). */
  readonly sessionMs?: number;
}

/** Deadlines and caps common to the server and the client. */
export interface TransportLimits {
  /** Deadlines; see {@link DEFAULT_TIMEOUTS}. */
  readonly timeouts?: TransportTimeouts;
  /** The largest frame body sent or accepted, in bytes (default 1 MiB, §3.1). */
  readonly maxBodyLength?: number;
}

/** The default deadlines: 10 s handshake, 30 s per message, 120 s per session. */
export const DEFAULT_TIMEOUTS: Readonly<Required<TransportTimeouts>> = Object.freeze({
  handshakeMs: 10_000,
  messageMs: 30_000,
  sessionMs: 120_000,
});

/** What {@link resolveTimeouts} returned: checked already (a server resolves once, not per session). */
const RESOLVED = new WeakSet<object>();

/** Fills in defaults and checks that every deadline is a positive finite number of milliseconds. */
export function resolveTimeouts(
  timeouts: TransportTimeouts | undefined,
): Readonly<Required<TransportTimeouts>> {
  if (timeouts !== undefined && RESOLVED.has(timeouts))
    return timeouts as Readonly<Required<TransportTimeouts>>;
  const t = { ...DEFAULT_TIMEOUTS, ...stripUndefined(timeouts ?? {}) };
  for (const [k, v] of Object.entries(t)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new RangeError(`timeouts.${k} must be > 0`);
  }
  const resolved = Object.freeze(t);
  RESOLVED.add(resolved);
  return resolved;
}

function stripUndefined(o: TransportTimeouts): TransportTimeouts {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function codeOf(error: unknown): string | undefined {
  return isAttestError(error) ? error.code : undefined;
}

/** Sends a step's frames; true when the step also ends the session. */
function sendStep(channel: FrameChannel, step: SessionStep): boolean {
  channel.send(step.send ?? []);
  return step.close === true;
}

/**
 * Drives `handler` over `channel` until the handler closes the session, the peer misbehaves, a
 * deadline passes, or the connection fails. Never rejects: the outcome is returned (and passed to
 * `handler.onEnd`). On failure the connection is aborted without a message (§4.2).
 */
export function runSession(
  channel: FrameChannel,
  handler: SessionHandler,
  limits: TransportLimits = {},
): Promise<SessionEnd> {
  return new Promise<SessionEnd>((resolve) => {
    startSession(channel, handler, limits, resolve);
  });
}

/**
 * {@link runSession} with a callback instead of a promise (the server keeps thousands of sessions):
 * `onDone` is called once with the outcome and the session, after `handler.onEnd` — possibly before
 * this returns, when the handler fails at once. Returns the running session.
 *
 * @internal
 */
export function startSession(
  channel: FrameChannel,
  handler: SessionHandler,
  limits: TransportLimits,
  onDone: (end: SessionEnd, session: RunningSession) => void,
): RunningSession {
  const { messageMs, sessionMs } = resolveTimeouts(limits.timeouts);
  const run = new RunningSession(channel, handler, messageMs, onDone);
  run.begin(sessionMs);
  return run;
}

function onSessionTimeout(run: RunningSession, sessionMs: number): void {
  run.fail(new NetworkError('ERR_NET_TIMEOUT', `the session exceeded its deadline of ${sessionMs} ms`));
}

/**
 * One session in flight: a small callback loop rather than an async function, in one object that is
 * also its channel's {@link FrameSink}. A session waiting for its peer keeps no suspended frames,
 * promises or closures — only this object, its two deadline timers (session and frame) and what the
 * handler keeps; one waiting on its handler (the SP on a quote verifier) keeps the two callbacks on
 * the handler's promise, made per call. Frames reach the handler synchronously from the socket's
 * `data` event; a handler that throws or rejects fails only its own session.
 *
 * @internal
 */
export class RunningSession implements FrameSink {
  readonly #channel: FrameChannel;
  readonly #handler: SessionHandler;
  readonly #messageMs: number;
  #onDone: ((end: SessionEnd, session: RunningSession) => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #finished = false;

  constructor(
    channel: FrameChannel,
    handler: SessionHandler,
    messageMs: number,
    onDone: (end: SessionEnd, session: RunningSession) => void,
  ) {
    this.#channel = channel;
    this.#handler = handler;
    this.#messageMs = messageMs;
    this.#onDone = onDone;
  }

  /** True once the session has ended. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Arms the session deadline and runs the handler's `start`. */
  begin(sessionMs: number): void {
    this.#timer = setTimeout(onSessionTimeout, sessionMs, this, sessionMs);
    const handler = this.#handler;
    this.#run(handler.start === undefined ? undefined : () => handler.start!());
  }

  /** Ends the session as failed with `error` (no-op once it has ended). */
  fail(error: unknown): void {
    this.#finish({ ok: false, error });
  }

  /** {@link FrameSink}: the frame the session waited for. */
  onFrame(frame: Frame): void {
    if (this.#finished) return;
    this.#run(() => this.#handler.onFrame(frame));
  }

  /** {@link FrameSink}: no frame will come. */
  onReceiveError(error: AttestError): void {
    this.fail(error);
  }

  #finish(end: SessionEnd): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const channel = this.#channel;
    if (!end.ok) {
      channel.abort(
        isAttestError(end.error)
          ? end.error
          : new NetworkError('ERR_NET_CLOSED', 'the session handler failed', { cause: end.error }),
      );
    }
    publishDiagnostic(TRANSPORT_CHANNELS.end, {
      side: channel.side,
      peer: channel.peer satisfies PeerInfo,
      ok: end.ok,
      code: end.ok ? undefined : codeOf(end.error),
    });
    try {
      this.#handler.onEnd?.(end);
    } catch {
      // onEnd must not throw; a throwing observer cannot be allowed to break the server loop.
    }
    const onDone = this.#onDone!;
    this.#onDone = undefined;
    onDone(end, this);
  }

  /** Runs one handler call (none: an empty step); a throw or a rejection fails the session. */
  #run(call: (() => SessionStep | Promise<SessionStep>) | undefined): void {
    let out: SessionStep | Promise<SessionStep>;
    try {
      out = call === undefined ? {} : call();
    } catch (error) {
      this.fail(error);
      return;
    }
    if (typeof (out as { then?: unknown }).then === 'function') {
      // Callbacks made per call, not per session: they live only while the handler works.
      Promise.resolve(out).then(
        (step) => this.#step(step),
        (error: unknown) => this.fail(error),
      );
    } else this.#step(out as SessionStep);
  }

  /** Sends a step's frames, then waits for exactly one frame (§3.1), or closes. */
  #step(step: SessionStep): void {
    if (this.#finished) return; // a handler still running after the deadline or a failure
    const channel = this.#channel;
    let close: boolean;
    try {
      close = sendStep(channel, step);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (close) {
      // Not awaited: a seed App never closes its side (§4.1 step 9), and the channel destroys the
      // socket after a grace period if the peer does not answer the close.
      void channel.close();
      this.#finish({ ok: true });
      return;
    }
    channel.receiveInto(this.#messageMs, this);
  }
}
