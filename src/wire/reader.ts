/**
 * The one bounded byte reader every binary parser in attestkit uses.
 *
 * Every read is bounds-checked against the current window; a failure throws a {@link ParseError}
 * with the absolute offset, the field path being read, and how many bytes were needed and present.
 *
 * **A parse result never aliases the caller's buffer.** A reader made with {@link ByteReader.copyOf}
 * (what every `parseX` entry point uses) copies the input once, up front, into a private buffer, and
 * its byte fields are views into that private copy: the caller may reuse or overwrite its buffer
 * afterwards and the parsed record does not change. A reader made with `new ByteReader(…)` reads
 * the caller's buffer in place and copies each byte field instead. Either way, the byte fields of
 * one parse result may share one `ArrayBuffer` (always use `byteOffset`/`byteLength` with
 * `.buffer`, never transfer a field's `.buffer`, and expect one kept field to keep the whole private
 * copy alive).
 *
 * @module
 */
import { type CodeOf, ParseError } from '../errors.ts';

/** `bytes` as a plain `Uint8Array` (a `Buffer`'s `slice` is a view, so subclasses are rewrapped). */
function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The path of field `name` below `path` (`''` is the root; `name` `''` is the window itself). */
function join(path: string, name: string): string {
  if (path === '') return name;
  return name === '' ? path : `${path}.${name}`;
}

