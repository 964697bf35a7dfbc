/**
 * ByteReader: bounds, error locations (offset, field path, need/have), withLength windows (exact
 * consumption, caps, nested paths, state after a failure), and the no-aliasing guarantee of both
 * modes: `new ByteReader` copies each field, `ByteReader.copyOf` copies the input once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ParseError } from '../../src/errors.ts';
import { ByteReader } from '../../src/wire/reader.ts';

/** An assert.throws predicate: a ParseError with exactly this code and location. */
function at(code: string, offset: number, field: string, need?: number, have?: number) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof ParseError, `expected a ParseError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.offset, offset);
    assert.equal(e.field, field);
    assert.equal(e.need, need);
    assert.equal(e.have, have);
    return true;
  };
}

const input = (): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => i + 1);

describe('ByteReader: integers and bounds', () => {
  test('reads little- and big-endian integers at increasing offsets', () => {
    const r = new ByteReader(Uint8Array.of(1, 2, 1, 2, 3, 4, 1, 2, 3, 4, 1, 0, 0, 0, 0, 0, 0, 0x80));
    assert.equal(r.u8('a'), 1);
    assert.equal(r.u8('b'), 2);
    assert.equal(r.u32le('c'), 0x04030201);
    assert.equal(r.u32be('d'), 0x01020304);
    assert.equal(r.offset, 10);
    assert.equal(r.u64le('e'), 0x8000_0000_0000_0001n);
    assert.equal(r.remaining, 0);
    r.expectEnd();
  });

  test('a short read throws ERR_WIRE_TRUNCATED with offset, field, need and have', () => {
    const r = new ByteReader(new Uint8Array(5), 'msg');
    r.skip(3, 'head');
    assert.throws(() => r.u32le('size'), at('ERR_WIRE_TRUNCATED', 3, 'msg.size', 4, 2));
  });

  test('an invalid length throws ERR_WIRE_INVALID_VALUE', () => {
    const r = new ByteReader(new Uint8Array(5), 'msg');
    assert.throws(() => r.bytes(-1, 'x'), at('ERR_WIRE_INVALID_VALUE', 0, 'msg.x'));
    assert.throws(() => r.bytes(1.5, 'x'), at('ERR_WIRE_INVALID_VALUE', 0, 'msg.x'));
  });

  test('without a prefix the field is the bare name', () => {
    assert.throws(() => new ByteReader(new Uint8Array(1)).u16le('v'), at('ERR_WIRE_TRUNCATED', 0, 'v', 2, 1));
  });

  test('trailing bytes: ERR_WIRE_TRAILING_BYTES at the first unread byte', () => {
    const r = new ByteReader(new Uint8Array(4), 'msg');
    r.u16le('a');
    assert.throws(() => r.expectEnd(), at('ERR_WIRE_TRAILING_BYTES', 2, 'msg', undefined, 2));
  });

  test('fail() reports the current offset and field', () => {
    const r = new ByteReader(new Uint8Array(4), 'msg');
    r.u8('a');
    assert.throws(
      () => r.fail('ERR_WIRE_INVALID_VALUE', 'kind', 'bad'),
      at('ERR_WIRE_INVALID_VALUE', 1, 'msg.kind'),
    );
  });

  test('misuse: a non-Uint8Array or a bad window throws TypeError / RangeError', () => {
    assert.throws(() => new ByteReader([1, 2] as unknown as Uint8Array), TypeError);
    assert.throws(() => new ByteReader(null as unknown as Uint8Array), TypeError);
    assert.throws(() => ByteReader.copyOf('ab' as unknown as Uint8Array), TypeError);
    assert.throws(() => new ByteReader(new Uint8Array(4), '', 3, 2), RangeError);
    assert.throws(() => new ByteReader(new Uint8Array(4), '', 0, 5), RangeError);
    const r = ByteReader.copyOf(new Uint8Array(4));
    assert.throws(() => r.bytesAt(2, 1), RangeError);
    assert.throws(() => r.bytesAt(0, 5), RangeError);
    assert.throws(() => r.bytesAt(-1, 1), RangeError);
  });
});

describe('ByteReader.withLength', () => {
  test('a window must be consumed exactly; the reader is then just after it', () => {
    const r = new ByteReader(input(), 'm');
    const got = r.withLength(4, 'inner', (w) => {
      assert.equal(w.path, 'm.inner');
      assert.equal(w.remaining, 4);
      return w.u32le('x');
    });
    assert.equal(got, 0x04030201);
    assert.equal(r.offset, 4);
    assert.equal(r.path, 'm');
    assert.equal(r.remaining, 28);
    assert.throws(
      () => r.withLength(4, 'inner', (w) => w.u16le('x')),
      at('ERR_WIRE_TRAILING_BYTES', 6, 'm.inner', undefined, 2),
    );
  });

  test('a read past the window end is ERR_WIRE_TRUNCATED even when the input has more', () => {
    const r = new ByteReader(input(), 'm');
    assert.throws(
      () => r.withLength(3, 'w', (w) => w.u32le('x')),
      at('ERR_WIRE_TRUNCATED', 0, 'm.w.x', 4, 3),
    );
  });

  test('nested windows extend the path; an empty field names the window itself', () => {
    const r = new ByteReader(input(), 'quote');
    assert.throws(
      () =>
        r.withLength(16, 'signatureData', (s) => {
          s.skip(2, 'a');
          return s.withLength(8, 'certificationData', (c) => {
            assert.equal(c.path, 'quote.signatureData.certificationData');
            c.skip(6, 'b');
            return c.bytes(4, '');
          });
        }),
      at('ERR_WIRE_TRUNCATED', 8, 'quote.signatureData.certificationData', 4, 2),
    );
    const bare = new ByteReader(input());
    bare.withLength(2, 'outer', (o) => {
      assert.equal(o.path, 'outer');
      o.withLength(2, '', (w) => {
        assert.equal(w.path, 'outer');
        w.skip(2, 'x');
      });
    });
  });

  test('the cap: ERR_WIRE_LENGTH_LIMIT before any read, at the length field offset', () => {
    const r = new ByteReader(input(), 'm');
    r.skip(4, 'head');
    assert.throws(
      () => r.withLength(9, 'sigRl', () => 0, 8),
      at('ERR_WIRE_LENGTH_LIMIT', 4, 'm.sigRl', 9, 28),
    );
  });

  test('after a failure inside a window, the reader is back at its own window and path', () => {
    const r = new ByteReader(input(), 'm');
    assert.throws(() => r.withLength(4, 'w', (w) => w.fail('ERR_WIRE_INVALID_VALUE', 'x', 'no')));
    assert.equal(r.path, 'm');
    assert.equal(r.offset, 4);
    assert.equal(r.remaining, 28);
    assert.throws(() => r.bytes(29, 'tail'), at('ERR_WIRE_TRUNCATED', 4, 'm.tail', 29, 28));
  });
});

describe('ByteReader: fields never alias the caller input', () => {
  for (const [mode, make] of [
    ['new ByteReader (a copy per field)', (b: Uint8Array) => new ByteReader(b, 'm')],
    ['ByteReader.copyOf (one copy per input)', (b: Uint8Array) => ByteReader.copyOf(b, 'm')],
  ] as const) {
    test(`${mode}: overwriting the input leaves read fields unchanged`, () => {
      const b = input();
      const r = make(b);
      const f1 = r.bytes(8, 'a');
      const f2 = r.withLength(8, 'w', (w) => w.bytes(8, ''));
      const span = r.bytesAt(0, 16);
      for (const f of [f1, f2, span]) assert.notEqual(f.buffer, b.buffer);
      b.fill(0xee);
      assert.deepEqual(f1, input().subarray(0, 8));
      assert.deepEqual(f2, input().subarray(8, 16));
      assert.deepEqual(span, input().subarray(0, 16));
    });

    test(`${mode}: a Buffer input gives plain Uint8Array fields that do not alias it`, () => {
      const b = Buffer.from(input());
      const r = make(b);
      const f = r.bytes(8, 'a');
      assert.equal(Object.getPrototypeOf(f), Uint8Array.prototype);
      b.fill(0);
      assert.deepEqual(f, input().subarray(0, 8));
    });
  }

  test('copyOf reads a snapshot: later writes to the input are not seen', () => {
    const b = input();
    const r = ByteReader.copyOf(b);
    b.fill(0);
    assert.equal(r.u8('a'), 1);
    assert.deepEqual(r.bytes(3, 'b'), Uint8Array.of(2, 3, 4));
  });

  test('view() on a new ByteReader is a view of the input (documented: no copy)', () => {
    const b = input();
    const v = new ByteReader(b).view(4, 'v');
    b[0] = 0xaa;
    assert.equal(v[0], 0xaa);
  });
});
