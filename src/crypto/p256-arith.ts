/**
 * P-256 scalar arithmetic shared by the crypto layer (`p256.ts`: ECDH, ECDSA with a chosen nonce,
 * public-key checks) and the simulator's keys (`sim/keys.ts`: RFC 6979 signing, key derivation):
 * big-endian bytes ↔ bigint, the group order, a modular inverse, and the base-point multiplication
 * through one native ECDH context per thread. Internal: not part of `attestkit/crypto`.
 *
 * @module
 */
import { createECDH, type ECDH } from 'node:crypto';

/** The order n of the P-256 base point. */
export const P256_N: bigint = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** Big-endian bytes as an unsigned integer (32 bytes, the usual case, without a hex string). */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 32) {
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
export function bigIntTo32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt.asUintN(64, value >> 192n));
  v.setBigUint64(8, BigInt.asUintN(64, value >> 128n));
  v.setBigUint64(16, BigInt.asUintN(64, value >> 64n));
  v.setBigUint64(24, BigInt.asUintN(64, value));
  return out;
}

/**
 * a⁻¹ mod m for a prime m and 0 < a < m, by the extended Euclidean algorithm (only the Bézout
 * coefficient of a is tracked). About five times faster than Fermat's a^(m−2) with bigint
 * square-and-multiply, and the same unique inverse.
 */
export function modInverse(a: bigint, m: bigint): bigint {
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

/**
 * One native ECDH context for every scalar of this thread (ephemeral keys, ECDSA nonce points, the
 * simulator's keys): each use sets its scalar and runs synchronously, and JavaScript runs one thing
 * at a time on a thread, so uses never interleave. Creating a context costs several times the
 * point multiplication, and a context per key would leave a native EC key behind until the garbage
 * collector gets round to it. The context keeps the last scalar set, as a dropped context would
 * until it is collected.
 */
let scratch: ECDH | undefined;

/** The shared context (see {@link scratch}) with the 32-byte big-endian scalar set. */
export function ecdhWith(scalarBE: Uint8Array): ECDH {
  scratch ??= createECDH('prime256v1');
  scratch.setPrivateKey(scalarBE);
  return scratch;
}

/** d·G, uncompressed SEC1 (`04 ‖ X ‖ Y`, big-endian, 65 bytes), computed by OpenSSL. */
export function multiplyBase(scalarBE: Uint8Array): Uint8Array {
  return new Uint8Array(ecdhWith(scalarBE).getPublicKey());
}
