/**
 * P-256 (secp256r1) ECDH and ECDSA-SHA256 in SGX byte order (PROTOCOL-SEED.md §5.1, §6.1, §6.3).
 *
 * SGX structs hold public keys as `gx ‖ gy` and signatures as `r ‖ s`, each little-endian: the
 * byte-reverse of SEC1 / IEEE-P1363. Private keys are node `KeyObject`s (the key stays inside
 * OpenSSL on the default paths). Randomness is a parameter.
 *
 * @module
 */
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type JsonWebKey,
  KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { CryptoError, ParseError } from '../errors.ts';
import { fromHex, reversed, toHex } from '../wire/hex.ts';
import { ec256SignatureToP1363, p1363ToEc256Signature } from '../wire/ra.ts';
import { sha256 } from './hash.ts';
import { bigIntTo32, bytesToBigInt, ecdhWith, modInverse, multiplyBase, P256_N } from './p256-arith.ts';
import { draw, type RandomSource, systemRandom } from './random.ts';

/** A P-256 private key handle (a node `KeyObject` of type `private`, curve `prime256v1`). */
export type EcPrivateKey = KeyObject;

/** A P-256 key pair: the private key handle and the SGX little-endian public key. */
export interface EcKeyPair {
  /** The private key handle. */
  readonly privateKey: EcPrivateKey;
  /** `sgx_ec256_public_t`: gx ‖ gy, little-endian, 64 bytes. */
  readonly publicKey: Uint8Array;
}

/** Options of {@link signSgx}. */
export interface SignSgxOptions {
  /**
   * Draw the ECDSA nonce k from this source (32 bytes read as a little-endian scalar, as Intel's
   * sample library does) instead of letting OpenSSL choose it. This path uses non-constant-time
   * BigInt arithmetic and a reused or predictable nonce reveals the private key: use it only to
   * reproduce golden vectors (with `dangerouslyIntelSampleRandom`, k = b as in §6.7).
   */
  readonly dangerouslyNonceSource?: RandomSource;
}

const SCALAR_SIZE = 32;
const PUBLIC_SIZE = 64;
/** P-256 field prime p (SEC 2 §2.4.2). */
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
/** P-256 group order n. */
const N = P256_N;
/** P-256 curve coefficient b (a = −3). */
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
/** How many draws key or nonce generation makes before giving up on a broken source. */
const MAX_DRAWS = 16;
/** Imported public keys kept for reuse (the SP's long-term key is verified on every session). */
const PUBLIC_CACHE_SIZE = 64;

const publicCache = new Map<string, KeyObject>();
const publicOfPrivate = new WeakMap<KeyObject, Uint8Array>();

