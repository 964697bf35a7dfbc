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
import { encodeFramePrefix, FRAME_HEADER_SIZE, type Frame, FrameDecoder } from '../wire/frame.ts';

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

/**
 * The most bytes handed to TLS at once. Node encrypts a write into a per-connection output buffer
 * of 1 KiB and, the first time one write's TLS record does not fit, adds a 16 KiB buffer that the
 * connection keeps until it closes. Frames are written in pieces that fit (with room for the
 * record's header and tag), each after the previous one left the buffer, so a connection that
 * once sent a large frame (msg3 and its quote) holds no more than one that never did.
 */
const WRITE_PIECE = 960;

/**
 * Who waits for the next frame ({@link FrameChannel.receiveInto}): exactly one of its methods is
 * called, once. The session driver is its own sink, so a parked session needs no promise, closure
 * or waiter object per step.
 */
export interface FrameSink {
  /** The next frame arrived. */
  onFrame(frame: Frame): void;
  /** No frame will come: the channel ended, failed or timed out (an `AttestError`). */
  onReceiveError(error: AttestError): void;
}

/** The {@link FrameSink} behind the promise of {@link FrameChannel.receive}. */
class PromiseSink implements FrameSink {
  readonly promise: Promise<Frame>;
  #resolve!: (frame: Frame) => void;
  #reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<Frame>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  onFrame(frame: Frame): void {
    this.#resolve(frame);
  }

  onReceiveError(error: AttestError): void {
    this.#reject(error);
  }
}

/** The channel of a socket: the socket listeners below are shared by all channels (no closures). */
const CHANNEL = Symbol('attestkit.frameChannel');
type ChannelSocket = TLSSocket & { [CHANNEL]?: FrameChannel };

/** The socket events a channel handles. */
type SocketEvent = 'data' | 'end' | 'error' | 'close';

/**
 * The channel's handlers of its socket's events and of its receive deadline, set by its static
 * block (they reach its private fields). One set for all channels: no closures per connection.
 */
let handlers: Record<SocketEvent, (channel: FrameChannel, arg: unknown) => void> & {
  timeout(channel: FrameChannel, timeoutMs: number): void;
};

/** The listener of `event`, shared by every channel's socket: it hands the event to the socket's channel. */
function socketListener(event: SocketEvent): (this: ChannelSocket, arg?: unknown) => void {
  return function (this: ChannelSocket, arg?: unknown): void {
    const ch = this[CHANNEL];
    if (ch !== undefined) handlers[event](ch, arg);
  };
}
const SOCKET_LISTENERS: readonly (readonly [SocketEvent, (this: ChannelSocket, arg?: unknown) => void])[] = (
  ['data', 'end', 'error', 'close'] as const
).map((e) => [e, socketListener(e)] as const);

