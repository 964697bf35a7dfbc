import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createEphemeralEcdh,
  dangerouslyIntelSampleRandom,
  ecdhSharedSecretLE,
  generateEcKeyPair,
  privateKeyFromPem,
  privateKeyFromScalar,
  privateKeyFromSgx,
  privateKeyToPem,
  privateKeyToScalar,
  publicKeyFromHex,
  publicKeyFromPem,
  publicKeyOf,
  publicKeyToPem,
  repeatingRandom,
  signSgx,
  validateEc256Public,
  verifySgx,
} from '../../src/crypto/index.ts';
import { isAttestError } from '../../src/errors.ts';
import { fromHex, reversed, toHex } from '../../src/wire/hex.ts';
import { ec256PublicToSec1, ec256SignatureToP1363, parseMsg1, parseMsg2 } from '../../src/wire/ra.ts';
import { sample1Bytes, SAMPLE1 as V } from '../helpers/intel-sample.ts';

const h = sample1Bytes;
const codeIs =
  (code: string) =>
  (e: unknown): boolean =>
    (e as { code?: string }).code === code;

/** P-256 order n, big-endian. */
const N_BE = 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551';
/** P-256 field prime p, big-endian. */
const P_BE = 'ffffffff00000001000000000000000000000000ffffffffffffffffffffffff';

describe('P-256 keys in SGX byte order (PROTOCOL-SEED.md §5.1, §6.7)', () => {
  test("Intel's sample RNG yields b = 0x00000009×8 and the sample g_b (§6.7)", () => {
    const kp = generateEcKeyPair(dangerouslyIntelSampleRandom);
    assert.equal(toHex(kp.publicKey), V.gB);
    assert.equal(toHex(privateKeyToScalar(kp.privateKey)), V.ephemeralScalarBE);
    assert.ok(Object.isFrozen(kp));
  });

  test('the scalar is read little-endian from the random bytes', () => {
    const scalarLE = fromHex('0102030405060708091011121314151617181920212223242526272829303132');
    const kp = generateEcKeyPair(repeatingRandom(scalarLE));
    assert.equal(toHex(privateKeyToScalar(kp.privateKey)), toHex(reversed(scalarLE)));
  });

  test('a scalar outside [1, n) is redrawn; a source that never gives one fails closed', () => {
    const nLE = reversed(fromHex(N_BE));
    const good = new Uint8Array(32).fill(7);
    let calls = 0;
    const kp = generateEcKeyPair((n) => (calls++ === 0 ? nLE.slice(0, n) : good.slice(0, n)));
    assert.equal(calls, 2);
    assert.equal(toHex(privateKeyToScalar(kp.privateKey)), '07'.repeat(32));
    assert.throws(
      () => generateEcKeyPair(() => new Uint8Array(32)),
      codeIs('ERR_CRYPTO_INVALID_PRIVATE_KEY'),
    );
  });

  test('the default source gives distinct valid key pairs', () => {
    const a = generateEcKeyPair();
    const b = generateEcKeyPair();
    validateEc256Public(a.publicKey);
    assert.notEqual(toHex(a.publicKey), toHex(b.publicKey));
  });

  test('the sample SP key: LE and BE imports agree and give g_sp_pub_key (§6.3)', () => {
    const le = privateKeyFromSgx(h('spPrivateKeyLE'));
    const be = privateKeyFromScalar(h('spPrivateKeyBE'));
    assert.equal(toHex(publicKeyOf(le)), V.spPublicKeyLE);
    assert.equal(toHex(publicKeyOf(be)), V.spPublicKeyLE);
  });

  test('the sample report key g_rk gives its public key (§5.7)', () => {
    assert.equal(toHex(publicKeyOf(privateKeyFromSgx(h('reportKeyPrivateLE')))), V.reportKeyPublicLE);
  });

  test('PEM roundtrips: PKCS#8 private key, SPKI public key, hex public key', () => {
    const key = privateKeyFromSgx(h('spPrivateKeyLE'));
    const pem = privateKeyToPem(key);
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----/);
    const again = privateKeyFromPem(pem);
    assert.equal(toHex(privateKeyToScalar(again)), V.spPrivateKeyBE);
    const pubPem = publicKeyToPem(h('spPublicKeyLE'));
    assert.match(pubPem, /^-----BEGIN PUBLIC KEY-----/);
    assert.equal(toHex(publicKeyFromPem(pubPem)), V.spPublicKeyLE);
    assert.equal(toHex(publicKeyFromPem(pem)), V.spPublicKeyLE);
    assert.equal(toHex(publicKeyFromHex(V.spPublicKeyLE!.toUpperCase())), V.spPublicKeyLE);
  });

  test('a SEC1 "EC PRIVATE KEY" PEM from OpenSSL imports too', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    const key = privateKeyFromPem(sec1);
    assert.equal(toHex(privateKeyToScalar(key)), toHex(privateKeyToScalar(privateKey)));
  });

  const importErrors = [
    {
      name: 'garbage private PEM',
      code: 'ERR_PEM_INVALID',
      run: () => privateKeyFromPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
    },
    { name: 'garbage public PEM', code: 'ERR_PEM_INVALID', run: () => publicKeyFromPem('not a pem') },
    {
      name: 'P-384 private key',
      code: 'ERR_CRYPTO_INVALID_PRIVATE_KEY',
      run: () =>
        privateKeyFromPem(
          generateKeyPairSync('ec', { namedCurve: 'P-384' })
            .privateKey.export({ type: 'pkcs8', format: 'pem' })
            .toString(),
        ),
    },
    {
      name: 'Ed25519 public key',
      code: 'ERR_CRYPTO_INVALID_PUBLIC_KEY',
      run: () =>
        publicKeyFromPem(
          generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        ),
    },
    {
      name: 'scalar 0',
      code: 'ERR_CRYPTO_INVALID_PRIVATE_KEY',
      run: () => privateKeyFromScalar(new Uint8Array(32)),
    },
    {
      name: 'scalar n',
      code: 'ERR_CRYPTO_INVALID_PRIVATE_KEY',
      run: () => privateKeyFromScalar(fromHex(N_BE)),
    },
    {
      name: 'scalar of 31 bytes',
      code: 'ERR_CRYPTO_INVALID_LENGTH',
      run: () => privateKeyFromScalar(new Uint8Array(31).fill(1)),
    },
    {
      name: 'hex public key of 63 bytes',
      code: 'ERR_HEX_INVALID',
      run: () => publicKeyFromHex(V.spPublicKeyLE!.slice(2)),
    },
    {
      name: 'hex public key off the curve',
      code: 'ERR_CRYPTO_INVALID_PUBLIC_KEY',
      run: () => publicKeyFromHex(`00${V.spPublicKeyLE!.slice(2)}`),
    },
  ];
  for (const c of importErrors) {
    test(`import refuses ${c.name} with ${c.code}`, () => {
      assert.throws(c.run, codeIs(c.code));
    });
  }
});

