/**
 * A minimal DER *encoder* for the simulator (X.690 §8 and §10): enough to lay out the SGX PCK
 * extension and the few CRL and certificate extension values `@peculiar/x509` has no class for.
 * The verification path never uses it; it reads DER with `pki/`'s strict reader.
 *
 * @module
 */
import { concatBytes } from '../wire/hex.ts';

/** X.690 universal tags used here. */
export const DER_TAG: {
  readonly BOOLEAN: 0x01;
  readonly INTEGER: 0x02;
  readonly OCTET_STRING: 0x04;
  readonly OID: 0x06;
  readonly ENUMERATED: 0x0a;
  readonly SEQUENCE: 0x30;
} = Object.freeze({
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  OID: 0x06,
  ENUMERATED: 0x0a,
  SEQUENCE: 0x30,
} as const);

/** DER definite-length octets (X.690 §8.1.3, §10.1: the shortest form). */
function encodeLength(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`DER length out of range: ${n}`);
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One TLV: `tag`, the minimal length, `content`. */
export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag), encodeLength(content.length), content);
}

/** SEQUENCE of already-encoded elements. */
export function derSequence(...elements: readonly Uint8Array[]): Uint8Array {
  return derTlv(DER_TAG.SEQUENCE, concatBytes(...elements));
}

/** OCTET STRING. */
export function derOctetString(bytes: Uint8Array): Uint8Array {
  return derTlv(DER_TAG.OCTET_STRING, bytes);
}

/** BOOLEAN (DER: TRUE is 0xff, X.690 §11.1). */
export function derBoolean(value: boolean): Uint8Array {
  return derTlv(DER_TAG.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
}

/** Minimal two's-complement content octets of a non-negative integer (X.690 §8.3.2). */
function integerContent(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError('only non-negative integers are encoded here');
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  // A leading 0x00 keeps the value positive when the top bit is set.
  return bytes[0]! & 0x80 ? concatBytes(Uint8Array.of(0), bytes) : new Uint8Array(bytes);
}

/** INTEGER (non-negative). */
export function derInteger(value: number | bigint): Uint8Array {
  return derTlv(DER_TAG.INTEGER, integerContent(BigInt(value)));
}

/** ENUMERATED (non-negative). */
export function derEnumerated(value: number): Uint8Array {
  return derTlv(DER_TAG.ENUMERATED, integerContent(BigInt(value)));
}

/** OBJECT IDENTIFIER from dotted text (X.690 §8.19). */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new RangeError(`bad OID arc in ${dotted}`);
    return BigInt(a);
  });
  if (arcs.length < 2) throw new RangeError(`OID needs two arcs: ${dotted}`);
  const out: number[] = [];
  const push = (v: bigint): void => {
    const groups: number[] = [Number(v & 0x7fn)];
    for (let x = v >> 7n; x > 0n; x >>= 7n) groups.unshift(Number(x & 0x7fn) | 0x80);
    out.push(...groups);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return derTlv(DER_TAG.OID, Uint8Array.from(out));
}
