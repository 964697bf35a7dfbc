import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAttestError, ParseError } from '../../src/errors.ts';
import {
  BytesMemo,
  DER_TAG,
  type DerReader,
  decodeDerTree,
  MAX_DER_DEPTH,
  parseDer,
  readTlv,
  validateDer,
} from '../../src/pki/der.ts';
import { hex } from './helpers.ts';

/** Minimal DER length octets. */
function len(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

function tlv(tag: number, content: Uint8Array | number[]): Uint8Array {
  const c = content instanceof Uint8Array ? [...content] : content;
  return new Uint8Array([tag, ...len(c.length), ...c]);
}

function cat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(parts.flatMap((p) => [...p]));
}

const code = (c: string) => (e: unknown) => isAttestError(e) && e.code === c;

describe('DerReader known answers', () => {
  test('INTEGER: small, negative, 20-byte serial, 0x00FF', () => {
    assert.equal(
      parseDer(hex('020100'), 'x', (r) => r.integer('')),
      0n,
    );
    assert.equal(
      parseDer(hex('02017f'), 'x', (r) => r.integer('')),
      127n,
    );
    assert.equal(
      parseDer(hex('02020080'), 'x', (r) => r.integer('')),
      128n,
    );
    assert.equal(
      parseDer(hex('0201ff'), 'x', (r) => r.integer('')),
      -1n,
    );
    assert.equal(
      parseDer(hex('02020100'), 'x', (r) => r.integer('')),
      256n,
    );
    // The PCK extension's TCB component 5 of phala sgx_quote: INTEGER 255 is 00 FF.
    assert.equal(
      parseDer(hex('020200ff'), 'x', (r) => r.smallInteger('', 0, 255)),
      255,
    );
    assert.deepEqual(
      parseDer(hex('021422650cd65a9d3489f383b49552bf501b392706ac'), 'x', (r) => r.integerBytes('')),
      hex('22650cd65a9d3489f383b49552bf501b392706ac'),
    );
  });

  test('OBJECT IDENTIFIER: ecdsa-with-SHA256, the SGX extension, a large arc', () => {
    assert.equal(
      parseDer(hex('06082a8648ce3d040302'), 'x', (r) => r.oid('')),
      '1.2.840.10045.4.3.2',
    );
    assert.equal(
      parseDer(hex('06092a864886f84d010d01'), 'x', (r) => r.oid('')),
      '1.2.840.113741.1.13.1',
    );
    assert.equal(
      parseDer(hex('0603550403'), 'x', (r) => r.oid('')),
      '2.5.4.3',
    );
    // 2.999 (first sub-identifier 1079 = 0x88 0x37).
    assert.equal(
      parseDer(hex('06028837'), 'x', (r) => r.oid('')),
      '2.999',
    );
    // An arc above 2^53 is kept exact: 81 80 80 80 80 80 80 80 7f is 2^56 + 127.
    assert.equal(
      parseDer(hex('060a2a81808080808080807f'), 'x', (r) => r.oid('')),
      `1.2.${2n ** 56n + 127n}`,
    );
  });

  test('times: UTCTime (19xx/20xx), GeneralizedTime', () => {
    const utc = (s: string) => tlv(DER_TAG.UTC_TIME, [...Buffer.from(s, 'ascii')]);
    const gen = (s: string) => tlv(DER_TAG.GENERALIZED_TIME, [...Buffer.from(s, 'ascii')]);
    assert.equal(
      parseDer(utc('230608072752Z'), 'x', (r) => r.time('')).toISOString(),
      '2023-06-08T07:27:52.000Z',
    );
    assert.equal(
      parseDer(utc('500101000000Z'), 'x', (r) => r.time('')).toISOString(),
      '1950-01-01T00:00:00.000Z',
    );
    assert.equal(
      parseDer(utc('491231235959Z'), 'x', (r) => r.time('')).toISOString(),
      '2049-12-31T23:59:59.000Z',
    );
    assert.equal(
      parseDer(gen('20491231235959Z'), 'x', (r) => r.time('')).toISOString(),
      '2049-12-31T23:59:59.000Z',
    );
    assert.equal(
      parseDer(utc('240229000000Z'), 'x', (r) => r.time('')).toISOString(),
      '2024-02-29T00:00:00.000Z',
    );
  });

  test('BOOLEAN, NULL, BIT STRING, OCTET STRING, ENUMERATED, strings', () => {
    assert.equal(
      parseDer(hex('0101ff'), 'x', (r) => r.boolean('')),
      true,
    );
    assert.equal(
      parseDer(hex('010100'), 'x', (r) => r.boolean('')),
      false,
    );
    parseDer(hex('0500'), 'x', (r) => r.null(''));
    assert.deepEqual(
      parseDer(hex('030206c0'), 'x', (r) => r.bitString('')),
      { unusedBits: 6, bytes: hex('c0') },
    );
    assert.deepEqual(
      parseDer(hex('0403010203'), 'x', (r) => r.octetString('')),
      hex('010203'),
    );
    assert.equal(
      parseDer(hex('0a0101'), 'x', (r) => r.enumerated('')),
      1,
    );
    assert.equal(
      parseDer(hex('0c03414243'), 'x', (r) => r.string('')),
      'ABC',
    );
    assert.equal(
      parseDer(hex('13025553'), 'x', (r) => r.string('')),
      'US',
    );
    assert.equal(
      parseDer(hex('1e0400410042'), 'x', (r) => r.string('')),
      'AB',
    );
  });

  test('SEQUENCE, explicit and implicit context tags, optional fields', () => {
    // SEQUENCE { [0] EXPLICIT INTEGER 2, [1] IMPLICIT OCTET STRING 'ab', INTEGER 5 }
    const der = tlv(0x30, cat(tlv(0xa0, hex('020102')), tlv(0x81, hex('ab')), hex('020105')));
    const out = parseDer(der, 'x', (r) =>
      r.sequence('', (s) => ({
        v: s.explicit(0, 'v', (e) => e.integer('')),
        missing: s.optionalExplicit(2, 'm', (e) => e.integer('')),
        imp: s.implicit(1, 'imp'),
        n: s.integer('n'),
      })),
    );
    assert.deepEqual(out, { v: 2n, missing: undefined, imp: hex('ab'), n: 5n });
  });

  test('readTlv reports header and content positions; long-form lengths', () => {
    const big = tlv(0x04, new Uint8Array(300));
    assert.deepEqual(readTlv(big), {
      tag: 4,
      offset: 0,
      headerLength: 4,
      contentStart: 4,
      length: 300,
      end: 304,
    });
    assert.equal(parseDer(big, 'x', (r) => r.octetString('')).length, 300);
  });

  test('capture returns the element bytes next to the parsed value', () => {
    const der = tlv(0x30, hex('020107'));
    const got = parseDer(der, 'x', (r) => r.capture(0x30, 'seq', (s) => s.integer('')));
    assert.deepEqual(got, { raw: der, value: 7n });
  });

  test('decodeDerTree walks nested structures', () => {
    const der = tlv(0x30, cat(tlv(0x31, hex('0101ff')), hex('0400')));
    const tree = decodeDerTree(der);
    assert.equal(tree.tag, 0x30);
    assert.equal(tree.children.length, 2);
    assert.equal(tree.children[0]!.children[0]!.tag, 0x01);
    assert.deepEqual(tree.children[0]!.children[0]!.content, hex('ff'));
    assert.equal(tree.children[1]!.offset, 7);
  });
});

