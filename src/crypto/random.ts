/**
 * Injected randomness. Every function that needs random bytes takes a {@link RandomSource}; the
 * default is the operating system's CSPRNG.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';

/** A source of random bytes: returns exactly `n` fresh bytes per call. */
export type RandomSource = (n: number) => Uint8Array;

/** The operating system's CSPRNG (`node:crypto` `randomBytes`). The default everywhere. */
export const systemRandom: RandomSource = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/**
 * A deterministic source that repeats `pattern` forever (each call continues where the last one
 * stopped). For tests and golden vectors only: it is not random at all.
 */
export function repeatingRandom(pattern: Uint8Array): RandomSource {
  if (!(pattern instanceof Uint8Array) || pattern.length === 0) {
    throw new RangeError('repeatingRandom needs a non-empty Uint8Array pattern');
  }
  const copy = pattern.slice();
  let pos = 0;
  return (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = copy[pos]!;
      pos = (pos + 1) % copy.length;
    }
    return out;
  };
}

/**
 * The constant "RNG" of Intel's `libsample_libcrypto` as shipped with the seed (PROTOCOL-SEED.md
 * §6.7): every 32-bit word it produces is 9, stored little-endian (`09 00 00 00` repeated). With it,
 * the P-256 key generation of this module yields the seed SP's fixed `b = 0x00000009 × 8` and Intel's
 * sample `g_b`, and ECDSA nonces equal `b`, so Intel's sample messages reproduce bit for bit.
 *
 * **Never use it outside golden tests**: every key and nonce it produces is public.
 */
export const dangerouslyIntelSampleRandom: RandomSource = (n: number): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) out[i] = 9;
  return out;
};

/** Draws `n` bytes from `random` and checks the source kept its contract. */
export function draw(random: RandomSource, n: number): Uint8Array {
  const out = random(n);
  if (!(out instanceof Uint8Array) || out.length !== n) {
    throw new RangeError(
      `RandomSource returned ${out instanceof Uint8Array ? out.length : typeof out} bytes, expected ${n}`,
    );
  }
  return out;
}