describe('validateEc256Public (§11.1 S14)', () => {
  const gA = parseMsg1(h('msg1')).gA;
  const withByte = (b: Uint8Array, i: number, x: number): Uint8Array => {
    const c = b.slice();
    c[i] = x;
    return c;
  };
  test('accepts the sample g_a, g_b and SP key', () => {
    validateEc256Public(gA);
    validateEc256Public(h('gB'));
    validateEc256Public(h('spPublicKeyLE'));
  });
  const cases = [
    {
      name: 'the point at infinity (all zero)',
      key: new Uint8Array(64),
      code: 'ERR_CRYPTO_INVALID_PUBLIC_KEY',
    },
    { name: 'gx low byte flipped', key: withByte(gA, 0, gA[0]! ^ 1), code: 'ERR_CRYPTO_INVALID_PUBLIC_KEY' },
    {
      name: 'gy high byte flipped',
      key: withByte(gA, 63, gA[63]! ^ 0x80),
      code: 'ERR_CRYPTO_INVALID_PUBLIC_KEY',
    },
    {
      name: 'gx = p (not reduced)',
      key: new Uint8Array([...reversed(fromHex(P_BE)), ...gA.subarray(32)]),
      code: 'ERR_CRYPTO_INVALID_PUBLIC_KEY',
    },
    { name: 'all 0xff', key: new Uint8Array(64).fill(0xff), code: 'ERR_CRYPTO_INVALID_PUBLIC_KEY' },
    { name: 'SEC1 form (65 bytes)', key: ec256PublicToSec1(gA), code: 'ERR_CRYPTO_INVALID_LENGTH' },
    { name: 'x only (32 bytes)', key: gA.subarray(0, 32), code: 'ERR_CRYPTO_INVALID_LENGTH' },
    { name: 'empty', key: new Uint8Array(0), code: 'ERR_CRYPTO_INVALID_LENGTH' },
  ];
  for (const c of cases) {
    test(`refuses ${c.name} with ${c.code}, in ECDH and verify as well`, () => {
      assert.throws(() => validateEc256Public(c.key), codeIs(c.code));
      const b = generateEcKeyPair(dangerouslyIntelSampleRandom).privateKey;
      assert.throws(() => ecdhSharedSecretLE(b, c.key), codeIs(c.code));
      assert.throws(() => createEphemeralEcdh().sharedSecretLE(c.key), codeIs(c.code));
      assert.throws(() => verifySgx(c.key, new Uint8Array(1), new Uint8Array(64)), codeIs(c.code));
    });
  }

  test('property: arbitrary 64 bytes are accepted or refused with a CryptoError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (bytes) => {
        try {
          validateEc256Public(bytes);
        } catch (e) {
          assert.ok(isAttestError(e));
          assert.equal((e as { code: string }).code, 'ERR_CRYPTO_INVALID_PUBLIC_KEY');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('ECDH (§6.1) and ECDSA (§6.3) in SGX byte order', () => {
  const m1 = parseMsg1(h('msg1'));
  const m2 = parseMsg2(h('msg2'));
  const gbga = new Uint8Array([...m2.gB, ...m1.gA]);

  test('sample set 1: ECDH(b, g_a) = shared_LE', () => {
    const b = generateEcKeyPair(dangerouslyIntelSampleRandom).privateKey;
    assert.equal(toHex(ecdhSharedSecretLE(b, m1.gA)), V.sharedSecretLE);
  });

  test('ECDH agrees from both sides', () => {
    const a = generateEcKeyPair();
    const b = generateEcKeyPair();
    assert.equal(
      toHex(ecdhSharedSecretLE(a.privateKey, b.publicKey)),
      toHex(ecdhSharedSecretLE(b.privateKey, a.publicKey)),
    );
  });

  test('the sample sign_gb_ga verifies with g_sp_pub_key; r = g_b.x (§6.7)', () => {
    assert.equal(verifySgx(h('spPublicKeyLE'), gbga, m2.signGbGa), true);
    assert.equal(toHex(m2.signGbGa.subarray(0, 32)), toHex(m2.gB.subarray(0, 32)));
    assert.equal(toHex(ec256SignatureToP1363(m2.signGbGa).subarray(32)), V.signGbGaSBE);
  });

  test("with the sample nonce source, signSgx reproduces Intel's sign_gb_ga bit for bit", () => {
    const sp = privateKeyFromSgx(h('spPrivateKeyLE'));
    const sig = signSgx(sp, gbga, { dangerouslyNonceSource: dangerouslyIntelSampleRandom });
    assert.equal(toHex(sig), toHex(m2.signGbGa));
  });

  test('default signatures are randomized and verify', () => {
    const sp = privateKeyFromSgx(h('spPrivateKeyLE'));
    const s1 = signSgx(sp, gbga);
    const s2 = signSgx(sp, gbga);
    assert.equal(s1.length, 64);
    assert.notEqual(toHex(s1), toHex(s2));
    assert.equal(verifySgx(h('spPublicKeyLE'), gbga, s1), true);
    assert.equal(verifySgx(h('spPublicKeyLE'), gbga, s2), true);
  });

  const flip = (b: Uint8Array, i: number): Uint8Array => {
    const c = b.slice();
    c[i]! ^= 0x01;
    return c;
  };
  const rejects = [
    { name: 'r low byte flipped', data: gbga, sig: flip(m2.signGbGa, 0) },
    { name: 's high byte flipped', data: gbga, sig: flip(m2.signGbGa, 63) },
    { name: 'message: g_b byte flipped', data: flip(gbga, 5), sig: m2.signGbGa },
    { name: 'message: g_a byte flipped', data: flip(gbga, 100), sig: m2.signGbGa },
    {
      name: 'r and s swapped',
      data: gbga,
      sig: new Uint8Array([...m2.signGbGa.subarray(32), ...m2.signGbGa.subarray(0, 32)]),
    },
    { name: 'signature in P1363 byte order', data: gbga, sig: ec256SignatureToP1363(m2.signGbGa) },
    { name: 'r = s = 0', data: gbga, sig: new Uint8Array(64) },
    {
      name: 'r = s = n',
      data: gbga,
      sig: new Uint8Array([...reversed(fromHex(N_BE)), ...reversed(fromHex(N_BE))]),
    },
    { name: 'signature of 63 bytes', data: gbga, sig: m2.signGbGa.subarray(0, 63) },
    { name: 'empty signature', data: gbga, sig: new Uint8Array(0) },
  ];
  for (const c of rejects) {
    test(`verifySgx returns false: ${c.name}`, () => {
      assert.equal(verifySgx(h('spPublicKeyLE'), c.data, c.sig), false);
    });
  }

  test('verifySgx with the wrong public key returns false', () => {
    assert.equal(verifySgx(h('gB'), gbga, m2.signGbGa), false);
  });

  test('property: arbitrary signatures never verify and never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (sig) => {
        assert.equal(verifySgx(h('spPublicKeyLE'), gbga, sig), false);
      }),
      { numRuns: 200 },
    );
  });

  test('property: sign/verify roundtrip with deterministic nonces from arbitrary sources', () => {
    const sp = privateKeyFromSgx(h('spPrivateKeyLE'));
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 64 }),
        (seed, data) => {
          try {
            const sig = signSgx(sp, data, { dangerouslyNonceSource: repeatingRandom(seed) });
            assert.equal(verifySgx(h('spPublicKeyLE'), data, sig), true);
          } catch (e) {
            // Only a seed giving no scalar in [1, n) (e.g. all zero) may fail, and only with a CryptoError.
            assert.equal((e as { code?: string }).code, 'ERR_CRYPTO_INVALID_PRIVATE_KEY');
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('createEphemeralEcdh: the RA key exchange without a KeyObject (§6.1)', () => {
  test("Intel's sample RNG gives the sample g_b, and the sample shared secret with g_a (§6.7)", () => {
    const e = createEphemeralEcdh(dangerouslyIntelSampleRandom);
    assert.equal(toHex(e.publicKey), V.gB);
    const b = generateEcKeyPair(dangerouslyIntelSampleRandom).privateKey;
    const gA = parseMsg1(h('msg1')).gA;
    assert.deepEqual(e.sharedSecretLE(gA), ecdhSharedSecretLE(b, gA));
  });
  // A repeating draw that is not a valid scalar would be redrawn forever; those are refused alike (below).
  const scalar = fc
    .uint8Array({ minLength: 32, maxLength: 32 })
    .filter((x) => x.some((v) => v !== 0) && x[31]! < 0xff);
  test('a source that never yields a valid scalar is refused like generateEcKeyPair refuses it', () => {
    assert.throws(
      () => createEphemeralEcdh(repeatingRandom(new Uint8Array(32))),
      codeIs('ERR_CRYPTO_INVALID_PRIVATE_KEY'),
    );
    assert.throws(
      () => generateEcKeyPair(repeatingRandom(new Uint8Array(32))),
      codeIs('ERR_CRYPTO_INVALID_PRIVATE_KEY'),
    );
  });
  test('property: the same draws as generateEcKeyPair, the same secret both ways', () => {
    fc.assert(
      fc.property(scalar, scalar, (a, b) => {
        const ea = createEphemeralEcdh(repeatingRandom(a));
        const ka = generateEcKeyPair(repeatingRandom(a));
        assert.deepEqual(ea.publicKey, ka.publicKey);
        const eb = createEphemeralEcdh(repeatingRandom(b));
        const s1 = ea.sharedSecretLE(eb.publicKey);
        assert.equal(s1.length, 32);
        assert.deepEqual(s1, eb.sharedSecretLE(ea.publicKey));
        assert.deepEqual(s1, ecdhSharedSecretLE(ka.privateKey, eb.publicKey));
      }),
      { numRuns: 50 },
    );
  });
  test('many keys alive at once, used in any order, each with its own scalar (one shared native context)', () => {
    const n = 16;
    const eph = Array.from({ length: n }, () => createEphemeralEcdh());
    const peers = Array.from({ length: n }, () => generateEcKeyPair());
    // Reverse order, and an ECDSA nonce point in between: neither may disturb the other keys.
    for (let i = n - 1; i >= 0; i--) {
      const e = eph[i]!;
      const p = peers[i]!;
      assert.deepEqual(e.sharedSecretLE(p.publicKey), ecdhSharedSecretLE(p.privateKey, e.publicKey));
      const other = peers[(i + 1) % n]!;
      assert.ok(
        verifySgx(
          other.publicKey,
          new Uint8Array([i]),
          signSgx(other.privateKey, new Uint8Array([i]), {
            dangerouslyNonceSource: () => new Uint8Array(32).fill(i + 1),
          }),
        ),
      );
      assert.deepEqual(e.sharedSecretLE(p.publicKey), ecdhSharedSecretLE(p.privateKey, e.publicKey));
    }
  });
  test('destroy() zero-fills the scalar: the key derives nothing afterwards (idempotent)', () => {
    const e = createEphemeralEcdh();
    const peer = generateEcKeyPair();
    assert.deepEqual(e.sharedSecretLE(peer.publicKey), ecdhSharedSecretLE(peer.privateKey, e.publicKey));
    e.destroy();
    e.destroy();
    assert.throws(() => e.sharedSecretLE(peer.publicKey), codeIs('ERR_CRYPTO_INVALID_PRIVATE_KEY'));
    assert.equal(e.publicKey.length, 64);
  });
});
