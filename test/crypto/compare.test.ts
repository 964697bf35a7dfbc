import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { sha256, timingSafeEqual } from '../../src/crypto/index.ts';
import { bytesEqual, toHex } from '../../src/wire/hex.ts';

describe('timingSafeEqual', () => {
  test('equal, different, and different-length inputs', () => {
    assert.equal(timingSafeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3)), true);
    assert.equal(timingSafeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4)), false);
    assert.equal(timingSafeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2)), false);
    assert.equal(timingSafeEqual(new Uint8Array(0), new Uint8Array(0)), true);
  });

  test('property: agrees with bytesEqual and never throws on byte arrays', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        assert.equal(timingSafeEqual(a, b), bytesEqual(a, b));
        assert.equal(timingSafeEqual(a, a.slice()), true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sha256', () => {
  test('FIPS 180-2 "abc" and the empty string', () => {
    assert.equal(
      toHex(sha256(new TextEncoder().encode('abc'))),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    assert.equal(
      toHex(sha256(new Uint8Array(0))),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});
