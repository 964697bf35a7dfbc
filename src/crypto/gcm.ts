/**
 * AES-128-GCM with an explicit 12-byte IV and a full 16-byte tag (PROTOCOL-SEED.md §6.5). The seed
 * uses IV 0^12 under a single-use SK; callers choose the IV, and must never repeat one under a key.
 *
 * @module
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { CryptoError } from '../errors.ts';

/** AES-GCM IV size accepted here, 12 bytes. */
export const GCM_IV_SIZE = 12;
/** AES-GCM tag size, 16 bytes (shorter tags are refused). */
export const GCM_TAG_SIZE = 16;

const EMPTY = new Uint8Array(0);

/** An AES-GCM ciphertext and its tag. */
export interface GcmSealed {
  /** The ciphertext, as long as the plaintext. */
  readonly ciphertext: Uint8Array;
  /** The 16-byte authentication tag. */
  readonly tag: Uint8Array;
}

function check(v: unknown, n: number | undefined, name: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (n !== undefined && v.length !== n) {
    throw new CryptoError(
      'ERR_CRYPTO_INVALID_LENGTH',
      `AES-128-GCM ${name} must be ${n} bytes, got ${v.length}`,
    );
  }
  return v;
}

/** Encrypts `plaintext` with AES-128-GCM under `key` (16 bytes) and `iv` (12 bytes). */
export function aesGcmEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): GcmSealed {
  check(key, 16, 'key');
  check(iv, GCM_IV_SIZE, 'iv');
  check(plaintext, undefined, 'plaintext');
  const cipher = createCipheriv('aes-128-gcm', key, iv, { authTagLength: GCM_TAG_SIZE });
  if (aad !== undefined) cipher.setAAD(check(aad, undefined, 'aad'));
  const ct = cipher.update(plaintext);
  const fin = cipher.final();
  const ciphertext = new Uint8Array(ct.length + fin.length);
  ciphertext.set(ct);
  ciphertext.set(fin, ct.length);
  return Object.freeze({ ciphertext, tag: new Uint8Array(cipher.getAuthTag()) });
}

/**
 * Decrypts and authenticates AES-128-GCM. Throws `ERR_CRYPTO_DECRYPT_FAILED` when the tag does not
 * verify (wrong key, IV, AAD, or tampered data); no plaintext is released in that case.
 */
export function aesGcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  check(key, 16, 'key');
  check(iv, GCM_IV_SIZE, 'iv');
  check(ciphertext, undefined, 'ciphertext');
  check(tag, GCM_TAG_SIZE, 'tag');
  const decipher = createDecipheriv('aes-128-gcm', key, iv, { authTagLength: GCM_TAG_SIZE });
  decipher.setAuthTag(tag);
  decipher.setAAD(aad === undefined ? EMPTY : check(aad, undefined, 'aad'));
  const pt = decipher.update(ciphertext);
  let fin: Uint8Array;
  try {
    fin = decipher.final();
  } catch (cause) {
    pt.fill(0);
    throw new CryptoError('ERR_CRYPTO_DECRYPT_FAILED', 'AES-GCM authentication failed', { cause });
  }
  const out = new Uint8Array(pt.length + fin.length);
  out.set(pt);
  out.set(fin, pt.length);
  pt.fill(0);
  return out;
}