function b64u(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function fromB64u(text: string | undefined, what: string): Uint8Array {
  if (text === undefined) throw new CryptoError('ERR_CRYPTO_INVALID_PRIVATE_KEY', `JWK export lacks ${what}`);
  const raw = new Uint8Array(Buffer.from(text, 'base64url'));
  if (raw.length > SCALAR_SIZE)
    throw new CryptoError('ERR_CRYPTO_INVALID_PRIVATE_KEY', `JWK ${what} too long`);
  const out = new Uint8Array(SCALAR_SIZE);
  out.set(raw, SCALAR_SIZE - raw.length);
  return out;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/**
 * Checks that `publicLE` is a valid `sgx_ec256_public_t`: 64 bytes (else
 * `ERR_CRYPTO_INVALID_LENGTH`), not the all-zero encoding of the point at infinity, both
 * coordinates below p, and on the curve y² = x³ − 3x + b (else `ERR_CRYPTO_INVALID_PUBLIC_KEY`).
 * Fixes PROTOCOL-SEED.md §11.1 S14 (g_a was never validated before ECDH).
 */
export function validateEc256Public(publicLE: Uint8Array): void {
  if (!(publicLE instanceof Uint8Array)) throw new TypeError('public key must be a Uint8Array');
  if (publicLE.length !== PUBLIC_SIZE) {
    throw new CryptoError(
      'ERR_CRYPTO_INVALID_LENGTH',
      `sgx_ec256_public_t must be 64 bytes, got ${publicLE.length}`,
    );
  }
  const x = bytesToBigInt(reversed(publicLE.subarray(0, SCALAR_SIZE)));
  const y = bytesToBigInt(reversed(publicLE.subarray(SCALAR_SIZE)));
  if (x === 0n && y === 0n) {
    throw new CryptoError(
      'ERR_CRYPTO_INVALID_PUBLIC_KEY',
      'the public key is the point at infinity (all zero)',
    );
  }
  if (x >= P || y >= P) {
    throw new CryptoError(
      'ERR_CRYPTO_INVALID_PUBLIC_KEY',
      'a public key coordinate is not below the field prime',
    );
  }
  if (mod(y * y - (x * x * x - 3n * x + B), P) !== 0n) {
    throw new CryptoError('ERR_CRYPTO_INVALID_PUBLIC_KEY', 'the public key is not on the P-256 curve');
  }
}

/** Imports (and caches) a validated SGX public key as a node KeyObject. */
function publicKeyObject(publicLE: Uint8Array): KeyObject {
  validateEc256Public(publicLE);
  const id = toHex(publicLE);
  const hit = publicCache.get(id);
  if (hit !== undefined) return hit;
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: 'P-256',
    x: b64u(reversed(publicLE.subarray(0, SCALAR_SIZE))),
    y: b64u(reversed(publicLE.subarray(SCALAR_SIZE))),
  };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk, format: 'jwk' });
  } catch (cause) {
    throw new CryptoError('ERR_CRYPTO_INVALID_PUBLIC_KEY', 'the public key does not import', { cause });
  }
  if (publicCache.size >= PUBLIC_CACHE_SIZE) {
    const oldest = publicCache.keys().next().value;
    if (oldest !== undefined) publicCache.delete(oldest);
  }
  publicCache.set(id, key);
  return key;
}

function jwkToSgxPublic(jwk: JsonWebKey): Uint8Array {
  const out = new Uint8Array(PUBLIC_SIZE);
  out.set(reversed(fromB64u(jwk.x, 'x')), 0);
  out.set(reversed(fromB64u(jwk.y, 'y')), SCALAR_SIZE);
  return out;
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

function checkPrivateKey(key: unknown): KeyObject {
  if (!(key instanceof KeyObject)) throw new TypeError('privateKey must be a KeyObject');
  if (key.type !== 'private' || !isP256(key)) {
    throw new CryptoError('ERR_CRYPTO_INVALID_PRIVATE_KEY', 'expected a P-256 (prime256v1) private key');
  }
  return key;
}

/** Reads 32 random bytes as a little-endian scalar in [1, n), redrawing on the rare miss. */
function drawScalarBE(random: RandomSource): Uint8Array {
  for (let i = 0; i < MAX_DRAWS; i++) {
    const be = reversed(draw(random, SCALAR_SIZE));
    const d = bytesToBigInt(be);
    if (d > 0n && d < N) return be;
  }
  throw new CryptoError('ERR_CRYPTO_INVALID_PRIVATE_KEY', 'the random source produced no valid P-256 scalar');
}

/**
 * Imports a private key from its raw 32-byte big-endian scalar. Throws `ERR_CRYPTO_INVALID_LENGTH`
 * for another length and `ERR_CRYPTO_INVALID_PRIVATE_KEY` for a scalar outside [1, n).
 */
export function privateKeyFromScalar(scalarBE: Uint8Array): EcPrivateKey {
  if (!(scalarBE instanceof Uint8Array)) throw new TypeError('scalar must be a Uint8Array');
  if (scalarBE.length !== SCALAR_SIZE) {
    throw new CryptoError(
      'ERR_CRYPTO_INVALID_LENGTH',
      `a P-256 scalar must be 32 bytes, got ${scalarBE.length}`,
    );
  }
  const d = bytesToBigInt(scalarBE);
  if (d === 0n || d >= N) {
    throw new CryptoError('ERR_CRYPTO_INVALID_PRIVATE_KEY', 'the P-256 scalar is not in [1, n)');
  }
  const sec1 = multiplyBase(scalarBE);
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: 'P-256',
    d: b64u(scalarBE),
    x: b64u(sec1.subarray(1, 1 + SCALAR_SIZE)),
    y: b64u(sec1.subarray(1 + SCALAR_SIZE)),
  };
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  const pub = new Uint8Array(PUBLIC_SIZE);
  pub.set(reversed(sec1.subarray(1, 1 + SCALAR_SIZE)), 0);
  pub.set(reversed(sec1.subarray(1 + SCALAR_SIZE)), SCALAR_SIZE);
  publicOfPrivate.set(key, pub);
  return key;
}

