/**
 * Hash helpers.
 *
 * @module
 */
import { createHash } from 'node:crypto';

/** SHA-256 of `data` (32 bytes). */
export function sha256(data: Uint8Array): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new TypeError('sha256 expects a Uint8Array');
  return new Uint8Array(createHash('sha256').update(data).digest());
}
