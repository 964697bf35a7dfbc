/**
 * The 20-byte "<len>@<type>" framing (PROTOCOL-SEED.md §3.1): the seed's examples, a header grammar
 * table of valid and invalid headers asserting codes, the size cap, and the streaming FrameDecoder
 * split at every point.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAttestError } from '../../src/errors.ts';
import {
  DEFAULT_MAX_FRAME_BODY,
  encodeFrame,
  FRAME_HEADER_SIZE,
  type Frame,
  FrameDecoder,
  parseFrameHeader,
} from '../../src/wire/frame.ts';
import { concatBytes, fromHex, toHex } from '../../src/wire/hex.ts';

const hasCode = (code: string) => (e: unknown) => isAttestError(e) && e.code === code;

/** A 20-byte header from text, NUL-padded (or a raw byte list when longer control is needed). */
function header(text: string): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE);
  for (let i = 0; i < text.length && i < FRAME_HEADER_SIZE; i++) out[i] = text.charCodeAt(i);
  return out;
}

describe('encodeFrame (§3.1 examples)', () => {
  test('RA_VERIFICATION: "2@5", 17 NULs, 08 05', () => {
    assert.equal(toHex(encodeFrame(5, fromHex('0805'))), `324035${'00'.repeat(17)}0805`);
  });
  test('headers of the reference messages', () => {
    const cases: [number, number, string][] = [
      [0, 6, '6@0'],
      [2, 244, '244@2'],
      [3, 1886, '1886@3'],
      [4, 203, '203@4'],
      [6, 4, '4@6'],
    ];
    for (const [type, len, text] of cases) {
      const f = encodeFrame(type, new Uint8Array(len).fill(1));
      assert.deepEqual(f.subarray(0, FRAME_HEADER_SIZE), header(text));
      assert.equal(f.length, FRAME_HEADER_SIZE + len);
    }
  });
  test('misuse and the cap', () => {
    assert.throws(() => encodeFrame(5, new Uint8Array(0)), RangeError);
    assert.throws(() => encodeFrame(10, new Uint8Array(1)), RangeError);
    assert.throws(() => encodeFrame(-1, new Uint8Array(1)), RangeError);
    assert.throws(() => encodeFrame(1, [1] as never), TypeError);
    assert.throws(
      () => encodeFrame(1, new Uint8Array(5), { maxBodyLength: 4 }),
      hasCode('ERR_FRAME_TOO_LARGE'),
    );
    assert.throws(() => encodeFrame(1, new Uint8Array(5), { maxBodyLength: 2 ** 31 }), RangeError);
    assert.equal(encodeFrame(1, new Uint8Array(4), { maxBodyLength: 4 }).length, 24);
  });
});

