/**
 * A frame channel: one TLS connection that moves the seed's frames (PROTOCOL-SEED.md §3.1) in both
 * directions, with the frame-size cap of the {@link FrameDecoder}, a deadline per received frame, and
 * flow control (the socket is paused while decoded frames wait to be read).
 *
 * It moves bytes and decides nothing: errors are reported as codes, and nothing about a frame's
 * content is logged. The diagnostics channels publish only metadata (side, peer address, frame type
 * and length, error code).
 *
 * @module
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { TLSSocket } from 'node:tls';
import { type AttestError, isAttestError, NetworkError } from '../errors.ts';
import { encodeFrame, type Frame, FrameDecoder } from '../wire/frame.ts';

/** Which end of the connection a channel is. */
export type TransportSide = 'client' | 'server';

/** The remote end of a connection, as far as TCP knows it. */
export interface PeerInfo {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

/** `node:diagnostics_channel` names the transport publishes on (metadata only, never frame bodies). */
export const TRANSPORT_CHANNELS = {
  /** `{ side, peer }` when a TLS connection is established. */
  connect: 'attestkit:transport:connect',
  /** `{ side, peer, direction: 'in' | 'out', type, length }` for every frame. */
  frame: 'attestkit:transport:frame',
  /** `{ side, peer, ok, code }` when a session ends. */
  end: 'attestkit:transport:end',
  /** `{ side, peer, code }` when a connection fails before its session starts (handshake, limits). */
  reject: 'attestkit:transport:reject',
} as const;

const frameChannel = diagnosticsChannel.channel(TRANSPORT_CHANNELS.frame);

/** Publishes `message` on the named diagnostics channel when someone listens. */
export function publishDiagnostic(name: string, message: object): void {
  const ch = diagnosticsChannel.channel(name);
  if (ch.hasSubscribers) ch.publish(message);
}

/** Options of a {@link FrameChannel}. */
export interface FrameChannelOptions {
  /** Which end this is (for diagnostics). */
  readonly side: TransportSide;
  /** The largest frame body sent or accepted (default 1 MiB, §3.1). */
  readonly maxBodyLength?: number;
}

/** How long to wait for the peer's close after a graceful local close before destroying the socket. */
const CLOSE_GRACE_MS = 2_000;

interface Waiter {
  readonly resolve: (frame: Frame) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** A factory for the `ERR_NET_CLOSED` error of an ordinary close (built only when it is needed). */
function closedBy(message: string): () => AttestError {
  return () => new NetworkError('ERR_NET_CLOSED', message);
}
const CLOSED = closedBy('the connection closed');
const PEER_CLOSED = closedBy('the peer closed the connection');
const CLOSED_LOCALLY = closedBy('the connection was closed locally');

/** A short label for a socket error (its code, else its message); never frame content. */
function errorLabel(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(err);
}

/**
 * One TLS connection carrying frames. Reading is strictly sequential: one `receive` at a time, as the
 * seed's ping-pong flow (§3.1) needs. Frames that arrived before the peer closed stay readable.
 */
export class FrameChannel {
  /** Which end this is. */
  readonly side: TransportSide;
  /** The remote address and port. */
  readonly peer: PeerInfo;
  readonly #socket: TLSSocket;
  readonly #decoder: FrameDecoder;
  readonly #maxBodyLength: number | undefined;
  readonly #queue: Frame[] = [];
  readonly #closed: Promise<void>;
  #waiter: Waiter | undefined;
  /** The terminal error, or the factory that builds it when somebody asks (an Error captures a stack trace). */
  #error: AttestError | (() => AttestError) | undefined;

  /** Wraps an established TLS socket (after `secureConnect` / `secureConnection`). */
  constructor(socket: TLSSocket, options: FrameChannelOptions) {
    this.side = options.side;
    this.peer = Object.freeze({ remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
    this.#socket = socket;
    this.#maxBodyLength = options.maxBodyLength;
    this.#decoder = new FrameDecoder(
      options.maxBodyLength === undefined ? undefined : { maxBodyLength: options.maxBodyLength },
    );
    socket.setNoDelay(true); // ping-pong of small frames: no Nagle delay
    this.#closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onPeerEnd());
    socket.on('error', (err: unknown) => {
      this.#finish(
        () => new NetworkError('ERR_NET_CLOSED', `connection error: ${errorLabel(err)}`, { cause: err }),
      );
    });
    socket.on('close', () => this.#finish(CLOSED));
  }

  /** The error that ended the channel, if it has ended. */
  get error(): AttestError | undefined {
    return this.#error === undefined ? undefined : this.#terminal();
  }

  /** The terminal error, built on first use. Call only once the channel has ended. */
  #terminal(): AttestError {
    let e = this.#error!;
    if (typeof e === 'function') {
      e = e();
      this.#error = e;
    }
    return e;
  }

  /** True once the channel can no longer send (closed, failed or aborted). */
  get ended(): boolean {
    return this.#error !== undefined;
  }

