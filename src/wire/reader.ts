/**
 * The one bounded byte reader every binary parser in attestkit uses.
 *
 * Every read is bounds-checked against the current window; a failure throws a {@link ParseError}
 * with the absolute offset, the field path being read, and how many bytes were needed and present.
 * Byte fields are copied, so a parse result never aliases the caller's buffer.
 *
 * @module
 */
import { type CodeOf, ParseError } from '../errors.ts';

/** A bounded little-endian cursor over a byte window. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #end: number;
  #pos: number;
  readonly #path: string;

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
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = start;
    this.#end = end;
    this.#path = path;
  }

  /** Absolute offset of the next byte to read. */
  get offset(): number {
    return this.#pos;
  }

  /** Bytes left in the current window. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** The field path prefix of this reader. */
  get path(): string {
    return this.#path;
  }

  #field(name: string): string {
    if (this.#path === '') return name;
    return name === '' ? this.#path : `${this.#path}.${name}`;
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
    return this.#view.getUint8(this.#need(1, field));
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

  /** Reads `n` bytes into a fresh copy. */
  bytes(n: number, field: string): Uint8Array {
    const at = this.#need(n, field);
    return this.#bytes.slice(at, at + n);
  }

  /** Reads `n` bytes as a view into the input (no copy). Use only for bytes that are hashed or verified at once. */
  view(n: number, field: string): Uint8Array {
    const at = this.#need(n, field);
    return this.#bytes.subarray(at, at + n);
  }

  /** Skips `n` bytes (e.g. reserved fields). */
  skip(n: number, field: string): void {
    this.#need(n, field);
  }

  /**
   * Reads a length-prefixed or otherwise sized sub-structure of exactly `n` bytes: `fn` gets a
   * reader bounded to that window and must consume all of it (else `ERR_WIRE_TRAILING_BYTES`).
   * `max` caps `n` (else `ERR_WIRE_LENGTH_LIMIT`).
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
    const sub = new ByteReader(this.#bytes, this.#field(field), start, start + n);
    const out = fn(sub);
    sub.expectEnd();
    return out;
  }

  /** Throws `ERR_WIRE_TRAILING_BYTES` unless the window is fully consumed. */
  expectEnd(): void {
    if (this.#pos !== this.#end) {
      throw new ParseError(
        'ERR_WIRE_TRAILING_BYTES',
        `${this.#path || 'input'}: ${this.#end - this.#pos} unexpected bytes at offset ${this.#pos}`,
        { offset: this.#pos, field: this.#path, have: this.#end - this.#pos },
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