function onReceiveTimeout(channel: FrameChannel, timeoutMs: number): void {
  handlers.timeout(channel, timeoutMs);
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
  /** The socket has closed. */
  #socketClosed = false;
  /** {@link FrameChannel.closed}, made when first asked for. */
  #closed: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;
  /** Who waits for the next frame, and its deadline. */
  #sink: FrameSink | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Encoded frames (or what is left of them) waiting to be written, in order. */
  #outbox: Uint8Array[] = [];
  /** A piece is in the socket: the next waits for its callback. */
  #writing = false;
  /** Called once the outbox is empty (a graceful close waits for it). */
  #drained: (() => void) | undefined;
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
    if ((socket as ChannelSocket)[CHANNEL] !== undefined)
      throw new TypeError('this socket already carries a FrameChannel');
    socket.setNoDelay(true); // ping-pong of small frames: no Nagle delay
    (socket as ChannelSocket)[CHANNEL] = this;
    for (const [event, listener] of SOCKET_LISTENERS) socket.on(event, listener);
  }

  static {
    handlers = {
      data: (ch, chunk) => ch.#onData(chunk as Uint8Array),
      end: (ch) => ch.#onPeerEnd(),
      error: (ch, err) =>
        ch.#finish(
          () => new NetworkError('ERR_NET_CLOSED', `connection error: ${errorLabel(err)}`, { cause: err }),
        ),
      close: (ch) => {
        ch.#socketClosed = true;
        ch.#finish(CLOSED);
        ch.#resolveClosed?.();
        ch.#resolveClosed = undefined;
      },
      timeout: (ch, timeoutMs) => {
        // The receive deadline passed.
        const sink = ch.#sink;
        ch.#sink = undefined;
        ch.#timer = undefined;
        const e = new NetworkError(
          'ERR_NET_TIMEOUT',
          `no complete frame from the peer within ${timeoutMs} ms`,
        );
        ch.abort(e);
        sink?.onReceiveError(e);
      },
    };
  }

  /** Hands `frame` or `error` to the waiting sink, if any; true when there was one. */
  #deliver(frame: Frame | undefined, error?: AttestError): boolean {
    const sink = this.#sink;
    if (sink === undefined) return false;
    this.#sink = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (frame !== undefined) sink.onFrame(frame);
    else sink.onReceiveError(error!);
    return true;
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
      // A handler that got the previous frame may have closed or aborted the channel at once: the
      // rest of the chunk is not for anyone.
      if (this.#error !== undefined) return;
      if (frameChannel.hasSubscribers) {
        frameChannel.publish({
          side: this.side,
          peer: this.peer,
          direction: 'in',
          type: frame.type,
          length: frame.body.length,
        });
      }
      if (this.#queue.length > 0 || !this.#deliver(frame)) this.#queue.push(frame);
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
    if (this.#sink !== undefined) this.#deliver(undefined, this.#terminal());
  }

  /**
   * Resolves with the next frame. Rejects with `ERR_NET_TIMEOUT` (and aborts the connection) when no
   * complete frame arrives within `timeoutMs`, with `ERR_NET_CLOSED` when the peer closed or the
   * connection failed, or with `ERR_FRAME_HEADER_INVALID` / `ERR_FRAME_TOO_LARGE` for a bad frame.
   */
  receive(timeoutMs: number): Promise<Frame> {
    const sink = new PromiseSink();
    this.receiveInto(timeoutMs, sink);
    return sink.promise;
  }

  /**
   * {@link FrameChannel.receive} for a caller that is its own {@link FrameSink}: `sink.onFrame` or
   * `sink.onReceiveError` is called once, with the same outcomes and deadline, possibly before this
   * returns (a frame already queued, a channel already ended). Throws `RangeError` for a bad
   * `timeoutMs` and `Error` when a receive is already pending.
   */
  receiveInto(timeoutMs: number, sink: FrameSink): void {
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
      throw new RangeError('timeoutMs must be a positive number');
    if (this.#sink !== undefined) throw new Error('FrameChannel.receive: a receive is already pending');
    const queued = this.#queue.shift();
    if (queued !== undefined) {
      if (this.#queue.length === 0 && this.#error === undefined) this.#socket.resume();
      sink.onFrame(queued);
      return;
    }
    if (this.#error !== undefined) {
      sink.onReceiveError(this.#terminal());
      return;
    }
    this.#sink = sink;
    this.#timer = setTimeout(onReceiveTimeout, timeoutMs, this, timeoutMs);
    this.#socket.resume();
  }

  /**
   * Sends frames, each as `"<len>@<type>"` + body (§3.1). Throws the channel's error if it has ended,
   * `ERR_FRAME_TOO_LARGE` above the cap, and `RangeError` for an empty body or a type outside 0..9.
   * The bytes go out in order, in pieces (see {@link WRITE_PIECE}); the channel keeps a view of a
   * large body until it is written, so the caller must not modify a body after sending it.
   */
  send(frames: readonly Frame[]): void {
    if (this.#error !== undefined) throw this.#terminal();
    const options = this.#maxBodyLength === undefined ? undefined : { maxBodyLength: this.#maxBodyLength };
    // Every frame is checked before anything is queued. A large body is not copied: the header and
    // the body's first bytes make one piece, the rest goes as a view of the body.
    const encoded = frames.map((f) =>
      encodeFramePrefix(f.type, f.body, WRITE_PIECE - FRAME_HEADER_SIZE, options),
    );
    frames.forEach((f, i) => {
      const prefix = encoded[i]!;
      this.#outbox.push(prefix);
      if (prefix.length - FRAME_HEADER_SIZE < f.body.length)
        this.#outbox.push(f.body.subarray(prefix.length - FRAME_HEADER_SIZE));
      if (frameChannel.hasSubscribers) {
        frameChannel.publish({
          side: this.side,
          peer: this.peer,
          direction: 'out',
          type: f.type,
          length: f.body.length,
        });
      }
    });
    if (!this.#writing) this.#writeNext();
  }

  /** Writes the next piece of the outbox; its callback writes the one after (see {@link WRITE_PIECE}). */
  #writeNext(): void {
    const socket = this.#socket;
    const head = this.#outbox[0];
    if (head === undefined || socket.destroyed) {
      this.#writing = false;
      this.#outbox.length = 0;
      const drained = this.#drained;
      this.#drained = undefined;
      drained?.();
      return;
    }
    let piece = head;
    if (head.length > WRITE_PIECE) {
      piece = head.subarray(0, WRITE_PIECE);
      this.#outbox[0] = head.subarray(WRITE_PIECE);
    } else {
      this.#outbox.shift();
    }
    this.#writing = true;
    socket.write(piece, this.#afterWrite);
  }

  /** A piece left the socket (or the socket failed: its error reaches the channel through `error`). */
  readonly #afterWrite = (err?: Error | null): void => {
    if (err != null) this.#outbox.length = 0;
    this.#writeNext();
  };

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
      // End once every frame sent so far is written.
      const end = (): void => {
        this.#socket.end();
      };
      if (this.#writing) this.#drained = end;
      else end();
      this.#socket.resume(); // drain so the peer's FIN is seen
      const timer = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS);
      timer.unref();
      void this.closed.then(() => clearTimeout(timer));
    }
    return this.closed;
  }

  /** Ends the connection at once, without a message (the seed's failure signal, §4.2), with `error` as the reason. */
  abort(error: AttestError): void {
    this.#queue.length = 0;
    this.#outbox.length = 0;
    this.#drained = undefined;
    this.#finish(error);
    this.#socket.destroy();
  }

  /** Resolves when the underlying socket has closed. */
  get closed(): Promise<void> {
    if (this.#closed === undefined) {
      this.#closed = this.#socketClosed
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.#resolveClosed = resolve;
          });
    }
    return this.#closed;
  }
}
