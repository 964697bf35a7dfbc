import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { aesCmac } from '../../src/crypto/index.ts';
import { fromHex, toHex } from '../../src/wire/hex.ts';

// RFC 4493 §4 "Test Vectors" (AES-128, K = 2b7e1516 28aed2a6 abf71588 09cf4f3c).
const KEY = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
const M = fromHex(
  '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
);
const RFC4493 = [
  { name: 'Example 1: len = 0', len: 0, tag: 'bb1d6929e95937287fa37d129b756746' },
  { name: 'Example 2: len = 16', len: 16, tag: '070a16b46b4d4144f79bdd9dd04a287c' },
  { name: 'Example 3: len = 40', len: 40, tag: 'dfa66747de9ae63030ca32611497c827' },
  { name: 'Example 4: len = 64', len: 64, tag: '51f0bebf7e3b9d92fc49741779363cfe' },
] as const;

describe('aesCmac (RFC 4493)', () => {
  for (const v of RFC4493) {
    test(`RFC 4493 ${v.name}`, () => {
      assert.equal(toHex(aesCmac(KEY, M.subarray(0, v.len))), v.tag);
    });
  }

  test('refuses keys that are not 16 bytes with ERR_CRYPTO_INVALID_LENGTH', () => {
    for (const n of [0, 15, 17, 32]) {
      assert.throws(
        () => aesCmac(new Uint8Array(n), M),
        (e: { code?: string }) => e.code === 'ERR_CRYPTO_INVALID_LENGTH',
      );
    }
  });

  test('does not modify its inputs and returns a fresh 16-byte tag', () => {
    const data = M.slice(0, 23);
    const before = toHex(data);
    const tag = aesCmac(KEY, data);
    assert.equal(tag.length, 16);
    assert.equal(toHex(data), before);
  });

  test('property: a one-bit change of the message or of the key changes the tag', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 1, maxLength: 80 }),
        fc.nat(),
        (key, data, at) => {
          const tag = aesCmac(key, data);
          const flipped = data.slice();
          flipped[at % data.length]! ^= 1 << (at % 8);
          assert.notEqual(toHex(aesCmac(key, flipped)), toHex(tag));
          const key2 = key.slice();
          key2[at % 16]! ^= 1;
          assert.notEqual(toHex(aesCmac(key2, data)), toHex(tag));
          // An incomplete last block padded by hand (10*) is MAC'd under K1, not K2: the tags differ.
          if (data.length % 16 !== 0) {
            const padded = new Uint8Array(Math.ceil(data.length / 16) * 16);
            padded.set(data);
            padded[data.length] = 0x80;
            assert.notEqual(toHex(aesCmac(key, padded)), toHex(tag));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
