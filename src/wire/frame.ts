/**
 * The seed's transport framing (PROTOCOL-SEED.md §3.1, SVK:Networking/AbstractNetworkOps.cpp): a
 * 20-byte ASCII header `"<len>@<type>"` padded with NULs, then exactly `<len>` body bytes.
 *
 * The receiver here is strict where the seed is not (§11.2 B1): the header must match
 * `^(0|[1-9][0-9]{0,9})@([0-9])$` up to its first NUL, every byte after that NUL must be NUL, and
 * `<len>` must not exceed a cap (1 MiB by default).
 *
 * @module
 */
import { type CodeOf, ParseError } from '../errors.ts';

/** The header is exactly 20 bytes (§3.1). */
export const FRAME_HEADER_SIZE = 20;

/** The default cap on a frame body: 1 MiB, plenty for MSG2 with a SigRL (§3.1). */
export const DEFAULT_MAX_FRAME_BODY: number = 1024 * 1024;

/** The largest cap that can be configured: the C++ receiver parses `<len>` as a signed `int` (§3.1). */
export const MAX_FRAME_BODY_LIMIT: number = 0x7fff_ffff;

/** One frame: the header `<type>` (a single decimal digit, normally an `RA_MSG_TYPES` value) and the body. */
export interface Frame {
  /** The `<type>` of the header, 0..9; chosen by the sender's handler, not read from the protobuf (§3.1). */
  readonly type: number;
  /** The serialized protobuf message. */
  readonly body: Uint8Array;
}

/** The parsed 20-byte header. */
export interface FrameHeader {
  /** The body length in bytes. */
  readonly length: number;
  /** The `<type>` digit. */
  readonly type: number;
}

/** Options for the frame codec. */
export interface FrameOptions {
  /** The largest body accepted or sent, in bytes (default {@link DEFAULT_MAX_FRAME_BODY}). */
  readonly maxBodyLength?: number;
}

/** §3.1 "TS receiver rules": the header text up to its first NUL. */
const HEADER_RE = /^(0|[1-9][0-9]{0,9})@([0-9])$/;
const AT = 0x40;
const NUL = 0x00;

function maxOf(options: FrameOptions | undefined): number {
  const max = options?.maxBodyLength ?? DEFAULT_MAX_FRAME_BODY;
  if (!Number.isSafeInteger(max) || max < 0 || max > MAX_FRAME_BODY_LIMIT) {
    throw new RangeError(`maxBodyLength must be an integer in 0..${MAX_FRAME_BODY_LIMIT}`);
  }
  return max;
}

function tooLarge(length: number, max: number, offset: number): ParseError {
  return new ParseError('ERR_FRAME_TOO_LARGE', `frame body of ${length} bytes exceeds the cap of ${max}`, {
    offset,
    field: 'frame.length',
    need: length,
    have: max,
  });
}

/**
 * Encodes one frame: `"<len>@<type>"`, NUL-padded to 20 bytes, then the body (§3.1; the C++
 * `lexical_cast` needs exactly this, with no spaces or sign). An empty body is refused with a
 * `RangeError`: the seed never sends one, it closes instead (§3.1). A body above the cap throws
 * `ERR_FRAME_TOO_LARGE`.
 */
export function encodeFrame(type: number, body: Uint8Array, options?: FrameOptions): Uint8Array {
  return encodeFramePrefix(type, body, Infinity, options);
}

/**
 * The first bytes of an encoded frame (see {@link encodeFrame}, same checks): the header and at
 * most `bodyBytes` bytes of the body. The rest of the frame is `body.subarray(bodyBytes)`, so a
 * large frame can go out in pieces without a copy of its whole body.
 */
export function encodeFramePrefix(
  type: number,
  body: Uint8Array,
  bodyBytes: number,
  options?: FrameOptions,
): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 9)
    throw new RangeError(`frame type must be 0..9, got ${type}`);
  if (!(body instanceof Uint8Array)) throw new TypeError('frame body must be a Uint8Array');
  if (body.length === 0)
    throw new RangeError('the seed never sends an empty frame body (§3.1); close instead');
  const max = maxOf(options);
  if (body.length > max) throw tooLarge(body.length, max, 0);
  if (!(bodyBytes >= 0)) throw new RangeError('bodyBytes must be >= 0');
  const n = Math.min(body.length, bodyBytes);
  const text = `${body.length}@${type}`;
  const out = new Uint8Array(FRAME_HEADER_SIZE + n); // zero-filled: the NUL padding
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  out.set(n === body.length ? body : body.subarray(0, n), FRAME_HEADER_SIZE);
  return out;
}

/**
 * Parses a 20-byte frame header (§3.1). Throws `ERR_FRAME_HEADER_INVALID` unless the bytes before
 * the first NUL match `<len>@<type>` with `<len>` in canonical decimal (no sign, spaces or leading
 * zeros) and `<type>` one digit, and every byte from that NUL to the end is NUL. Throws
 * `ERR_FRAME_TOO_LARGE` when `<len>` exceeds the cap.
 */