describe('DerReader rejects non-DER input with codes, offsets and fields', () => {
  const nested = (depth: number): Uint8Array => {
    let d: Uint8Array = hex('0500');
    for (let i = 0; i < depth; i++) d = tlv(0x30, d);
    return d;
  };
  const cases: { name: string; der: string | Uint8Array; code: string; read?: (r: DerReader) => unknown }[] =
    [
      { name: 'indefinite length', der: '30800201000000', code: 'ERR_DER_INVALID' },
      { name: 'long form for a short length', der: '048101aa', code: 'ERR_DER_NON_MINIMAL' },
      { name: 'length with a leading zero octet', der: '04820001aa', code: 'ERR_DER_NON_MINIMAL' },
      { name: 'reserved length 0xff', der: '04ff', code: 'ERR_DER_INVALID' },
      { name: 'length of 5 octets', der: '04850000000001aa', code: 'ERR_DER_INVALID' },
      { name: 'truncated contents', der: '0405aabb', code: 'ERR_DER_INVALID' },
      { name: 'truncated length octets', der: '048201', code: 'ERR_DER_INVALID' },
      { name: 'missing length octet', der: '04', code: 'ERR_DER_INVALID' },
      { name: 'empty input', der: '', code: 'ERR_DER_INVALID' },
      { name: 'trailing bytes after the element', der: '050000', code: 'ERR_DER_INVALID' },
      { name: 'too deep', der: nested(MAX_DER_DEPTH + 2), code: 'ERR_DER_DEPTH' },
      { name: 'high tag number form', der: '1f2200', code: 'ERR_DER_INVALID' },
      { name: 'constructed OCTET STRING (BER only)', der: '24030401aa', code: 'ERR_DER_INVALID' },
      { name: 'primitive SEQUENCE', der: '1000', code: 'ERR_DER_INVALID' },
      { name: 'end-of-contents tag', der: '0000', code: 'ERR_DER_INVALID' },
      {
        name: 'INTEGER with a redundant 0x00',
        der: '0202007f',
        code: 'ERR_DER_NON_MINIMAL',
        read: (r) => r.integer(''),
      },
      {
        name: 'INTEGER with a redundant 0xff',
        der: '0202ff80',
        code: 'ERR_DER_NON_MINIMAL',
        read: (r) => r.integer(''),
      },
      { name: 'empty INTEGER', der: '0200', code: 'ERR_DER_INVALID', read: (r) => r.integer('') },
      { name: 'wrong tag', der: '0401aa', code: 'ERR_DER_INVALID', read: (r) => r.integer('') },
      {
        name: 'BOOLEAN true as 0x01',
        der: '010101',
        code: 'ERR_DER_NON_MINIMAL',
        read: (r) => r.boolean(''),
      },
      { name: 'BOOLEAN of two octets', der: '0102ffff', code: 'ERR_DER_INVALID', read: (r) => r.boolean('') },
      { name: 'NULL with contents', der: '050100', code: 'ERR_DER_INVALID', read: (r) => r.null('') },
      {
        name: 'OID sub-identifier with a leading 0x80',
        der: '06032a8001',
        code: 'ERR_DER_NON_MINIMAL',
        read: (r) => r.oid(''),
      },
      {
        name: 'OID ending inside a sub-identifier',
        der: '06022a86',
        code: 'ERR_DER_INVALID',
        read: (r) => r.oid(''),
      },
      { name: 'empty OID', der: '0600', code: 'ERR_DER_INVALID', read: (r) => r.oid('') },
      {
        name: 'BIT STRING with 8 unused bits',
        der: '030208ff',
        code: 'ERR_DER_INVALID',
        read: (r) => r.bitString(''),
      },
      {
        name: 'BIT STRING with non-zero unused bits',
        der: '030206c1',
        code: 'ERR_DER_NON_MINIMAL',
        read: (r) => r.bitString(''),
      },
      { name: 'empty BIT STRING', der: '0300', code: 'ERR_DER_INVALID', read: (r) => r.bitString('') },
      {
        name: 'UTCTime without Z',
        der: tlv(0x17, [...Buffer.from('2306080727520')]),
        code: 'ERR_DER_INVALID',
        read: (r) => r.time(''),
      },
      {
        name: 'UTCTime with a zone offset',
        der: tlv(0x17, [...Buffer.from('230608072752+0100')]),
        code: 'ERR_DER_INVALID',
        read: (r) => r.time(''),
      },
      {
        name: 'UTCTime on 30 February',
        der: tlv(0x17, [...Buffer.from('230230000000Z')]),
        code: 'ERR_DER_INVALID',
        read: (r) => r.time(''),
      },
      {
        name: 'UTCTime at 24:00',
        der: tlv(0x17, [...Buffer.from('230101240000Z')]),
        code: 'ERR_DER_INVALID',
        read: (r) => r.time(''),
      },
      {
        name: 'GeneralizedTime with fractions',
        der: tlv(0x18, [...Buffer.from('20230101000000.5Z')]),
        code: 'ERR_DER_INVALID',
        read: (r) => r.time(''),
      },
      { name: 'time of another type', der: '0401aa', code: 'ERR_DER_INVALID', read: (r) => r.time('') },
      { name: 'UTF8String not UTF-8', der: '0c01ff', code: 'ERR_DER_INVALID', read: (r) => r.string('') },
      { name: 'PrintableString with @', der: '130140', code: 'ERR_DER_INVALID', read: (r) => r.string('') },
      {
        name: 'SEQUENCE not fully read',
        der: '3006020101020102',
        code: 'ERR_DER_INVALID',
        read: (r) => r.sequence('', (s) => s.integer('a')),
      },
      {
        name: 'ENUMERATED out of range',
        der: '0a0105',
        code: 'ERR_DER_INVALID',
        read: (r) => r.enumerated('', 2),
      },
      {
        name: 'smallInteger out of range',
        der: '02020100',
        code: 'ERR_DER_INVALID',
        read: (r) => r.smallInteger('', 0, 255),
      },
    ];
  for (const c of cases) {
    test(c.name, () => {
      const der = typeof c.der === 'string' ? hex(c.der) : c.der;
      const run = c.read === undefined ? () => validateDer(der, 'der') : () => parseDer(der, 'der', c.read!);
      assert.throws(run, (e: unknown) => {
        assert.ok(e instanceof ParseError, `expected a ParseError, got ${String(e)}`);
        assert.equal(e.code, c.code, e.message);
        assert.ok(e.offset >= 0, 'offset is set');
        assert.ok(e.field.startsWith('der'), `field path: ${e.field}`);
        return true;
      });
    });
  }

  test('the offset points at the offending element inside a structure', () => {
    // SEQUENCE { INTEGER 1, INTEGER 00 7f }: the second INTEGER starts at offset 5.
    const der = hex('30070201010202007f');
    assert.throws(
      () => parseDer(der, 'x', (r) => r.sequence('seq', (s) => [s.integer('a'), s.integer('b')])),
      (e: unknown) =>
        e instanceof ParseError &&
        e.code === 'ERR_DER_NON_MINIMAL' &&
        e.offset === 5 &&
        e.field === 'x.seq.b',
    );
  });

  test('the nesting limit is configurable and exact', () => {
    let d: Uint8Array = hex('0500');
    for (let i = 0; i < 4; i++) d = tlv(0x30, d);
    validateDer(d, 'der', 4);
    assert.throws(() => validateDer(d, 'der', 3), code('ERR_DER_DEPTH'));
  });
});

