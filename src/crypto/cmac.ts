/**
 * AES-128-CMAC (RFC 4493), built on one node AES-128-CBC context per MAC (its first block gives L
 * for the subkeys, RFC 4493 §2.3; the rest is the MAC chain), since node:crypto has no CMAC. Used by the RA key derivation and the msg2 / msg3 / result MACs
 * (PROTOCOL-SEED.md §6.2–§6.5).
 *
 * @module
 */
import { createCipheriv } from 'node:crypto';
import { CryptoError } from '../errors.ts';

/** AES block size and CMAC tag size, 16 bytes. */
export const AES_BLOCK_SIZE = 16;
/** AES-128 key size, 16 bytes. */
export const AES128_KEY_SIZE = 16;

/** RFC 4493 §2.3: R_b for a 128-bit block cipher. */
const CONST_RB = 0x87;
const ZERO_BLOCK = new Uint8Array(AES_BLOCK_SIZE);

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new TypeError('aesCmac key must be a Uint8Array');
  if (key.length !== AES128_KEY_SIZE) {
    throw new CryptoError(
      'ERR_CRYPTO_INVALID_LENGTH',
      `AES-128-CMAC key must be 16 bytes, got ${key.length}`,
    );
  }
}

/** RFC 4493 §2.3 step 2/3: left shift by one bit, XOR R_b when the top bit was set. */
function dbl(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(AES_BLOCK_SIZE);
  for (let i = 0; i < AES_BLOCK_SIZE; i++) {
    out[i] = ((block[i]! << 1) | ((block[i + 1] ?? 0) >>> 7)) & 0xff;
  }
  if ((block[0]! & 0x80) !== 0) out[AES_BLOCK_SIZE - 1]! ^= CONST_RB;
  return out;
}

/**
 * AES-128-CMAC of `data` under the 16-byte `key` (RFC 4493 §2.4); returns the 16-byte tag.
 * Throws `ERR_CRYPTO_INVALID_LENGTH` for a key that is not 16 bytes.
 */
export function aesCmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkKey(key);
  if (!(data instanceof Uint8Array)) throw new TypeError('aesCmac data must be a Uint8Array');
  // One AES-128-CBC context with a zero IV does both jobs: its first block, over the zero block, is
  // L = AES-128(K, 0^128) (RFC 4493 §2.3 step 1), and the chain then continues from L.
  const cbc = createCipheriv('aes-128-cbc', key, ZERO_BLOCK);
  cbc.setAutoPadding(false);
  const l = cbc.update(ZERO_BLOCK);
  const k1 = dbl(l);
  // RFC 4493 §2.4 steps 2-4: n blocks; the last one is complete → XOR K1, else pad 10* and XOR K2.
  const n = Math.max(1, Math.ceil(data.length / AES_BLOCK_SIZE));
  const complete = data.length > 0 && data.length % AES_BLOCK_SIZE === 0;
  const buf = new Uint8Array(n * AES_BLOCK_SIZE);
  buf.set(data);
  const last = (n - 1) * AES_BLOCK_SIZE;
  if (!complete) buf[data.length] = 0x80;
  const sub = complete ? k1 : dbl(k1);
  for (let i = 0; i < AES_BLOCK_SIZE; i++) buf[last + i]! ^= sub[i]!;
  // Steps 5-6: CBC-MAC with a zero IV; the tag is the last ciphertext block. The context's chain
  // value is L, not zero: XORing L into the first block cancels it (CBC feeds block ⊕ previous).
  for (let i = 0; i < AES_BLOCK_SIZE; i++) buf[i]! ^= l[i]!;
  l.fill(0);
  const out = cbc.update(buf);
  cbc.final();
  k1.fill(0);
  sub.fill(0);
  return new Uint8Array(out.subarray(out.length - AES_BLOCK_SIZE));
}