export function parseFrameHeader(header: Uint8Array, options?: FrameOptions): FrameHeader {
  if (!(header instanceof Uint8Array)) throw new TypeError('frame header must be a Uint8Array');
  const max = maxOf(options);
  if (header.length !== FRAME_HEADER_SIZE) {
    throw new ParseError('ERR_FRAME_HEADER_INVALID', `frame header must be ${FRAME_HEADER_SIZE} bytes`, {
      offset: 0,
      field: 'frame.header',
      need: FRAME_HEADER_SIZE,
      have: header.length,
    });
  }
  const nul = header.indexOf(NUL);
  // §3.1: the C++ receiver reads the header as a NUL-terminated string, so one NUL must come before byte 20.
  if (nul <= 0) return invalidHeader('the header text is empty or not NUL-terminated', 0);
  for (let i = nul + 1; i < FRAME_HEADER_SIZE; i++) {
    if (header[i] !== NUL) return invalidHeader('non-NUL byte in the header padding', i);
  }
  let text = '';
  for (let i = 0; i < nul; i++) {
    const c = header[i]!;
    if (c !== AT && (c < 0x30 || c > 0x39))
      return invalidHeader('the header holds a byte other than 0-9 or @', i);
    text += String.fromCharCode(c);
  }
  const m = HEADER_RE.exec(text);
  if (m === null) return invalidHeader(`the header "${text}" is not <len>@<type>`, 0);
  const length = Number(m[1]);
  if (length > max) throw tooLarge(length, max, 0);
  return Object.freeze({ length, type: Number(m[2]) });
}

function invalidHeader(message: string, offset: number): never {
  throw new ParseError('ERR_FRAME_HEADER_INVALID', `invalid frame header: ${message}`, {
    offset,
    field: 'frame.header',
  });
}

/**
 * Splits a byte stream into frames (§3.1). Push chunks as they arrive; each call returns the frames it
 * completed. The header is checked as soon as its 20 bytes are in, before any body byte is buffered,
 * so memory stays under one header plus one capped body. After an error the decoder is poisoned: every
 * later push rethrows it.
 */
export class FrameDecoder {
  readonly #max: number;
  readonly #header = new Uint8Array(FRAME_HEADER_SIZE);
  #headerFill = 0;
  #type = 0;
  #body: Uint8Array | undefined;
  #bodyFill = 0;
  #consumed = 0;
  #error: ParseError | undefined;

  constructor(options?: FrameOptions) {
    this.#max = maxOf(options);
  }

  /** Bytes of an incomplete frame held now (0 between frames). */
  get buffered(): number {
    return this.#headerFill + this.#bodyFill;
  }

  /** True when the decoder sits exactly between frames. */
  get idle(): boolean {
    return this.#headerFill === 0 && this.#body === undefined;
  }

  /** Feeds `chunk` and returns the frames it completes, in order. Throws `ERR_FRAME_*` on a bad header. */
  push(chunk: Uint8Array): Frame[] {
    if (this.#error !== undefined) throw this.#error;
    if (!(chunk instanceof Uint8Array)) throw new TypeError('chunk must be a Uint8Array');
    const frames: Frame[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.#body === undefined) {
        const n = Math.min(FRAME_HEADER_SIZE - this.#headerFill, chunk.length - i);
        this.#header.set(chunk.subarray(i, i + n), this.#headerFill);
        this.#headerFill += n;
        i += n;
        if (this.#headerFill < FRAME_HEADER_SIZE) break;
        let h: FrameHeader;
        try {
          h = parseFrameHeader(this.#header, { maxBodyLength: this.#max });
        } catch (e) {
          this.#error = rebase(e, this.#consumed);
          throw this.#error;
        }
        this.#type = h.type;
        this.#body = new Uint8Array(h.length);
        this.#bodyFill = 0;
      }
      const body = this.#body;
      const n = Math.min(body.length - this.#bodyFill, chunk.length - i);
      body.set(chunk.subarray(i, i + n), this.#bodyFill);
      this.#bodyFill += n;
      i += n;
      if (this.#bodyFill === body.length) {
        frames.push(Object.freeze({ type: this.#type, body }));
        this.#consumed += FRAME_HEADER_SIZE + body.length;
        this.#body = undefined;
        this.#bodyFill = 0;
        this.#headerFill = 0;
      }
    }
    return frames;
  }

  /**
   * Declares the end of the stream: throws `ERR_WIRE_TRUNCATED` if a frame was cut off in the
   * middle (the seed's B2), and does nothing between frames.
   */
  finish(): void {
    if (this.#error !== undefined) throw this.#error;
    if (!this.idle) {
      const need = this.#body === undefined ? FRAME_HEADER_SIZE : FRAME_HEADER_SIZE + this.#body.length;
      throw new ParseError('ERR_WIRE_TRUNCATED', 'the stream ended inside a frame', {
        offset: this.#consumed + this.buffered,
        field: this.#body === undefined ? 'frame.header' : 'frame.body',
        need,
        have: this.buffered,
      });
    }
  }
}

/** Moves a header error's offset from header-relative to stream-relative. */
function rebase(e: unknown, base: number): ParseError {
  if (!(e instanceof ParseError)) throw e;
  const at = { offset: base + Math.max(0, e.offset), field: e.field };
  if (e.need !== undefined) Object.assign(at, { need: e.need });
  if (e.have !== undefined) Object.assign(at, { have: e.have });
  return new ParseError(e.code as CodeOf<'parse'>, e.message, at, { cause: e });
}
