/**
 * Constant-time comparison.
 *
 * @module
 */
import { timingSafeEqual as nodeTimingSafeEqual } from 'node:crypto';

/**
 * Compares two byte arrays in time that depends only on their length. Returns false (without
 * throwing) when the lengths differ. Use it for every MAC and tag comparison (PROTOCOL-SEED.md
 * §11.1 S12).
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) {
    throw new TypeError('timingSafeEqual expects two Uint8Arrays');
  }
  if (a.length !== b.length) return false;
  return nodeTimingSafeEqual(a, b);
}
