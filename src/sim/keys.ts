/**
 * Deterministic keys and signatures for the simulator.
 *
 * Every secret of a simulated platform is derived from one seed: HKDF-SHA256 (RFC 5869) with a
 * per-purpose label, reduced into a P-256 scalar. Signatures use deterministic ECDSA (RFC 6979
 * §3.2 with HMAC-SHA256), so the same seed and inputs give byte-identical certificates, CRLs,
 * collateral and quotes. `node:crypto` does the point multiplication (through ECDH) and the
 * hashing; only the scalar arithmetic of the signature is done here with `bigint`.
 *
 * These keys are for simulation and tests only: a seed is a secret equivalent to every key.
 *
 * @module
 */
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { bigIntTo32, bytesToBigInt, modInverse, multiplyBase, P256_N } from '../crypto/p256-arith.ts';
import { concatBytes } from '../wire/hex.ts';

const SALT = new TextEncoder().encode('attestkit simulated platform v1');

/** A P-256 key pair derived from the simulator seed. */
export interface SimKey {
  /** The derivation label (e.g. `pki/root`). */
  readonly label: string;
  /** The private scalar d, 32 bytes big-endian. */
  readonly privateKey: Uint8Array;
  /** The public point, uncompressed SEC1 (`04 ‖ X ‖ Y`, 65 bytes). */
  readonly publicKey: Uint8Array;
  /** The public point as Intel's quotes carry it: raw `X ‖ Y` (64 bytes, big-endian coordinates). */
  readonly publicKeyRaw: Uint8Array;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  /** The private key for `node:crypto`. */
  readonly keyObject: KeyObject;
  /** The public key for `node:crypto`. */
  readonly publicKeyObject: KeyObject;
}

/** Normalises a seed: strings are taken as UTF-8, bytes are copied. */
export function seedBytes(seed: string | Uint8Array): Uint8Array {
  if (typeof seed === 'string') {
    if (seed.length === 0) throw new RangeError('the simulator seed must not be empty');
    return new TextEncoder().encode(seed);
  }
  if (!(seed instanceof Uint8Array)) throw new TypeError('seed must be a string or a Uint8Array');
  if (seed.length === 0) throw new RangeError('the simulator seed must not be empty');
  return seed.slice();
}

/** `length` pseudo-random bytes for `label`, from HKDF-SHA256 over the seed (RFC 5869). */
export function deriveBytes(seed: Uint8Array, label: string, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', seed, SALT, new TextEncoder().encode(label), length));
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** Builds a {@link SimKey} from a private scalar (32 bytes big-endian, 1 ≤ d < n). */
export function simKeyFromPrivate(label: string, d32: Uint8Array): SimKey {
  const d = bytesToBigInt(d32);
  if (d32.length !== 32 || d <= 0n || d >= P256_N) throw new RangeError('P-256 private scalar out of range');
  const publicKey = multiplyBase(d32);
  const x = publicKey.subarray(1, 33);
  const y = publicKey.subarray(33, 65);
  const jwk = { kty: 'EC', crv: 'P-256', x: b64url(x), y: b64url(y) };
  const keyObject = createPrivateKey({ key: { ...jwk, d: b64url(d32) }, format: 'jwk' });
  const publicKeyObject = createPublicKey({ key: jwk, format: 'jwk' });
  const spki = new Uint8Array(publicKeyObject.export({ type: 'spki', format: 'der' }));
  return Object.freeze({
    label,
    privateKey: d32.slice(),
    publicKey,
    publicKeyRaw: publicKey.slice(1),
    spki,
    keyObject,
    publicKeyObject,
  });
}

/**
 * Derives the P-256 key for `label`: 48 HKDF bytes reduced to `1 + (v mod (n − 1))`, which is
 * within 2^-128 of uniform (FIPS 186-5 A.2.1, "extra random bits").
 */
export function deriveP256Key(seed: Uint8Array, label: string): SimKey {
  const v = bytesToBigInt(deriveBytes(seed, `key/${label}`, 48));
  return simKeyFromPrivate(label, bigIntTo32((v % (P256_N - 1n)) + 1n));
}

function hmac(key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/**
 * ECDSA-P256-SHA256 with the nonce of RFC 6979 §3.2 (HMAC_DRBG, SHA-256). Returns raw `r ‖ s`
 * (64 bytes), the form Intel uses in quotes and collateral.
 */
export function signP256(privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  const x = bytesToBigInt(privateKey);
  if (privateKey.length !== 32 || x <= 0n || x >= P256_N)
    throw new RangeError('P-256 private scalar out of range');
  const h1 = new Uint8Array(createHash('sha256').update(message).digest());
  // qlen = hlen = 256, so bits2int is the plain integer and bits2octets reduces it once (§2.3.4).
  const z = bytesToBigInt(h1);
  const zOctets = bigIntTo32(z % P256_N);
  const xOctets = bigIntTo32(x);
  // §3.2 b–g.
  let v: Uint8Array = new Uint8Array(32).fill(0x01);
  let k: Uint8Array = new Uint8Array(32);
  k = hmac(k, v, Uint8Array.of(0x00), xOctets, zOctets);
  v = hmac(k, v);
  k = hmac(k, v, Uint8Array.of(0x01), xOctets, zOctets);
  v = hmac(k, v);
  // §3.2 h.
  for (;;) {
    v = hmac(k, v);
    const nonce = bytesToBigInt(v);
    if (nonce >= 1n && nonce < P256_N) {
      const point = multiplyBase(v);
      const r = bytesToBigInt(point.subarray(1, 33)) % P256_N;
      const s = (modInverse(nonce, P256_N) * ((z + r * x) % P256_N)) % P256_N;
      if (r !== 0n && s !== 0n) return concatBytes(bigIntTo32(r), bigIntTo32(s));
    }
    k = hmac(k, v, Uint8Array.of(0x00));
    v = hmac(k, v);
  }
}

/** {@link signP256} with a {@link SimKey}. */
export function signWith(key: SimKey, message: Uint8Array): Uint8Array {
  return signP256(key.privateKey, message);
}

/** PKCS#8 PEM of a key (for `keygen --out`). */
export function privateKeyPem(key: SimKey): string {
  return key.keyObject.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Reads a PKCS#8 (or SEC1) PEM P-256 private key back into a {@link SimKey}. */
export function simKeyFromPem(label: string, pem: string): SimKey {
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string')
    throw new RangeError(`${label}: not a P-256 private key`);
  return simKeyFromPrivate(label, new Uint8Array(Buffer.from(jwk.d, 'base64url')));
}
