import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { aesGcmDecrypt, aesGcmEncrypt } from '../../src/crypto/index.ts';
import { isAttestError } from '../../src/errors.ts';
import { fromHex, toHex } from '../../src/wire/hex.ts';
import { SAMPLES } from '../helpers/intel-sample.ts';

const VECTORS = SAMPLES;
const IV0 = new Uint8Array(12);

describe('AES-128-GCM (PROTOCOL-SEED.md §6.5, §7)', () => {
  for (const set of ['sample1', 'sample2'] as const) {
    for (const which of ['gcmIntel', 'gcmSeed'] as const) {
      test(`${set} ${which}: GCM(SK, 0^12) reproduces ciphertext and tag, and decrypts`, () => {
        const v = VECTORS[set][which];
        const sk = fromHex(VECTORS[set].sk);
        const sealed = aesGcmEncrypt(sk, IV0, fromHex(v.plaintext));
        assert.equal(toHex(sealed.ciphertext), v.ciphertext);
        assert.equal(toHex(sealed.tag), v.tag);
        assert.equal(toHex(aesGcmDecrypt(sk, IV0, fromHex(v.ciphertext), fromHex(v.tag))), v.plaintext);
      });
    }
  }

  const v = VECTORS.sample1.gcmIntel;
  const sk = fromHex(VECTORS.sample1.sk);
  const flip = (b: Uint8Array, i: number): Uint8Array => {
    const c = b.slice();
    c[i]! ^= 0x01;
    return c;
  };
  const ct = fromHex(v.ciphertext);
  const tag = fromHex(v.tag);
  const cases = [
    { name: 'ciphertext byte 0 flipped', key: sk, iv: IV0, ct: flip(ct, 0), tag, aad: undefined },
    { name: 'ciphertext last byte flipped', key: sk, iv: IV0, ct: flip(ct, 7), tag, aad: undefined },
    { name: 'tag byte 0 flipped', key: sk, iv: IV0, ct, tag: flip(tag, 0), aad: undefined },
    { name: 'tag byte 15 flipped', key: sk, iv: IV0, ct, tag: flip(tag, 15), aad: undefined },
    { name: 'wrong key', key: flip(sk, 3), iv: IV0, ct, tag, aad: undefined },
    { name: 'wrong IV', key: sk, iv: flip(IV0, 11), ct, tag, aad: undefined },
    { name: 'unexpected AAD', key: sk, iv: IV0, ct, tag, aad: Uint8Array.of(1) },
    { name: 'truncated ciphertext', key: sk, iv: IV0, ct: ct.subarray(0, 7), tag, aad: undefined },
    {
      name: 'all-zero tag (the seed SP on a refused quote)',
      key: sk,
      iv: IV0,
      ct,
      tag: new Uint8Array(16),
      aad: undefined,
    },
  ];
  for (const c of cases) {
    test(`decrypt fails with ERR_CRYPTO_DECRYPT_FAILED: ${c.name}`, () => {
      assert.throws(
        () => aesGcmDecrypt(c.key, c.iv, c.ct, c.tag, c.aad),
        (e: { code?: string }) => e.code === 'ERR_CRYPTO_DECRYPT_FAILED',
      );
    });
  }

  const lengths = [
    {
      name: 'key of 32 bytes (AES-256 is not accepted)',
      run: () => aesGcmEncrypt(new Uint8Array(32), IV0, ct),
    },
    { name: 'IV of 16 bytes', run: () => aesGcmEncrypt(sk, new Uint8Array(16), ct) },
    { name: 'decrypt IV of 8 bytes', run: () => aesGcmDecrypt(sk, new Uint8Array(8), ct, tag) },
    { name: 'truncated 12-byte tag', run: () => aesGcmDecrypt(sk, IV0, ct, tag.subarray(0, 12)) },
    { name: 'empty tag', run: () => aesGcmDecrypt(sk, IV0, ct, new Uint8Array(0)) },
  ];
  for (const c of lengths) {
    test(`refuses ${c.name} with ERR_CRYPTO_INVALID_LENGTH`, () => {
      assert.throws(c.run, (e: { code?: string }) => e.code === 'ERR_CRYPTO_INVALID_LENGTH');
    });
  }

  test('property: roundtrip with AAD; any tampering only throws AttestErrors', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 16 }),
        fc.uint8Array({ maxLength: 20 }),
        (key, iv, pt, aad, junkTag) => {
          const s = aesGcmEncrypt(key, iv, pt, aad);
          assert.equal(toHex(aesGcmDecrypt(key, iv, s.ciphertext, s.tag, aad)), toHex(pt));
          try {
            aesGcmDecrypt(key, iv, s.ciphertext, junkTag, aad);
          } catch (e) {
            assert.ok(isAttestError(e));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
