/**
 * A strict DER reader (ITU-T X.690 §8 and §10) for the parts of X.509 attestkit reads itself:
 * certificate fields, CRLs and the SGX PCK extension.
 *
 * Strict means: definite lengths only (X.690 §10.1), minimal length encodings (§10.1), minimal
 * INTEGER encodings (§8.3.2), primitive encodings for strings (§10.2), BOOLEAN true as 0xFF
 * (§11.1), zero unused bits in BIT STRINGs (§11.2.1), minimal OID sub-identifiers (§8.19.2),
 * UTCTime/GeneralizedTime in the exact `Z` forms of RFC 5280 §4.1.2.5, a bounded nesting depth, and
 * no trailing bytes where a structure must end. Every failure is a {@link ParseError} with an
 * absolute offset and a dotted field path:
 *
 * - `ERR_DER_INVALID`: malformed or truncated encoding, wrong tag, out-of-range value;
 * - `ERR_DER_NON_MINIMAL`: a valid BER encoding that DER forbids (long lengths, padded integers);
 * - `ERR_DER_DEPTH`: constructed values nested deeper than {@link MAX_DER_DEPTH}.
 *
 * @module
 */
import { ParseError } from '../errors.ts';

/** The deepest nesting of constructed values the reader enters (X.509 needs about 10). */
export const MAX_DER_DEPTH = 32;

/** Universal and common tag bytes (identifier octets, X.690 §8.1.2). */
export const DER_TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OBJECT_IDENTIFIER: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Bit 6 of the identifier octet: the constructed form (X.690 §8.1.2.5). */
const CONSTRUCTED = 0x20;
/** Tag class bits for context-specific tags (X.690 §8.1.2.2). */
const CONTEXT = 0x80;
/** The longest length field accepted: 4 octets after the initial one (lengths < 4 GiB). */
const MAX_LENGTH_OCTETS = 4;

/** The header of one TLV: where it is and how long its contents are. Offsets are absolute. */
export interface DerElement {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  readonly tag: number;
  /** Absolute offset of the identifier octet. */
  readonly offset: number;
  /** Identifier plus length octets. */
  readonly headerLength: number;
  /** Absolute offset of the first content octet. */
  readonly contentStart: number;
  /** Number of content octets. */
  readonly length: number;
  /** Absolute offset just after the element. */
  readonly end: number;
}

/** A BIT STRING value: the unused-bit count of its last octet and the octets. */
export interface DerBitString {
  /** Unused bits in the last octet (0..7). */
  readonly unusedBits: number;
  /** The bit octets (a copy). */
  readonly bytes: Uint8Array;
}

/** A node of a fully decoded DER tree ({@link decodeDerTree}). */
export interface DerNode {
  /** The identifier octet. */
  readonly tag: number;
  /** Absolute offset of the identifier octet. */
  readonly offset: number;
  /** The content octets of a primitive element (a copy); empty for constructed ones. */
  readonly content: Uint8Array;
  /** The children of a constructed element; empty for primitive ones. */
  readonly children: readonly DerNode[];
}