// A random DER tree, for the round-trip property.
type Tree = { kind: 'int'; v: bigint } | { kind: 'oct'; v: Uint8Array } | { kind: 'seq'; v: Tree[] };
const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((v) => ({ kind: 'int' as const, v })),
    fc.uint8Array({ maxLength: 200 }).map((v) => ({ kind: 'oct' as const, v })),
    fc.array(tie('tree'), { maxLength: 4 }).map((v) => ({ kind: 'seq' as const, v })),
  ),
})).tree;

function intContent(v: bigint): number[] {
  const out: number[] = [];
  let x = v;
  for (;;) {
    out.unshift(Number(x & 0xffn));
    const rest = x >> 8n;
    const sign = (out[0]! & 0x80) !== 0;
    if ((rest === 0n && !sign) || (rest === -1n && sign)) break;
    x = rest;
  }
  return out;
}

function encode(t: Tree): Uint8Array {
  if (t.kind === 'int') return tlv(0x02, intContent(t.v));
  if (t.kind === 'oct') return tlv(0x04, t.v);
  return tlv(0x30, cat(...t.v.map(encode)));
}

function decode(r: DerReader): Tree {
  const tag = r.peekTag();
  if (tag === 0x02) return { kind: 'int', v: r.integer('') };
  if (tag === 0x04) return { kind: 'oct', v: r.octetString('') };
  return {
    kind: 'seq',
    v: r.sequence('', (s) => {
      const out: Tree[] = [];
      while (!s.atEnd) out.push(decode(s));
      return out;
    }),
  };
}