/** Imports a private key from `sgx_ec256_private_t` (the scalar, 32 bytes little-endian). */
export function privateKeyFromSgx(privateLE: Uint8Array): EcPrivateKey {
  if (!(privateLE instanceof Uint8Array)) throw new TypeError('private key must be a Uint8Array');
  return privateKeyFromScalar(reversed(privateLE));
}

/** Exports the raw 32-byte big-endian scalar of a private key. Handle with care: it is the secret. */
export function privateKeyToScalar(privateKey: EcPrivateKey): Uint8Array {
  const jwk = checkPrivateKey(privateKey).export({ format: 'jwk' });
  return fromB64u(jwk.d, 'd');
}

/**
 * Imports a private key from PEM (PKCS#8 `PRIVATE KEY`, or SEC1 `EC PRIVATE KEY`). Throws
 * `ERR_PEM_INVALID` when the text does not parse, `ERR_CRYPTO_INVALID_PRIVATE_KEY` for a key that is
 * not P-256.
 */
export function privateKeyFromPem(pem: string): EcPrivateKey {
  if (typeof pem !== 'string') throw new TypeError('pem must be a string');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new ParseError('ERR_PEM_INVALID', 'not a PEM private key', { field: 'privateKey' }, { cause });
  }
  return checkPrivateKey(key);
}