  #onData(chunk: Uint8Array): void {
    if (this.#error !== undefined) return;
    let frames: Frame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (e) {
      // ERR_FRAME_HEADER_INVALID / ERR_FRAME_TOO_LARGE: this connection ends, nothing else is affected.
      this.abort(
        isAttestError(e) ? e : new NetworkError('ERR_NET_CLOSED', 'frame decoding failed', { cause: e }),
      );
      return;
    }
    for (const frame of frames) {
      if (frameChannel.hasSubscribers) {
        frameChannel.publish({
          side: this.side,
          peer: this.peer,
          direction: 'in',
          type: frame.type,
          length: frame.body.length,
        });
      }
      const w = this.#waiter;
      if (w !== undefined && this.#queue.length === 0) {
        this.#waiter = undefined;
        clearTimeout(w.timer);
        w.resolve(frame);
      } else {
        this.#queue.push(frame);
      }
    }
    // Flow control: hold further bytes in the kernel while decoded frames wait for the reader.
    if (this.#queue.length > 0) this.#socket.pause();
  }

  #onPeerEnd(): void {
    if (this.#decoder.idle) {
      this.#finish(PEER_CLOSED);
      return;
    }
    let cause: unknown;
    try {
      this.#decoder.finish();
    } catch (e) {
      cause = e;
    }
    this.#finish(
      () => new NetworkError('ERR_NET_CLOSED', 'the peer closed the connection inside a frame', { cause }),
    );
  }

  /**
   * Records the terminal error (first one wins) and fails a pending receive; queued frames stay
   * readable. A factory is called only when the error is needed: every connection ends with
   * several `end`/`close` notifications, an ordinary close usually needs no error object at all,
   * and an Error captures a stack trace.
   */
  #finish(error: AttestError | (() => AttestError)): void {
    if (this.#error === undefined) this.#error = error;
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      clearTimeout(w.timer);
      w.reject(this.#terminal());
    }
  }

  /**
   * Resolves with the next frame. Rejects with `ERR_NET_TIMEOUT` (and aborts the connection) when no
   * complete frame arrives within `timeoutMs`, with `ERR_NET_CLOSED` when the peer closed or the
   * connection failed, or with `ERR_FRAME_HEADER_INVALID` / `ERR_FRAME_TOO_LARGE` for a bad frame.
   */
  receive(timeoutMs: number): Promise<Frame> {
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
      throw new RangeError('timeoutMs must be a positive number');
    if (this.#waiter !== undefined) throw new Error('FrameChannel.receive: a receive is already pending');
    const queued = this.#queue.shift();
    if (queued !== undefined) {
      if (this.#queue.length === 0 && this.#error === undefined) this.#socket.resume();
      return Promise.resolve(queued);
    }
    if (this.#error !== undefined) return Promise.reject(this.#terminal());
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        const e = new NetworkError(
          'ERR_NET_TIMEOUT',
          `no complete frame from the peer within ${timeoutMs} ms`,
        );
        this.abort(e);
        reject(e);
      }, timeoutMs);
      this.#waiter = { resolve, reject, timer };
      this.#socket.resume();
    });
  }

  /**
   * Sends frames, each as `"<len>@<type>"` + body (§3.1). Throws the channel's error if it has ended,
   * `ERR_FRAME_TOO_LARGE` above the cap, and `RangeError` for an empty body or a type outside 0..9.
   */
  send(frames: readonly Frame[]): void {
    if (this.#error !== undefined) throw this.#terminal();
    const encoded = frames.map((f) =>
      encodeFrame(
        f.type,
        f.body,
        this.#maxBodyLength === undefined ? undefined : { maxBodyLength: this.#maxBodyLength },
      ),
    );
    encoded.forEach((bytes, i) => {
      this.#socket.write(bytes);
      if (frameChannel.hasSubscribers) {
        const f = frames[i]!;
        frameChannel.publish({
          side: this.side,
          peer: this.peer,
          direction: 'out',
          type: f.type,
          length: f.body.length,
        });
      }
    });
  }

  /** Sends `frames`, then waits up to `timeoutMs` for the peer's reply (one ping-pong step, §3.1). */
  request(frames: readonly Frame[], timeoutMs: number): Promise<Frame> {
    this.send(frames);
    return this.receive(timeoutMs);
  }

  /**
   * Closes gracefully: flushes what was sent, sends TLS close_notify and FIN, and resolves when the
   * socket has closed (destroying it if the peer does not close within a short grace period).
   */
  close(): Promise<void> {
    this.#finish(CLOSED_LOCALLY);
    if (!this.#socket.destroyed) {
      this.#socket.end();
      this.#socket.resume(); // drain so the peer's FIN is seen
      const timer = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS);
      timer.unref();
      void this.#closed.then(() => clearTimeout(timer));
    }
    return this.#closed;
  }

  /** Ends the connection at once, without a message (the seed's failure signal, §4.2), with `error` as the reason. */
  abort(error: AttestError): void {
    this.#queue.length = 0;
    this.#finish(error);
    this.#socket.destroy();
  }

  /** Resolves when the underlying socket has closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }
}