describe('DER properties', () => {
  test('minimal encodings of random trees decode to the same tree', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const der = encode(t);
        validateDer(der);
        assert.deepEqual(parseDer(der, 'x', decode), t);
      }),
      { numRuns: 300 },
    );
  });

  test('arbitrary bytes: only AttestErrors escape the reader', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const run of [
          () => validateDer(bytes),
          () => decodeDerTree(bytes),
          () => parseDer(bytes, 'x', (r) => r.sequence('', (s) => [s.integer('a'), s.oid('b'), s.time('c')])),
          () => parseDer(bytes, 'x', (r) => r.bitString('')),
          () => parseDer(bytes, 'x', (r) => r.string('')),
        ]) {
          try {
            run();
          } catch (e) {
            if (!isAttestError(e)) throw e;
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  test('mutated valid encodings: only AttestErrors escape', () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (t, pos, mask) => {
        const der = encode(t);
        const bad = der.slice();
        const i = pos % bad.length;
        bad[i] = bad[i]! ^ mask;
        try {
          decodeDerTree(bad);
        } catch (e) {
          if (!isAttestError(e)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('BytesMemo (OID and name memo of the fast paths)', () => {
  test('a hit needs the same bytes; a range of a larger array is looked up by its bytes', () => {
    const memo = new BytesMemo<string>(4);
    const a = new Uint8Array([0x55, 0x1d, 0x13]);
    memo.set(a, 0, 3, 'basicConstraints');
    assert.equal(memo.get(new Uint8Array([9, 0x55, 0x1d, 0x13, 9]), 1, 4), 'basicConstraints');
    assert.equal(memo.get(new Uint8Array([0x55, 0x1d, 0x14]), 0, 3), undefined);
    assert.equal(memo.get(new Uint8Array([0x55, 0x1d]), 0, 2), undefined);
    // The memo keeps its own copy: changing the array it was given does not change a later hit.
    a[2] = 0x14;
    assert.equal(memo.get(new Uint8Array([0x55, 0x1d, 0x13]), 0, 3), 'basicConstraints');
    assert.equal(memo.get(a, 0, 3), undefined);
  });

  test('bounded: emptied when full', () => {
    const memo = new BytesMemo<number>(2);
    for (let i = 0; i < 3; i++) memo.set(new Uint8Array([i]), 0, 1, i);
    assert.equal(memo.get(new Uint8Array([2]), 0, 1), 2);
    assert.equal(memo.get(new Uint8Array([0]), 0, 1), undefined);
  });

  test('property: a value is returned only for the bytes it was stored under', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 24 }),
        fc.uint8Array({ minLength: 0, maxLength: 24 }),
        (x, y) => {
          const memo = new BytesMemo<string>(8);
          memo.set(x, 0, x.length, 'x');
          const same = x.length === y.length && x.every((v, i) => v === y[i]);
          assert.equal(memo.get(y, 0, y.length), same ? 'x' : undefined);
        },
      ),
      { numRuns: 300 },
    );
  });
});
