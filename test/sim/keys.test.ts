import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  derBoolean,
  derEnumerated,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
} from '../../src/sim/der.ts';
import {
  deriveBytes,
  deriveP256Key,
  privateKeyPem,
  seedBytes,
  signP256,
  simKeyFromPem,
  simKeyFromPrivate,
} from '../../src/sim/keys.ts';
import { fromHex, toHex } from '../../src/wire/hex.ts';

// RFC 6979 Appendix A.2.5: P-256 key pair and SHA-256 signatures.
const RFC6979_X = fromHex('c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721');
const RFC6979_UX = '60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6';
const RFC6979_CASES = [
  {
    message: 'sample',
    rs:
      'efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716' +
      'f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8',
  },
  {
    message: 'test',
    rs:
      'f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367' +
      '019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083',
  },
];

describe('sim/keys: deterministic ECDSA (RFC 6979)', () => {
  for (const c of RFC6979_CASES) {
    test(`RFC 6979 A.2.5 P-256/SHA-256 "${c.message}"`, () => {
      const sig = signP256(RFC6979_X, new TextEncoder().encode(c.message));
      assert.equal(toHex(sig), c.rs);
    });
  }

  test('RFC 6979 A.2.5 public key Ux', () => {
    assert.equal(toHex(simKeyFromPrivate('rfc', RFC6979_X).publicKeyRaw.subarray(0, 32)), RFC6979_UX);
  });

  test('signatures verify with node:crypto (property)', () => {
    const key = deriveP256Key(seedBytes('prop'), 'sign');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (msg) => {
        const sig = signP256(key.privateKey, msg);
        assert.equal(sig.length, 64);
        assert.ok(verify('sha256', msg, { key: key.publicKeyObject, dsaEncoding: 'ieee-p1363' }, sig));
        assert.deepEqual(signP256(key.privateKey, msg), sig);
      }),
      { numRuns: 100 },
    );
  });

  test('out-of-range scalars are refused', () => {
    assert.throws(() => signP256(new Uint8Array(32), new Uint8Array(1)), RangeError);
    assert.throws(() => simKeyFromPrivate('x', new Uint8Array(32).fill(0xff)), RangeError);
    assert.throws(() => simKeyFromPrivate('x', new Uint8Array(31).fill(1)), RangeError);
  });
});

describe('sim/keys: derivation', () => {
  test('same seed and label → same key; other label or seed → other key', () => {
    const s = seedBytes('seed-a');
    const a = deriveP256Key(s, 'pki/root');
    assert.deepEqual(deriveP256Key(seedBytes('seed-a'), 'pki/root').privateKey, a.privateKey);
    assert.notDeepEqual(deriveP256Key(s, 'pki/pck').privateKey, a.privateKey);
    assert.notDeepEqual(deriveP256Key(seedBytes('seed-b'), 'pki/root').privateKey, a.privateKey);
    assert.deepEqual(deriveBytes(s, 'x', 20), deriveBytes(s, 'x', 20));
    assert.equal(a.publicKey[0], 0x04);
    assert.deepEqual(a.publicKey.subarray(1), a.publicKeyRaw);
  });

  test('PKCS#8 PEM round trip', () => {
    const k = deriveP256Key(seedBytes('pem'), 'k');
    const pem = privateKeyPem(k);
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
    const back = simKeyFromPem('k', pem);
    assert.deepEqual(back.privateKey, k.privateKey);
    assert.deepEqual(back.spki, k.spki);
  });

  test('seeds: strings are UTF-8, empty seeds are refused, bytes are copied', () => {
    assert.deepEqual(seedBytes('ab'), Uint8Array.of(0x61, 0x62));
    assert.throws(() => seedBytes(''), RangeError);
    assert.throws(() => seedBytes(new Uint8Array(0)), RangeError);
    const b = Uint8Array.of(1, 2);
    const copy = seedBytes(b);
    b[0] = 9;
    assert.equal(copy[0], 1);
  });
});

describe('sim/der: encoder known answers (X.690)', () => {
  test('OID 1.2.840.113741.1.13.1 (Intel SGX extension)', () => {
    assert.equal(toHex(derOid('1.2.840.113741.1.13.1')), '06092a864886f84d010d01');
  });
  test('INTEGER: minimal, sign-padded', () => {
    assert.equal(toHex(derInteger(0)), '020100');
    assert.equal(toHex(derInteger(11)), '02010b');
    assert.equal(toHex(derInteger(255)), '020200ff');
    assert.equal(toHex(derInteger(256)), '02020100');
  });
  test('ENUMERATED, BOOLEAN, OCTET STRING, SEQUENCE', () => {
    assert.equal(toHex(derEnumerated(1)), '0a0101');
    assert.equal(toHex(derBoolean(true)), '0101ff');
    assert.equal(toHex(derBoolean(false)), '010100');
    assert.equal(toHex(derOctetString(Uint8Array.of(0, 0))), '04020000');
    assert.equal(toHex(derSequence(derInteger(1), derInteger(2))), '3006020101020102');
  });
  test('long-form lengths', () => {
    const big = derOctetString(new Uint8Array(200));
    assert.equal(toHex(big.subarray(0, 3)), '0481c8');
    const bigger = derOctetString(new Uint8Array(300));
    assert.equal(toHex(bigger.subarray(0, 4)), '0482012c');
  });
});
