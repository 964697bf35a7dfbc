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
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  type ECDH,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { concatBytes } from '../wire/hex.ts';

/** The order n of the P-256 base point (SEC 2 §2.4.2). */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
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

function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 32) {
    // The common case (scalars, SHA-256 digests, coordinates): four 64-bit words, no hex string.
    const v = new DataView(bytes.buffer, bytes.byteOffset, 32);
    return (
      (v.getBigUint64(0) << 192n) |
      (v.getBigUint64(8) << 128n) |
      (v.getBigUint64(16) << 64n) |
      v.getBigUint64(24)
    );
  }
  return bytes.length === 0
    ? 0n
    : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`);
}

/** A value 0 ≤ value < 2^256 as 32 bytes big-endian. */
function bigIntTo32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt.asUintN(64, value >> 192n));
  v.setBigUint64(8, BigInt.asUintN(64, value >> 128n));
  v.setBigUint64(16, BigInt.asUintN(64, value >> 64n));
  v.setBigUint64(24, BigInt.asUintN(64, value));
  return out;
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/**
 * One ECDH context reused for every d·G: creating a context costs several times the point
 * multiplication itself. JavaScript is single-threaded and each use is synchronous, so uses never
 * interleave. (It keeps the last scalar set; like every simulator secret, that is not protected.)
 */
let baseEcdh: ECDH | undefined;

/** The public point d·G, uncompressed, computed by OpenSSL. */
function multiplyBase(d32: Uint8Array): Uint8Array {
  baseEcdh ??= createECDH('prime256v1');
  baseEcdh.setPrivateKey(d32);
  return new Uint8Array(baseEcdh.getPublicKey());
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

/**
 * a⁻¹ mod m for a prime m and 0 < a < m, by the extended Euclidean algorithm (only the Bézout
 * coefficient of a is tracked). About five times faster than Fermat's a^(m−2) with bigint
 * square-and-multiply; the result is the same unique inverse, so signatures stay byte-identical.
 */
function modInverse(a: bigint, m: bigint): bigint {
  let r0 = m;
  let r1 = a % m;
  let t0 = 0n;
  let t1 = 1n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    const r2 = r0 - q * r1;
    r0 = r1;
    r1 = r2;
    const t2 = t0 - q * t1;
    t0 = t1;
    t1 = t2;
  }
  // r0 = gcd(a, m) = 1 for a prime m and 0 < a < m.
  if (r0 !== 1n) throw new RangeError('not invertible');
  return t0 < 0n ? t0 + m : t0;
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