function hex2(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/**
 * A bounded cursor over a window of DER bytes. Structured reads (`sequence`, `explicit`, …) hand a
 * child reader bounded to the element's contents to a callback and require that the callback
 * consumes all of it. Byte results are copies.
 */
export class DerReader {
  readonly #bytes: Uint8Array;
  readonly #end: number;
  #pos: number;
  /** The field path, built on first use (most readers never fail, so children defer it). */
  #path: string | undefined;
  /** For a child reader: its parent and its field name, from which the path is built. */
  #parent: DerReader | undefined;
  #name = '';
  readonly #depth: number;
  readonly #maxDepth: number;

  /**
   * @param bytes the whole input.
   * @param path the field path prefix used in errors (e.g. `certificate`).
   * @param start absolute start offset of the window (default 0).
   * @param end absolute end offset of the window (default `bytes.length`).
   * @param depth the nesting depth of this window (0 at the top).
   * @param maxDepth the deepest nesting allowed (default {@link MAX_DER_DEPTH}).
   */
  constructor(
    bytes: Uint8Array,
    path = 'der',
    start = 0,
    end: number = bytes.length,
    depth = 0,
    maxDepth: number = MAX_DER_DEPTH,
  ) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('DerReader expects a Uint8Array');
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > bytes.length || start > end)
      throw new RangeError('DerReader window out of range');
    this.#bytes = bytes;
    this.#pos = start;
    this.#end = end;
    this.#path = path;
    this.#depth = depth;
    this.#maxDepth = maxDepth;
    if (depth > maxDepth) {
      throw new ParseError('ERR_DER_DEPTH', `${path}: nesting deeper than ${maxDepth}`, {
        offset: start,
        field: path,
      });
    }
  }

  /** Absolute offset of the next byte to read. */
  get offset(): number {
    return this.#pos;
  }

  /** Bytes left in the window. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** True when the window is fully consumed. */
  get atEnd(): boolean {
    return this.#pos >= this.#end;
  }

  /** The field path prefix of this reader. */
  get path(): string {
    if (this.#path === undefined)
      this.#path = this.#parent === undefined ? '' : this.#parent.#field(this.#name);
    return this.#path;
  }

  /** The nesting depth of this reader's window. */
  get depth(): number {
    return this.#depth;
  }

  #field(name: string): string {
    const path = this.path;
    if (name === '') return path;
    return path === '' ? name : `${path}.${name}`;
  }

  /** Throws a {@link ParseError} for `field` at the current offset (or at `offset`). */
  fail(
    code: 'ERR_DER_INVALID' | 'ERR_DER_NON_MINIMAL' | 'ERR_DER_DEPTH',
    field: string,
    message: string,
    offset: number = this.#pos,
  ): never {
    const f = this.#field(field);
    throw new ParseError(code, `${f}: ${message} (offset ${offset})`, { offset, field: f });
  }

  /** The identifier octet of the next element, or `undefined` at the end of the window. */
  peekTag(): number | undefined {
    return this.#pos < this.#end ? this.#bytes[this.#pos] : undefined;
  }

  /**
   * Reads the header of the next element and checks that its contents fit in the window
   * (X.690 §8.1.3, §10.1). Does not move the cursor.
   */
  peek(field: string): DerElement {
    const start = this.#pos;
    const end = this.#end;
    const b = this.#bytes;
    if (start >= end)
      this.fail('ERR_DER_INVALID', field, 'expected an element, found the end of its container', start);
    const tag = b[start]!;
    // X.690 §8.1.2.4: tag numbers >= 31 use the high-tag-number form; nothing attestkit reads uses it.
    if ((tag & 0x1f) === 0x1f)
      this.fail('ERR_DER_INVALID', field, `high tag number form ${hex2(tag)} is not supported`, start);
    if ((tag & 0xc0) === 0) {
      const number = tag & 0x1f;
      // X.690 §8.1.5: tag 0 is end-of-contents (BER only). §10.2: DER strings are primitive;
      // §8.9/§8.11: SEQUENCE and SET are constructed.
      if (number === 0)
        this.fail('ERR_DER_INVALID', field, 'end-of-contents octets are not allowed in DER', start);
      const mustBeConstructed = number === 0x10 || number === 0x11;
      if (mustBeConstructed !== ((tag & CONSTRUCTED) !== 0))
        this.fail('ERR_DER_INVALID', field, `wrong primitive/constructed form for tag ${hex2(tag)}`, start);
    }
    if (start + 1 >= end) this.fail('ERR_DER_INVALID', field, 'truncated length octets', start + 1);
    const first = b[start + 1]!;
    let length: number;
    let headerLength: number;
    if (first < 0x80) {
      length = first;
      headerLength = 2;
    } else if (first === 0x80) {
      // X.690 §10.1: DER uses the definite form only.
      this.fail('ERR_DER_INVALID', field, 'indefinite length is not allowed in DER', start + 1);
    } else if (first === 0xff) {
      this.fail('ERR_DER_INVALID', field, 'reserved length octet 0xff', start + 1);
    } else {
      const n = first & 0x7f;
      if (n > MAX_LENGTH_OCTETS)
        this.fail('ERR_DER_INVALID', field, `length of ${n} octets is too large`, start + 1);
      if (start + 2 + n > end) this.fail('ERR_DER_INVALID', field, 'truncated length octets', start + 1);
      if (b[start + 2] === 0)
        this.fail('ERR_DER_NON_MINIMAL', field, 'length has a leading zero octet', start + 1);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + b[start + 2 + i]!;
      // X.690 §10.1: the long form only for lengths >= 128.
      if (length < 0x80)
        this.fail('ERR_DER_NON_MINIMAL', field, `length ${length} uses the long form`, start + 1);
      headerLength = 2 + n;
    }
    const contentStart = start + headerLength;
    if (length > end - contentStart) {
      const f = this.#field(field);
      throw new ParseError(
        'ERR_DER_INVALID',
        `${f}: element of ${length} bytes at offset ${start} overruns its container (${end - contentStart} left)`,
        { offset: start, field: f, need: length, have: end - contentStart },
      );
    }
    return { tag, offset: start, headerLength, contentStart, length, end: contentStart + length };
  }

  /** Reads the next element's header and skips over it; `expectedTag` checks its identifier. */
  element(field: string, expectedTag?: number): DerElement {
    const el = this.peek(field);
    if (expectedTag !== undefined && el.tag !== expectedTag)
      this.fail(
        'ERR_DER_INVALID',
        field,
        `expected tag ${hex2(expectedTag)}, found ${hex2(el.tag)}`,
        el.offset,
      );
    this.#pos = el.end;
    return el;
  }

  /** A reader bounded to the contents of `el`, one level deeper. */
  #child(el: DerElement, field: string): DerReader {
    if (this.#depth + 1 > this.#maxDepth)
      this.fail('ERR_DER_DEPTH', field, `nesting deeper than ${this.#maxDepth}`, el.offset);
    const child = new DerReader(this.#bytes, '', el.contentStart, el.end, this.#depth + 1, this.#maxDepth);
    child.#path = undefined;
    child.#parent = this;
    child.#name = field;
    return child;
  }

  /**
   * Reads a constructed element with identifier `tag` and passes a reader over its contents to
   * `fn`, which must consume them all.
   */
  constructed<T>(tag: number, field: string, fn: (r: DerReader) => T): T {
    if ((tag & CONSTRUCTED) === 0) throw new RangeError('constructed() needs a constructed tag');
    const el = this.element(field, tag);
    const r = this.#child(el, field);
    const out = fn(r);
    r.expectEnd();
    return out;
  }

  /** Reads a SEQUENCE (X.690 §8.9); `fn` must consume all of it. */
  sequence<T>(field: string, fn: (r: DerReader) => T): T {
    return this.constructed(DER_TAG.SEQUENCE, field, fn);
  }

  /** Reads a SET (X.690 §8.11); `fn` must consume all of it. */
  set<T>(field: string, fn: (r: DerReader) => T): T {
    return this.constructed(DER_TAG.SET, field, fn);
  }

  /** Reads `SEQUENCE OF`: calls `fn` once per element until the SEQUENCE's contents end. */
  sequenceOf<T>(field: string, fn: (r: DerReader, index: number) => T, max = 100_000): T[] {
    return this.sequence(field, (r) => {
      const out: T[] = [];
      while (!r.atEnd) {
        if (out.length >= max) r.fail('ERR_DER_INVALID', field, `more than ${max} elements`);
        out.push(fn(r, out.length));
      }
      return out;
    });
  }

  /** Reads `[n] EXPLICIT` (a constructed context-specific tag) and passes its contents to `fn`. */
  explicit<T>(tagNumber: number, field: string, fn: (r: DerReader) => T): T {
    return this.constructed(contextTag(tagNumber, true), field, fn);
  }

  /** Like {@link DerReader.explicit}, but returns `undefined` when the next tag is not `[n]`. */
  optionalExplicit<T>(tagNumber: number, field: string, fn: (r: DerReader) => T): T | undefined {
    if (this.peekTag() !== contextTag(tagNumber, true)) return undefined;
    return this.explicit(tagNumber, field, fn);
  }

  /** Reads a primitive `[n] IMPLICIT` element and returns a copy of its contents. */
  implicit(tagNumber: number, field: string): Uint8Array {
    const el = this.element(field, contextTag(tagNumber, false));
    return this.#bytes.slice(el.contentStart, el.end);
  }

  /** Like {@link DerReader.implicit}, but returns `undefined` when the next tag is not `[n]`. */
  optionalImplicit(tagNumber: number, field: string): Uint8Array | undefined {
    if (this.peekTag() !== contextTag(tagNumber, false)) return undefined;
    return this.implicit(tagNumber, field);
  }

  /** Reads a constructed `[n] IMPLICIT` element and passes a reader over its contents to `fn`. */
  implicitConstructed<T>(tagNumber: number, field: string, fn: (r: DerReader) => T): T {
    return this.constructed(contextTag(tagNumber, true), field, fn);
  }

  /**
   * Reads a constructed element with identifier `tag`, parses its contents with `fn`, and also
   * returns the whole element's bytes: a copy, or a view (no copy) when `view` is true (for bytes
   * that are verified at once, such as a signed `tbsCertificate`).
   */
  capture<T>(
    tag: number,
    field: string,
    fn: (r: DerReader) => T,
    view = false,
  ): { readonly raw: Uint8Array; readonly value: T } {
    const el = this.peek(field);
    const value = this.constructed(tag, field, fn);
    const raw = view ? this.#bytes.subarray(el.offset, el.end) : this.#bytes.slice(el.offset, el.end);
    return { raw, value };
  }

  /** Returns a copy of the whole next element (identifier, length and contents), e.g. a Name. */
  raw(field: string, expectedTag?: number): Uint8Array {
    const el = this.element(field, expectedTag);
    if ((el.tag & CONSTRUCTED) !== 0) this.#validateChildren(el, field);
    return this.#bytes.slice(el.offset, el.end);
  }

  /**
   * Returns a view (no copy) of the whole next element. Use only for bytes that are hashed or
   * verified at once, such as a signed `tbsCertificate`.
   */
  rawView(field: string, expectedTag?: number): Uint8Array {
    const el = this.element(field, expectedTag);
    return this.#bytes.subarray(el.offset, el.end);
  }

  /** Skips the next element, checking the encoding of everything nested inside it. */
  skip(field: string): void {
    const el = this.element(field);
    if ((el.tag & CONSTRUCTED) !== 0) this.#validateChildren(el, field);
  }

  #validateChildren(el: DerElement, field: string): void {
    const r = this.#child(el, field);
    while (!r.atEnd) r.skip('');
  }

  /** Returns a copy of the contents of a primitive element with identifier `tag`. */
  primitive(tag: number, field: string): Uint8Array {
    if ((tag & CONSTRUCTED) !== 0) throw new RangeError('primitive() needs a primitive tag');
    const el = this.element(field, tag);
    return this.#bytes.slice(el.contentStart, el.end);
  }

  #integerContent(tag: number, field: string): DerElement {
    const el = this.element(field, tag);
    const b = this.#bytes;
    if (el.length === 0) this.fail('ERR_DER_INVALID', field, 'empty INTEGER', el.offset);
    if (el.length > 1) {
      const b0 = b[el.contentStart]!;
      const b1 = b[el.contentStart + 1]!;
      // X.690 §8.3.2: the first nine bits must not be all zero or all one.
      if ((b0 === 0x00 && b1 < 0x80) || (b0 === 0xff && b1 >= 0x80))
        this.fail('ERR_DER_NON_MINIMAL', field, 'INTEGER has a redundant leading octet', el.offset);
    }
    return el;
  }

  /** Reads an INTEGER (X.690 §8.3) as a bigint. */
  integer(field: string): bigint {
    const el = this.#integerContent(DER_TAG.INTEGER, field);
    return twosComplement(this.#bytes, el.contentStart, el.end);
  }

  /** Reads an INTEGER and returns a copy of its two's-complement content octets. */
  integerBytes(field: string): Uint8Array {
    const el = this.#integerContent(DER_TAG.INTEGER, field);
    return this.#bytes.slice(el.contentStart, el.end);
  }

  /** Reads an INTEGER that must lie in `[min, max]` (both safe integers). */
  smallInteger(field: string, min: number, max: number): number {
    const start = this.#pos;
    const v = this.integer(field);
    if (v < BigInt(min) || v > BigInt(max))
      this.fail('ERR_DER_INVALID', field, `INTEGER ${v} outside ${min}..${max}`, start);
    return Number(v);
  }

  /** Reads an ENUMERATED (X.690 §8.4, encoded as an INTEGER) in `[0, max]`. */
  enumerated(field: string, max = 0xffff): number {
    const start = this.#pos;
    const el = this.#integerContent(DER_TAG.ENUMERATED, field);
    const v = twosComplement(this.#bytes, el.contentStart, el.end);
    if (v < 0n || v > BigInt(max))
      this.fail('ERR_DER_INVALID', field, `ENUMERATED ${v} outside 0..${max}`, start);
    return Number(v);
  }

  /** Reads a BOOLEAN; DER allows only 0x00 and 0xFF (X.690 §11.1). */
  boolean(field: string): boolean {
    const el = this.element(field, DER_TAG.BOOLEAN);
    if (el.length !== 1) this.fail('ERR_DER_INVALID', field, 'BOOLEAN must be one octet', el.offset);
    const v = this.#bytes[el.contentStart]!;
    if (v === 0xff) return true;
    if (v === 0x00) return false;
    return this.fail('ERR_DER_NON_MINIMAL', field, `BOOLEAN true must be 0xff, found ${hex2(v)}`, el.offset);
  }

  /** Reads a NULL (X.690 §8.8). */
  null(field: string): void {
    const el = this.element(field, DER_TAG.NULL);
    if (el.length !== 0) this.fail('ERR_DER_INVALID', field, 'NULL must be empty', el.offset);
  }

  /** Reads an OBJECT IDENTIFIER (X.690 §8.19) as a dotted string, e.g. `1.2.840.10045.4.3.2`. */
  oid(field: string): string {
    const el = this.element(field, DER_TAG.OBJECT_IDENTIFIER);
    return decodeOid(this.#bytes, el.contentStart, el.end, (msg, code) =>
      this.fail(code, field, msg, el.offset),
    );
  }

  /** Reads an OCTET STRING (primitive, X.690 §10.2) and returns a copy of its octets. */
  octetString(field: string): Uint8Array {
    return this.primitive(DER_TAG.OCTET_STRING, field);
  }

  /**
   * Reads an OCTET STRING whose contents are themselves DER (e.g. an X.509 extension value) and
   * returns a reader over them, one level deeper; offsets stay absolute.
   */
  octetStringReader(field: string): DerReader {
    const el = this.element(field, DER_TAG.OCTET_STRING);
    return this.#child(el, field);
  }

  /** Reads a BIT STRING (primitive, X.690 §8.6, §11.2). Unused bits must be zero. */
  bitString(field: string): DerBitString {
    const el = this.element(field, DER_TAG.BIT_STRING);
    const b = this.#bytes;
    if (el.length === 0) this.fail('ERR_DER_INVALID', field, 'empty BIT STRING', el.offset);
    const unused = b[el.contentStart]!;
    if (unused > 7) this.fail('ERR_DER_INVALID', field, `${unused} unused bits`, el.offset);
    if (el.length === 1 && unused !== 0)
      this.fail('ERR_DER_INVALID', field, 'unused bits in an empty BIT STRING', el.offset);
    if (unused > 0) {
      const last = b[el.end - 1]!;
      if ((last & ((1 << unused) - 1)) !== 0)
        this.fail('ERR_DER_NON_MINIMAL', field, 'unused bits of a BIT STRING are not zero', el.offset);
    }
    return { unusedBits: unused, bytes: b.slice(el.contentStart + 1, el.end) };
  }

  /**
   * Reads a BIT STRING holding whole octets (unused bits 0), such as a signature or a public key,
   * and returns a copy of them.
   */
  bitStringOctets(field: string): Uint8Array {
    const start = this.#pos;
    const bs = this.bitString(field);
    if (bs.unusedBits !== 0)
      this.fail('ERR_DER_INVALID', field, 'BIT STRING is not a whole number of octets', start);
    return bs.bytes;
  }

  /** Reads a UTCTime or GeneralizedTime in the RFC 5280 §4.1.2.5 forms (`Z`, whole seconds). */
  time(field: string): Date {
    const el = this.element(field);
    if (el.tag === DER_TAG.UTC_TIME || el.tag === DER_TAG.GENERALIZED_TIME)
      return decodeTime(this.#bytes, el, (msg) => this.fail('ERR_DER_INVALID', field, msg, el.offset));
    return this.fail(
      'ERR_DER_INVALID',
      field,
      `expected UTCTime or GeneralizedTime, found ${hex2(el.tag)}`,
      el.offset,
    );
  }

  /** Reads a string type (UTF8String, PrintableString, IA5String, BMPString, …) as text. */
  string(field: string): string {
    const el = this.element(field);
    return decodeString(this.#bytes, el, (msg) => this.fail('ERR_DER_INVALID', field, msg, el.offset));
  }

  /** Throws `ERR_DER_INVALID` unless the window is fully consumed. */
  expectEnd(): void {
    if (this.#pos !== this.#end)
      this.fail(
        'ERR_DER_INVALID',
        '',
        `${this.#end - this.#pos} unexpected bytes at the end of the structure`,
      );
  }
}

/** The identifier octet of context-specific tag `[n]` (n < 31). */
export function contextTag(tagNumber: number, constructed: boolean): number {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30)
    throw new RangeError('context tag numbers are 0..30');
  return CONTEXT | (constructed ? CONSTRUCTED : 0) | tagNumber;
}

function twosComplement(b: Uint8Array, start: number, end: number): bigint {
  let v = 0n;
  for (let i = start; i < end; i++) v = (v << 8n) | BigInt(b[i]!);
  if (end > start && b[start]! >= 0x80) v -= 1n << BigInt(8 * (end - start));
  return v;
}

/**
 * @internal A small bounded memo of values by short byte strings (OIDs, names): keyed by a 32-bit
 * hash of the bytes, a hit confirmed by comparing them, so a lookup builds no key string and
 * allocates nothing. Not a security property: a hash collision is a miss (the later entry wins).
 */
export class BytesMemo<T> {
  readonly #map = new Map<number, { readonly bytes: Uint8Array; readonly value: T }>();
  readonly #max: number;

  /** @param max the most entries kept (the memo is emptied when full). */
  constructor(max: number) {
    this.#max = max;
  }

  /** The value remembered for `b[start, end)`, if any. */
  get(b: Uint8Array, start: number, end: number): T | undefined {
    const e = this.#map.get(hashAt(b, start, end));
    if (e === undefined) return undefined;
    const k = e.bytes;
    if (k.length !== end - start) return undefined;
    for (let i = 0; i < k.length; i++) if (k[i] !== b[start + i]) return undefined;
    return e.value;
  }

  /** Remembers `value` for (a copy of) `b[start, end)`. */
  set(b: Uint8Array, start: number, end: number, value: T): void {
    if (this.#map.size >= this.#max) this.#map.clear();
    this.#map.set(hashAt(b, start, end), { bytes: b.slice(start, end), value });
  }
}

/** FNV-1a over `b[start, end)` and its length. */
function hashAt(b: Uint8Array, start: number, end: number): number {
  let h = (end - start) ^ 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** Decoded OIDs by their content octets (OIDs repeat: the SGX extension alone holds 30). */
const oidMemo = new BytesMemo<string>(512);
/** OIDs longer than this many content octets are not memoised. */
const OID_MEMO_MAX_LENGTH = 24;

function decodeOid(
  b: Uint8Array,
  start: number,
  end: number,
  fail: (msg: string, code: 'ERR_DER_INVALID' | 'ERR_DER_NON_MINIMAL') => never,
): string {
  const memo = end - start <= OID_MEMO_MAX_LENGTH;
  if (memo) {
    const hit = oidMemo.get(b, start, end);
    if (hit !== undefined) return hit;
  }
  const out = decodeOidUncached(b, start, end, fail);
  if (memo) oidMemo.set(b, start, end, out);
  return out;
}

function decodeOidUncached(
  b: Uint8Array,
  start: number,
  end: number,
  fail: (msg: string, code: 'ERR_DER_INVALID' | 'ERR_DER_NON_MINIMAL') => never,
): string {
  if (end === start) fail('empty OBJECT IDENTIFIER', 'ERR_DER_INVALID');
  if ((b[end - 1]! & 0x80) !== 0) fail('OBJECT IDENTIFIER ends inside a sub-identifier', 'ERR_DER_INVALID');
  const arcs: string[] = [];
  let i = start;
  while (i < end) {
    // X.690 §8.19.2: no leading 0x80 octet in a sub-identifier.
    if (b[i] === 0x80) fail('OBJECT IDENTIFIER sub-identifier has a leading 0x80', 'ERR_DER_NON_MINIMAL');
    let v = 0;
    let big: bigint | undefined;
    for (;;) {
      const o = b[i++]!;
      if (big === undefined && v > 2 ** 45) big = BigInt(v);
      if (big !== undefined) big = (big << 7n) | BigInt(o & 0x7f);
      else v = v * 128 + (o & 0x7f);
      if ((o & 0x80) === 0) break;
    }
    if (arcs.length === 0) {
      // X.690 §8.19.4: the first sub-identifier packs the first two arcs.
      if (big !== undefined) arcs.push('2', (big - 80n).toString());
      else if (v < 40) arcs.push('0', String(v));
      else if (v < 80) arcs.push('1', String(v - 40));
      else arcs.push('2', String(v - 80));
    } else {
      arcs.push(big !== undefined ? big.toString() : String(v));
    }
  }
  return arcs.join('.');
}

/** Thrown by the `…At` helpers' failure callbacks; never escapes them. */
const INVALID = Symbol('invalid');
function invalid(): never {
  throw INVALID;
}

/**
 * @internal The OID in `b[start, end)` (content octets) as a dotted string, as {@link DerReader.oid}
 * reads it, or `undefined` when the encoding is invalid (for the fast paths of `fast.ts`).
 */
export function decodeOidAt(b: Uint8Array, start: number, end: number): string | undefined {
  try {
    return decodeOid(b, start, end, invalid);
  } catch (e) {
    if (e === INVALID) return undefined;
    throw e;
  }
}

const DIGITS = /^[0-9]+$/;

function decodeTime(b: Uint8Array, el: DerElement, fail: (msg: string) => never): Date {
  const utc = el.tag === DER_TAG.UTC_TIME;
  // RFC 5280 §4.1.2.5.1 (YYMMDDHHMMSSZ) and §4.1.2.5.2 (YYYYMMDDHHMMSSZ, no fractions).
  const len = utc ? 13 : 15;
  const s = el.length === len ? ascii(b, el.contentStart, el.end) : '';
  if (s.length !== len || s[len - 1] !== 'Z' || !DIGITS.test(s.slice(0, len - 1)))
    fail(`${utc ? 'UTCTime' : 'GeneralizedTime'} must be ${utc ? 'YYMMDDHHMMSSZ' : 'YYYYMMDDHHMMSSZ'}`);
  let year: number;
  let p: number;
  if (utc) {
    const yy = Number(s.slice(0, 2));
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    p = 2;
  } else {
    year = Number(s.slice(0, 4));
    p = 4;
  }
  const month = Number(s.slice(p, p + 2));
  const day = Number(s.slice(p + 2, p + 4));
  const hour = Number(s.slice(p + 4, p + 6));
  const minute = Number(s.slice(p + 6, p + 8));
  const second = Number(s.slice(p + 8, p + 10));
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(ms);
  if (
    month < 1 ||
    month > 12 ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    d.getUTCFullYear() !== year ||
    d.getUTCMonth() !== month - 1 ||
    d.getUTCDate() !== day
  )
    fail(`invalid date ${s}`);
  return d;
}

/** Octets as Latin-1 characters (no spread, so long inputs cannot overflow the stack). */
function ascii(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function decodeString(b: Uint8Array, el: DerElement, fail: (msg: string) => never): string {
  const c = b.subarray(el.contentStart, el.end);
  switch (el.tag) {
    case DER_TAG.UTF8_STRING:
      try {
        return UTF8.decode(c);
      } catch {
        return fail('UTF8String is not valid UTF-8');
      }
    case DER_TAG.PRINTABLE_STRING: {
      const s = ascii(c, 0, c.length);
      if (!PRINTABLE.test(s)) fail('PrintableString has characters outside its alphabet');
      return s;
    }
    case DER_TAG.IA5_STRING: {
      for (const o of c) if (o > 0x7f) fail('IA5String has a non-ASCII octet');
      return ascii(c, 0, c.length);
    }
    case DER_TAG.TELETEX_STRING:
      return ascii(c, 0, c.length);
    case DER_TAG.BMP_STRING: {
      if (c.length % 2 !== 0) fail('BMPString has an odd length');
      let s = '';
      for (let i = 0; i < c.length; i += 2) s += String.fromCharCode((c[i]! << 8) | c[i + 1]!);
      return s;
    }
    case DER_TAG.UNIVERSAL_STRING: {
      if (c.length % 4 !== 0) fail('UniversalString length is not a multiple of 4');
      let s = '';
      for (let i = 0; i < c.length; i += 4) {
        const cp = ((c[i]! << 24) | (c[i + 1]! << 16) | (c[i + 2]! << 8) | c[i + 3]!) >>> 0;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
          fail('UniversalString has an invalid code point');
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      return fail(`expected a string type, found ${hex2(el.tag)}`);
  }
}

/**
 * Parses `bytes` as exactly one DER element: `fn` gets a reader over the whole input and must
 * read one element with nothing after it.
 */
export function parseDer<T>(bytes: Uint8Array, field: string, fn: (r: DerReader) => T): T {
  const r = new DerReader(bytes, field);
  if (r.atEnd) r.fail('ERR_DER_INVALID', '', 'empty input');
  const out = fn(r);
  r.expectEnd();
  return out;
}

/** Reads the header of the element at `offset` in `bytes` (checks that it fits). */
export function readTlv(bytes: Uint8Array, offset = 0, field = 'der'): DerElement {
  return new DerReader(bytes, field, offset).peek('');
}

/**
 * Checks that `bytes` is exactly one well-formed DER element, every nested constructed value
 * included, within `maxDepth` levels. Throws a {@link ParseError} otherwise.
 */
export function validateDer(bytes: Uint8Array, field = 'der', maxDepth: number = MAX_DER_DEPTH): void {
  const r = new DerReader(bytes, field, 0, bytes.length, 0, maxDepth);
  if (r.atEnd) r.fail('ERR_DER_INVALID', '', 'empty input');
  r.skip('');
  r.expectEnd();
}

/** Decodes `bytes` (exactly one element) into a frozen tree of {@link DerNode}s, for inspection and tests. */
export function decodeDerTree(bytes: Uint8Array, field = 'der', maxDepth: number = MAX_DER_DEPTH): DerNode {
  const walk = (r: DerReader): DerNode => {
    const el = r.peek('');
    if ((el.tag & CONSTRUCTED) !== 0) {
      const children: DerNode[] = [];
      r.constructed(el.tag, '', (c) => {
        while (!c.atEnd) children.push(walk(c));
      });
      return Object.freeze({
        tag: el.tag,
        offset: el.offset,
        content: new Uint8Array(0),
        children: Object.freeze(children),
      });
    }
    return Object.freeze({
      tag: el.tag,
      offset: el.offset,
      content: r.primitive(el.tag, ''),
      children: Object.freeze([]) as readonly DerNode[],
    });
  };
  const r = new DerReader(bytes, field, 0, bytes.length, 0, maxDepth);
  if (r.atEnd) r.fail('ERR_DER_INVALID', '', 'empty input');
  const node = walk(r);
  r.expectEnd();
  return node;
}