/** Exports a private key as PKCS#8 PEM. */
export function privateKeyToPem(privateKey: EcPrivateKey): string {
  return checkPrivateKey(privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The SGX little-endian public key (64 bytes) of a private key. */
export function publicKeyOf(privateKey: EcPrivateKey): Uint8Array {
  const key = checkPrivateKey(privateKey);
  let pub = publicOfPrivate.get(key);
  if (pub === undefined) {
    pub = jwkToSgxPublic(createPublicKey(key).export({ format: 'jwk' }));
    publicOfPrivate.set(key, pub);
  }
  return pub.slice();
}

/**
 * Imports a public key from PEM (SPKI `PUBLIC KEY`; a private-key or certificate PEM also yields its
 * public key) and returns it as `sgx_ec256_public_t`. Throws `ERR_PEM_INVALID` when the text does
 * not parse and `ERR_CRYPTO_INVALID_PUBLIC_KEY` for a key that is not P-256.
 */
export function publicKeyFromPem(pem: string): Uint8Array {
  if (typeof pem !== 'string') throw new TypeError('pem must be a string');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new ParseError('ERR_PEM_INVALID', 'not a PEM public key', { field: 'publicKey' }, { cause });
  }
  if (!isP256(key)) throw new CryptoError('ERR_CRYPTO_INVALID_PUBLIC_KEY', 'expected a P-256 public key');
  return jwkToSgxPublic(key.export({ format: 'jwk' }));
}

/** Exports an SGX little-endian public key as SPKI PEM (after validating it). */
export function publicKeyToPem(publicLE: Uint8Array): string {
  return publicKeyObject(publicLE).export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * Parses the 128-hex-digit SGX form of a public key (`gx ‖ gy`, little-endian, as the seed prints
 * `g_sp_pub_key`) and validates the point. Throws `ERR_HEX_INVALID` for bad hex or length.
 */
export function publicKeyFromHex(hex: string): Uint8Array {
  const pub = fromHex(hex, 'publicKey', PUBLIC_SIZE);
  validateEc256Public(pub);
  return pub;
}

/**
 * Generates a P-256 key pair from `random` (default: the system CSPRNG). The private scalar is the
 * first 32 bytes drawn that, read little-endian (as `sgx_ec256_private_t` and Intel's sample
 * library read them), fall in [1, n). With `dangerouslyIntelSampleRandom` this yields the seed SP's
 * constant `b` and Intel's sample `g_b` (PROTOCOL-SEED.md §6.7).
 */
export function generateEcKeyPair(random: RandomSource = systemRandom): EcKeyPair {
  const privateKey = privateKeyFromScalar(drawScalarBE(random));
  return Object.freeze({ privateKey, publicKey: publicKeyOf(privateKey) });
}

/**
 * ECDH as `sgx_ecc256_compute_shared_dhkey` computes it: the x coordinate of `priv · peer`,
 * little-endian, 32 bytes (PROTOCOL-SEED.md §6.1). The peer key is validated first
 * (`ERR_CRYPTO_INVALID_PUBLIC_KEY` / `ERR_CRYPTO_INVALID_LENGTH`).
 */
export function ecdhSharedSecretLE(privateKey: EcPrivateKey, peerPublicLE: Uint8Array): Uint8Array {
  const key = checkPrivateKey(privateKey);
  const peer = publicKeyObject(peerPublicLE);
  const shared = diffieHellman({ privateKey: key, publicKey: peer });
  const out = reversed(shared);
  shared.fill(0);
  return out;
}

/**
 * An ephemeral P-256 key for one key exchange (the RA's a / g_a or b / g_b, PROTOCOL-SEED.md §6.1),
 * held in a native ECDH context rather than a `KeyObject`: a session needs the public key and one
 * shared secret, and importing a `KeyObject` (JWK) costs more than the point multiplication.
 */
export interface EphemeralEcdh {
  /** The public key as `sgx_ec256_public_t` (64 bytes, little-endian x ‖ y). */
  readonly publicKey: Uint8Array;
  /**
   * The x coordinate of `priv · peer`, little-endian, 32 bytes: `sgx_ecc256_compute_shared_dhkey`.
   * The peer key is validated first (`ERR_CRYPTO_INVALID_LENGTH` / `ERR_CRYPTO_INVALID_PUBLIC_KEY`).
   */
  sharedSecretLE(peerPublicLE: Uint8Array): Uint8Array;
  /**
   * Zero-fills the private scalar (idempotent). The key derives nothing afterwards:
   * {@link EphemeralEcdh.sharedSecretLE} throws `ERR_CRYPTO_INVALID_PRIVATE_KEY`.
   */
  destroy(): void;
}

/** An ephemeral key of {@link createEphemeralEcdh}: its scalar and public key, nothing native. */
class Ephemeral implements EphemeralEcdh {
  readonly publicKey: Uint8Array;
  readonly #scalarBE: Uint8Array;
  #destroyed = false;

  constructor(scalarBE: Uint8Array) {
    this.#scalarBE = scalarBE;
    const sec1 = ecdhWith(scalarBE).getPublicKey(); // 04 ‖ X ‖ Y, big-endian
    const publicKey = new Uint8Array(PUBLIC_SIZE);
    publicKey.set(reversed(sec1.subarray(1, 1 + SCALAR_SIZE)), 0);
    publicKey.set(reversed(sec1.subarray(1 + SCALAR_SIZE)), SCALAR_SIZE);
    this.publicKey = publicKey;
    Object.freeze(this); // private fields stay writable
  }

  sharedSecretLE(peerPublicLE: Uint8Array): Uint8Array {
    if (this.#destroyed)
      throw new CryptoError('ERR_CRYPTO_INVALID_PRIVATE_KEY', 'the ephemeral key was destroyed');
    validateEc256Public(peerPublicLE);
    const peer = new Uint8Array(1 + PUBLIC_SIZE);
    peer[0] = 0x04;
    peer.set(reversed(peerPublicLE.subarray(0, SCALAR_SIZE)), 1);
    peer.set(reversed(peerPublicLE.subarray(SCALAR_SIZE)), 1 + SCALAR_SIZE);
    let shared: Buffer;
    try {
      shared = ecdhWith(this.#scalarBE).computeSecret(peer);
    } catch (cause) {
      throw new CryptoError('ERR_CRYPTO_INVALID_PUBLIC_KEY', 'the public key does not import', { cause });
    }
    const out = reversed(shared);
    shared.fill(0);
    return out;
  }

  destroy(): void {
    this.#destroyed = true;
    this.#scalarBE.fill(0);
  }
}

/**
 * Makes an {@link EphemeralEcdh} from `random` (default: the system CSPRNG), with the same scalar
 * draws as {@link generateEcKeyPair}: the same source gives the same key (so Intel's sample
 * vectors still reproduce). The key holds its 32-byte scalar and nothing native: thousands can
 * wait mid-protocol at little cost.
 */
export function createEphemeralEcdh(random: RandomSource = systemRandom): EphemeralEcdh {
  return new Ephemeral(drawScalarBE(random));
}

/** ECDSA with a caller-chosen nonce source: s = k⁻¹ (z + r·d) mod n, returned as P1363 r ‖ s. */
function signWithNonce(key: KeyObject, data: Uint8Array, nonces: RandomSource): Uint8Array {
  const d = bytesToBigInt(privateKeyToScalar(key));
  const z = bytesToBigInt(sha256(data)); // SHA-256 output is exactly the bit length of n: no truncation.
  for (let i = 0; i < MAX_DRAWS; i++) {
    const kBE = drawScalarBE(nonces);
    const r = mod(bytesToBigInt(multiplyBase(kBE).subarray(1, 1 + SCALAR_SIZE)), N);
    if (r === 0n) continue;
    const s = mod(modInverse(bytesToBigInt(kBE), N) * (z + r * d), N);
    if (s === 0n) continue;
    const out = new Uint8Array(2 * SCALAR_SIZE);
    out.set(bigIntTo32(r), 0);
    out.set(bigIntTo32(s), SCALAR_SIZE);
    return out;
  }
  throw new CryptoError('ERR_CRYPTO_INVALID_PRIVATE_KEY', 'the nonce source produced no usable nonce');
}

/**
 * ECDSA-P256-SHA256 over `data`, returned as `sgx_ec256_signature_t` (r, s little-endian, 64 bytes),
 * as `sign_gb_ga` carries it (PROTOCOL-SEED.md §6.3).
 */
export function signSgx(
  privateKey: EcPrivateKey,
  data: Uint8Array,
  options: SignSgxOptions = {},
): Uint8Array {
  const key = checkPrivateKey(privateKey);
  if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
  const p1363 =
    options.dangerouslyNonceSource === undefined
      ? new Uint8Array(sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }))
      : signWithNonce(key, data, options.dangerouslyNonceSource);
  return p1363ToEc256Signature(p1363);
}

/**
 * Verifies an `sgx_ec256_signature_t` (r, s little-endian) over `data` with an SGX little-endian
 * public key. Returns false for a wrong signature or a signature that is not 64 bytes; throws
 * `ERR_CRYPTO_INVALID_PUBLIC_KEY` / `ERR_CRYPTO_INVALID_LENGTH` when the public key is invalid.
 */
export function verifySgx(publicLE: Uint8Array, data: Uint8Array, signatureLE: Uint8Array): boolean {
  const key = publicKeyObject(publicLE);
  if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
  if (!(signatureLE instanceof Uint8Array)) throw new TypeError('signature must be a Uint8Array');
  if (signatureLE.length !== 64) return false;
  return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, ec256SignatureToP1363(signatureLE));
}