/** A bounded little-endian cursor over a byte window. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  /** True when `#bytes` is this reader's private copy, so byte fields may be views into it. */
  #owned = false;
  #end: number;
  #pos: number;
  /** The path prefix given at construction. */
  readonly #root: string;
  /** Field names of the {@link ByteReader.withLength} windows open now, outermost first. */
  #frames: string[] | null = null;
  /** The current path, computed only when asked for (errors, {@link ByteReader.path}). */
  #path: string | null;

  /**
   * @param bytes the whole input.
   * @param path the field path prefix used in errors (e.g. `quote`).
   * @param start absolute start offset of the window (default 0).
   * @param end absolute end offset of the window (default `bytes.length`).
   */
  constructor(bytes: Uint8Array, path = '', start = 0, end: number = bytes.length) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('ByteReader expects a Uint8Array');
    if (start < 0 || end > bytes.length || start > end)
      throw new RangeError('ByteReader window out of range');
    this.#bytes = plain(bytes);
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = start;
    this.#end = end;
    this.#root = path;
    this.#path = path;
  }

  /**
   * A reader over a private copy of `bytes`, made once here. Its {@link ByteReader.bytes} and
   * {@link ByteReader.bytesAt} return views into that copy instead of copying each field, so a
   * parse result still never aliases `bytes`, at the cost of one copy per parse.
   */
  static copyOf(bytes: Uint8Array, path = ''): ByteReader {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('ByteReader expects a Uint8Array');
    const r = new ByteReader(new Uint8Array(bytes), path);
    r.#owned = true;
    return r;
  }

  /** Absolute offset of the next byte to read. */
  get offset(): number {
    return this.#pos;
  }

  /** Bytes left in the current window. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** The field path of the current window (the prefix, then each open {@link ByteReader.withLength} field). */
  get path(): string {
    let p = this.#path;
    if (p === null) {
      p = this.#root;
      for (const f of this.#frames!) p = join(p, f);
      this.#path = p;
    }
    return p;
  }

  #field(name: string): string {
    return join(this.path, name);
  }

  #need(n: number, field: string): number {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ParseError('ERR_WIRE_INVALID_VALUE', `invalid length ${n} for ${this.#field(field)}`, {
        offset: this.#pos,
        field: this.#field(field),
      });
    }
    if (n > this.#end - this.#pos) {
      throw new ParseError(
        'ERR_WIRE_TRUNCATED',
        `${this.#field(field)}: need ${n} bytes at offset ${this.#pos}, have ${this.#end - this.#pos}`,
        { offset: this.#pos, field: this.#field(field), need: n, have: this.#end - this.#pos },
      );
    }
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  /** Reads one byte. */
  u8(field: string): number {
    return this.#bytes[this.#need(1, field)]!;
  }

  /** Reads a little-endian 16-bit unsigned integer. */
  u16le(field: string): number {
    return this.#view.getUint16(this.#need(2, field), true);
  }

  /** Reads a little-endian 32-bit unsigned integer. */
  u32le(field: string): number {
    return this.#view.getUint32(this.#need(4, field), true);
  }

  /** Reads a big-endian 32-bit unsigned integer. */
  u32be(field: string): number {
    return this.#view.getUint32(this.#need(4, field), false);
  }

  /** Reads a little-endian 64-bit unsigned integer. */
  u64le(field: string): bigint {
    return this.#view.getBigUint64(this.#need(8, field), true);
  }

  /**
   * Reads `n` bytes that never alias the caller's input: a fresh copy, or, for a reader made by
   * {@link ByteReader.copyOf}, a view into its private copy.
   */
  bytes(n: number, field: string): Uint8Array {
    const at = this.#need(n, field);
    return this.#owned ? this.#bytes.subarray(at, at + n) : this.#bytes.slice(at, at + n);
  }

  /**
   * Bytes `[start, end)` of the whole input (typically a range already read, such as the bytes a
   * signature covers), copied or viewed as {@link ByteReader.bytes} does. Not bounded by the
   * current window; a range outside the input throws `RangeError` (misuse).
   */
  bytesAt(start: number, end: number): Uint8Array {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end)
      throw new RangeError('ByteReader.bytesAt range out of order');
    if (end > this.#bytes.length) throw new RangeError('ByteReader.bytesAt range out of the input');
    return this.#owned ? this.#bytes.subarray(start, end) : this.#bytes.slice(start, end);
  }

  /**
   * Reads `n` bytes as a view into the reader's bytes (no copy): for a `new ByteReader(…)` that is
   * the caller's input. Use only for bytes that are hashed or verified at once.
   */
  view(n: number, field: string): Uint8Array {
    const at = this.#need(n, field);
    return this.#bytes.subarray(at, at + n);
  }

  /** Skips `n` bytes (e.g. reserved fields). */
  skip(n: number, field: string): void {
    this.#need(n, field);
  }

  /**
   * Reads a length-prefixed or otherwise sized sub-structure of exactly `n` bytes: `fn` gets this
   * reader narrowed to that window (its path extended by `field`) and must consume all of it (else
   * `ERR_WIRE_TRAILING_BYTES`); afterwards the reader is back at its own window, just after the
   * sub-structure. `max` caps `n` (else `ERR_WIRE_LENGTH_LIMIT`).
   */
  withLength<T>(
    n: number,
    field: string,
    fn: (r: ByteReader) => T,
    max: number = Number.MAX_SAFE_INTEGER,
  ): T {
    if (n > max) {
      throw new ParseError(
        'ERR_WIRE_LENGTH_LIMIT',
        `${this.#field(field)}: length ${n} exceeds the cap of ${max}`,
        {
          offset: this.#pos,
          field: this.#field(field),
          need: n,
          have: this.#end - this.#pos,
        },
      );
    }
    const start = this.#need(n, field);
    const outerEnd = this.#end;
    const outerPath = this.#path;
    const frames = this.#frames ?? [];
    this.#frames = frames;
    frames.push(field);
    this.#path = null;
    this.#pos = start;
    this.#end = start + n;
    try {
      const out = fn(this);
      this.expectEnd();
      return out;
    } finally {
      frames.pop();
      this.#path = outerPath;
      this.#end = outerEnd;
      this.#pos = start + n;
    }
  }

  /** Throws `ERR_WIRE_TRAILING_BYTES` unless the window is fully consumed. */
  expectEnd(): void {
    if (this.#pos !== this.#end) {
      const path = this.path;
      throw new ParseError(
        'ERR_WIRE_TRAILING_BYTES',
        `${path || 'input'}: ${this.#end - this.#pos} unexpected bytes at offset ${this.#pos}`,
        { offset: this.#pos, field: path, have: this.#end - this.#pos },
      );
    }
  }

  /** Throws a {@link ParseError} for the field at the current offset. */
  fail(code: CodeOf<'parse'>, field: string, message: string): never {
    throw new ParseError(code, `${this.#field(field)}: ${message}`, {
      offset: this.#pos,
      field: this.#field(field),
    });
  }
}