describe('parseFrameHeader grammar', () => {
  const valid: [string, number, number][] = [
    ['2@5', 2, 5],
    ['0@0', 0, 0],
    ['244@2', 244, 2],
    ['1886@3', 1886, 3],
    ['9@9', 9, 9],
    ['1048576@1', 1048576, 1],
  ];
  for (const [text, length, type] of valid) {
    test(`valid "${text}"`, () => {
      assert.deepEqual(parseFrameHeader(header(text)), { length, type });
    });
  }

  const invalid: [string, Uint8Array, string][] = [
    ['empty (all NUL)', header(''), 'ERR_FRAME_HEADER_INVALID'],
    ['no @', header('25'), 'ERR_FRAME_HEADER_INVALID'],
    ['no length', header('@5'), 'ERR_FRAME_HEADER_INVALID'],
    ['no type', header('2@'), 'ERR_FRAME_HEADER_INVALID'],
    ['two-digit type', header('2@10'), 'ERR_FRAME_HEADER_INVALID'],
    ['leading zero', header('02@5'), 'ERR_FRAME_HEADER_INVALID'],
    ['leading +', header('+2@5'), 'ERR_FRAME_HEADER_INVALID'],
    ['negative', header('-2@5'), 'ERR_FRAME_HEADER_INVALID'],
    ['leading space', header(' 2@5'), 'ERR_FRAME_HEADER_INVALID'],
    ['trailing space', header('2@5 '), 'ERR_FRAME_HEADER_INVALID'],
    ['space before @', header('2 @5'), 'ERR_FRAME_HEADER_INVALID'],
    ['two @', header('2@5@1'), 'ERR_FRAME_HEADER_INVALID'],
    ['hex digits', header('0x2@5'), 'ERR_FRAME_HEADER_INVALID'],
    ['negative type', header('2@-1'), 'ERR_FRAME_HEADER_INVALID'],
    ['11-digit length', header('10000000000@1'), 'ERR_FRAME_HEADER_INVALID'],
    ['20 characters, no NUL', header('11111111111111111@11'), 'ERR_FRAME_HEADER_INVALID'],
    [
      'garbage after the NUL padding starts',
      concatBytes(header('2@5').subarray(0, 4), header('x').subarray(0, 16)),
      'ERR_FRAME_HEADER_INVALID',
    ],
    [
      'non-ASCII byte',
      Uint8Array.from([0x32, 0xc0, 0x40, 0x35, ...new Uint8Array(16)]),
      'ERR_FRAME_HEADER_INVALID',
    ],
    ['tab', header('2@5\t'), 'ERR_FRAME_HEADER_INVALID'],
    ['length over the 1 MiB cap', header('1048577@2'), 'ERR_FRAME_TOO_LARGE'],
    ['length 2^31', header('2147483648@2'), 'ERR_FRAME_TOO_LARGE'],
    ['ten-digit length', header('9999999999@2'), 'ERR_FRAME_TOO_LARGE'],
  ];
  for (const [name, bytes, code] of invalid) {
    test(`invalid: ${name} → ${code}`, () => {
      assert.throws(() => parseFrameHeader(bytes), hasCode(code));
    });
  }

  test('wrong header length, configurable cap, misuse', () => {
    assert.throws(() => parseFrameHeader(new Uint8Array(19)), hasCode('ERR_FRAME_HEADER_INVALID'));
    assert.throws(
      () => parseFrameHeader(header('11@1'), { maxBodyLength: 10 }),
      hasCode('ERR_FRAME_TOO_LARGE'),
    );
    assert.deepEqual(parseFrameHeader(header('10@1'), { maxBodyLength: 10 }), { length: 10, type: 1 });
    assert.deepEqual(parseFrameHeader(header('2000000@3'), { maxBodyLength: 4_000_000 }), {
      length: 2000000,
      type: 3,
    });
    assert.throws(() => parseFrameHeader(header('1@1'), { maxBodyLength: -1 }), RangeError);
    assert.throws(() => parseFrameHeader('2@5' as never), TypeError);
  });

  test('property: encodeFrame headers always parse back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: DEFAULT_MAX_FRAME_BODY }),
        (type, len) => {
          const text = `${len}@${type}`;
          assert.deepEqual(parseFrameHeader(header(text)), { length: len, type });
        },
      ),
      { numRuns: 300 },
    );
  });
  test('property: arbitrary 20 bytes parse or throw an AttestError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) => {
        try {
          parseFrameHeader(bytes);
        } catch (e) {
          if (!isAttestError(e)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('FrameDecoder', () => {
  const frames: Frame[] = [
    { type: 5, body: fromHex('0805') },
    { type: 0, body: fromHex('080010001800') },
    { type: 3, body: new Uint8Array(300).map((_, i) => i & 0xff) },
    { type: 6, body: fromHex('08061000') },
  ];
  const stream = concatBytes(...frames.map((f) => encodeFrame(f.type, f.body)));

  const plain = (fs: readonly Frame[]) => fs.map((f) => ({ type: f.type, body: toHex(f.body) }));

  test('one push yields every frame', () => {
    const d = new FrameDecoder();
    assert.deepEqual(plain(d.push(stream)), plain(frames));
    assert.equal(d.idle, true);
    d.finish();
  });

  test('split into two chunks at every point', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const out = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      assert.deepEqual(plain(out), plain(frames), `cut at ${cut}`);
    }
  });

  test('byte by byte', () => {
    const d = new FrameDecoder();
    const out: Frame[] = [];
    for (let i = 0; i < stream.length; i++) {
      out.push(...d.push(stream.subarray(i, i + 1)));
      if (i < stream.length - 1) assert.equal(d.buffered > 0 || d.idle, true);
    }
    assert.deepEqual(plain(out), plain(frames));
  });

  test('property: arbitrary chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: stream.length }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set([0, ...cuts, stream.length])].sort((a, b) => a - b);
        const d = new FrameDecoder();
        const out: Frame[] = [];
        for (let i = 0; i + 1 < points.length; i++)
          out.push(...d.push(stream.subarray(points[i], points[i + 1])));
        assert.deepEqual(plain(out), plain(frames));
      }),
      { numRuns: 200 },
    );
  });

  test('a bad header throws with its stream offset, and poisons the decoder', () => {
    const d = new FrameDecoder();
    const bad = concatBytes(encodeFrame(5, fromHex('0805')), header('-1@5'));
    assert.throws(
      () => d.push(bad),
      (e: unknown) => hasCode('ERR_FRAME_HEADER_INVALID')(e) && (e as { offset: number }).offset === 22,
    );
    assert.throws(() => d.push(encodeFrame(5, fromHex('0805'))), hasCode('ERR_FRAME_HEADER_INVALID'));
    assert.throws(() => d.finish(), hasCode('ERR_FRAME_HEADER_INVALID'));
  });

  test('an oversized length is refused before any body byte is buffered', () => {
    const d = new FrameDecoder({ maxBodyLength: 1000 });
    assert.throws(() => d.push(header('1001@3')), hasCode('ERR_FRAME_TOO_LARGE'));
    const big = new FrameDecoder();
    assert.throws(() => big.push(header('999999999@3')), hasCode('ERR_FRAME_TOO_LARGE'));
  });

  test('finish inside a frame → ERR_WIRE_TRUNCATED; between frames is fine', () => {
    const d = new FrameDecoder();
    d.push(stream.subarray(0, 10));
    assert.equal(d.buffered, 10);
    assert.throws(() => d.finish(), hasCode('ERR_WIRE_TRUNCATED'));
    const e = new FrameDecoder();
    e.push(stream.subarray(0, 21));
    assert.throws(() => e.finish(), hasCode('ERR_WIRE_TRUNCATED'));
    const f = new FrameDecoder();
    f.push(stream.subarray(0, 22));
    f.finish();
    assert.throws(() => f.push('x' as never), TypeError);
  });

  test('a zero-length body is a frame', () => {
    const d = new FrameDecoder();
    const out = d.push(header('0@5'));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.body.length, 0);
  });

  test('property: arbitrary bytes yield frames or AttestErrors only', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 }), (chunks) => {
        const d = new FrameDecoder({ maxBodyLength: 64 });
        try {
          for (const c of chunks) d.push(c);
          d.finish();
        } catch (e) {
          if (!isAttestError(e)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });
});
