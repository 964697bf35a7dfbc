/**
 * Hex and byte helpers shared by every layer (lowercase hex, strict parsing).
 *
 * @module
 */
import { ParseError } from '../errors.ts';

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Parses hex (either case, optional `0x` prefix, surrounding whitespace ignored) into bytes.
 * Throws `ERR_HEX_INVALID` for odd lengths or non-hex characters, and when `expectedLength` is
 * given and not met.
 */
export function fromHex(text: string, field = 'hex', expectedLength?: number): Uint8Array {
  let t = text.trim();
  if (t.startsWith('0x') || t.startsWith('0X')) t = t.slice(2);
  if (!HEX_RE.test(t))
    throw new ParseError('ERR_HEX_INVALID', `${field}: not an even-length hex string`, { field });
  const out = new Uint8Array(Buffer.from(t, 'hex'));
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new ParseError('ERR_HEX_INVALID', `${field}: expected ${expectedLength} bytes, got ${out.length}`, {
      field,
      need: expectedLength,
      have: out.length,
    });
  }
  return out;
}

/** Byte-wise equality (not constant time; use `timingSafeEqual` from `crypto/` for secrets). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Concatenates byte arrays into a fresh array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** True when every byte is zero. */
export function isAllZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** A reversed copy (little-endian ↔ big-endian). */
export function reversed(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[bytes.length - 1 - i]!;
  return out;
}
