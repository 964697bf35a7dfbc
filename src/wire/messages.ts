/**
 * The seed's protobuf messages (`Messages.proto`, PROTOCOL-SEED.md §2): typed encoders, a strict
 * decoder, and the type constants of `Network_def.h` (§2.3).
 *
 * The field tables come from the generated `@bufbuild/protobuf` descriptors in `./gen/`. Encoding
 * writes the bytes directly (proto2 presence, ascending field order, packed repeated fields, empty
 * repeated fields omitted: §2.2), the same bytes as `toBinary` and C++ libprotobuf (§2.5; the tests
 * compare them). Decoding is a strict scan driven by the same descriptors:
 *
 * - a missing `required` field → `ERR_PROTOBUF_MISSING_FIELD` (C++ `ParseFromString` fails too, §2.2);
 * - a byte-array element above 255 → `ERR_PROTOBUF_BYTE_RANGE` (C++ would silently truncate, §2.2);
 * - a varint longer than 5 bytes or above 2^32-1, a truncated record, a wrong wire type for a known
 *   field, field number 0, or a group → `ERR_PROTOBUF_INVALID` (C++ truncates uint32 overflow, §2.2);
 * - repeated fields accept packed records and unpacked elements, in any mix, as the C++ parser does (§2.2);
 * - a repeated non-repeated field keeps the last value (protobuf semantics); unknown fields with wire
 *   types 0, 1, 2 or 5 are skipped.
 *
 * Byte arrays travel as `repeated uint32`, one byte per element (§2.2); in the typed records they are
 * `Uint8Array`s. Signatures (`signature_x/y`, `ec_sign256_x/y`) travel as eight little-endian 32-bit
 * words each (§2.2, §2.4); in the records they are `readonly number[]`; see
 * {@link signatureWordsToBytes} and {@link signatureBytesToWords}.
 *
 * @module
 */
import type { DescMessage } from '@bufbuild/protobuf';
import { ParseError } from '../errors.ts';
import {
  AttestationMessageSchema,
  InitialMessageSchema,
  MessageMSG1Schema,
  MessageMSG2Schema,
  MessageMSG3Schema,
  MessageMsg0Schema,
  SecretMessageSchema,
} from './gen/Messages_pb.ts';

// ---------------------------------------------------------------------------------------------
// Type constants (PROTOCOL-SEED.md §2.3, SVK:Networking/Network_def.h)
// ---------------------------------------------------------------------------------------------

/** `enum ra_msg_types`: the `<type>` of a frame header (§2.3, §3.1). */
export const RA_MSG_TYPES = {
  /** `MessageMsg0`, App→SP and the SP's echo. */
  RA_MSG0: 0,
  /** `MessageMSG1`, App→SP. */
  RA_MSG1: 1,
  /** `MessageMSG2`, SP→App. */
  RA_MSG2: 2,
  /** `MessageMSG3`, App→SP. */
  RA_MSG3: 3,
  /** `AttestationMessage`, SP→App. */
  RA_ATT_RESULT: 4,
  /** `InitialMessage{type=5}`, SP→App, the first message. */
  RA_VERIFICATION: 5,
  /** `InitialMessage{type=6,size=0}`, App→SP, the last message (the SP parses it as `SecretMessage`). */
  RA_APP_ATT_OK: 6,
} as const;

/** One of the {@link RA_MSG_TYPES} values (0..6). */
export type RaMsgType = (typeof RA_MSG_TYPES)[keyof typeof RA_MSG_TYPES];

/** The name of one of the {@link RA_MSG_TYPES}. */
export type RaMsgTypeName = keyof typeof RA_MSG_TYPES;

/** `enum ra_msg`: the values of `MessageMsg0.status` (§2.3). */
export const RA_MSG_STATUS = {
  /** The SP's echo: continue. Also what an absent status reads as. */
  TYPE_OK: 0,
  /** The App could not get its extended EPID group id; the SP closes. */
  TYPE_TERMINATE: 1,
} as const;

/** One of the {@link RA_MSG_STATUS} values. */
export type RaMsgStatus = (typeof RA_MSG_STATUS)[keyof typeof RA_MSG_STATUS];

/** `MessageMSG2.quote_type` values (SVK ias_ra.h#L122-123, §2.3). */
export const RA_QUOTE_TYPES = {
  SAMPLE_QUOTE_UNLINKABLE_SIGNATURE: 0,
  SAMPLE_QUOTE_LINKABLE_SIGNATURE: 1,
} as const;

/** One of the {@link RA_QUOTE_TYPES} values. */
export type RaQuoteType = (typeof RA_QUOTE_TYPES)[keyof typeof RA_QUOTE_TYPES];

/** `AES_CMAC_KDF_ID` (ServiceProvider.h#L71): `MessageMSG2.cmac_kdf_id`, the only KDF the seed supports. */
export const AES_CMAC_KDF_ID = 1;

/** `MAX_VERIFICATION_RESULT` (Network_def.h). */
export const MAX_VERIFICATION_RESULT = 2;

/** True when `value` is one of the {@link RA_MSG_TYPES}. */
export function isRaMsgType(value: unknown): value is RaMsgType {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 6;
}

// ---------------------------------------------------------------------------------------------
// Typed records
// ---------------------------------------------------------------------------------------------

/** `Messages.InitialMessage` (type 5 from the SP, type 6 `{type:6,size:0}` from the App; §2.4). */
export interface InitialMessageFields {
  readonly type: number;
  readonly size?: number;
}

/** `Messages.MessageMsg0` (§2.4): `status` is absent in the App's message, 0 in the SP's echo. */
export interface MessageMsg0Fields {
  readonly type: number;
  /** The extended EPID group id (0 for IAS). */
  readonly epid: number;
  /** {@link RA_MSG_STATUS}; absent reads as `TYPE_OK`. */
  readonly status?: number;
}

/** `Messages.MessageMSG1` (§2.4): `sgx_ra_msg1_t` bytes in memory order. */
export interface MessageMSG1Fields {
  readonly type: number;
  /** `msg1.g_a.gx`, 32 bytes little-endian. */
  readonly GaX: Uint8Array;
  /** `msg1.g_a.gy`, 32 bytes little-endian. */
  readonly GaY: Uint8Array;
  /** `msg1.gid`, 4 bytes little-endian. */
  readonly GID: Uint8Array;
}

/** `Messages.MessageMSG2` (§2.4). */
export interface MessageMSG2Fields {
  readonly type: number;
  /** `168 + sig_rl_size`. */
  readonly size?: number;
  /** `g_b.gx`, 32 bytes little-endian. */
  readonly publicKeyGx: Uint8Array;
  /** `g_b.gy`, 32 bytes little-endian. */
  readonly publicKeyGy: Uint8Array;
  /** {@link RA_QUOTE_TYPES}. */
  readonly quoteType?: number;
  /** 16 bytes. */
  readonly spid: Uint8Array;
  /** {@link AES_CMAC_KDF_ID}. */
  readonly cmacKdfId?: number;
  /** The 8 little-endian 32-bit words of `sign_gb_ga.x` (r). */
  readonly signatureX: readonly number[];
  /** The 8 little-endian 32-bit words of `sign_gb_ga.y` (s). */
  readonly signatureY: readonly number[];
  /** 16 MAC bytes. */
  readonly smac: Uint8Array;
  /** The SigRL length n. */
  readonly sizeSigrl?: number;
  /** n SigRL bytes (omitted on the wire when empty). */
  readonly sigrl: Uint8Array;
}

/** `Messages.MessageMSG3` (§2.4). */
export interface MessageMSG3Fields {
  readonly type: number;
  /** `336 + quote_size`. */
  readonly size?: number;
  /** 16 bytes. */
  readonly sgxMac: Uint8Array;
  /** `g_a.gx`, 32 bytes little-endian. */
  readonly gaxMsg3: Uint8Array;
  /** `g_a.gy`, 32 bytes little-endian. */
  readonly gayMsg3: Uint8Array;
  /** `ps_sec_prop`, 256 bytes. */
  readonly secProperty: Uint8Array;
  /** The quote bytes. */
  readonly quote: Uint8Array;
}

/** `Messages.AttestationMessage` (§2.4). */
export interface AttestationMessageFields {
  readonly type: number;
  /** 145 = `sizeof(sample_ra_att_result_msg_t)`. */
  readonly size: number;
  readonly epidGroupStatus?: number;
  readonly tcbEvaluationStatus?: number;
  readonly pseEvaluationStatus?: number;
  readonly latestEquivalentTcbPsvn: Uint8Array;
  readonly latestPseIsvsvn: Uint8Array;
  readonly latestPsdaSvn: Uint8Array;
  readonly performanceRekeyGid: Uint8Array;
  /** The PIB signature's x, 8 little-endian 32-bit words. */
  readonly ecSign256X: readonly number[];
  /** The PIB signature's y, 8 little-endian 32-bit words. */
  readonly ecSign256Y: readonly number[];
  /** 16 bytes (a CMAC under MK despite the name). */
  readonly macSmk: Uint8Array;
  readonly resultSize?: number;
  readonly reserved: Uint8Array;
  readonly payloadTag: Uint8Array;
  readonly payload: Uint8Array;
}

/** `Messages.SecretMessage` (§2.1, PR #3): how the SP parses the App's type-6 message. */
export interface SecretMessageFields {
  readonly type: number;
  readonly size: number;
  /** (sic) */
  readonly encrypedPkeySize?: number;
  /** (sic) */
  readonly encrypedX509Size?: number;
  readonly encryptedContent: Uint8Array;
  readonly macSmk: Uint8Array;
  readonly encryptedPkey: Uint8Array;
  readonly encryptedPkeyMacSmk: Uint8Array;
  readonly encryptedX509: Uint8Array;
  readonly encryptedX509MacSmk: Uint8Array;
}

type RepeatedKeys<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends Uint8Array | readonly number[] ? K : never;
}[keyof T];

/** The encoder input for a message record: repeated fields may be left out (they encode as absent). */
export type MessageInit<T> = Omit<T, RepeatedKeys<T>> & Partial<Pick<T, RepeatedKeys<T>>>;

// ---------------------------------------------------------------------------------------------
// Field tables, derived from the generated descriptors
// ---------------------------------------------------------------------------------------------

/** How a field's values are represented: a uint32 scalar, a byte array, or a list of 32-bit words. */
type FieldShape = 'scalar' | 'bytes' | 'words';

interface FieldSpec {
  readonly number: number;
  readonly localName: string;
  readonly shape: FieldShape;
  readonly required: boolean;
}

interface MessageSpec {
  readonly name: string;
  readonly schema: DescMessage;
  readonly fields: readonly FieldSpec[];
  readonly byNumber: ReadonlyMap<number, FieldSpec>;
}

/** The proto2 label `LABEL_REQUIRED` (descriptor.proto). */
const LABEL_REQUIRED = 2;
/** The scalar type `TYPE_UINT32` (descriptor.proto); every field of Messages.proto is uint32. */
const TYPE_UINT32 = 13;

function specOf(schema: DescMessage, wordFields: readonly string[]): MessageSpec {
  const fields: FieldSpec[] = [];
  for (const f of schema.fields) {
    // Every field of Messages.proto is a uint32 scalar or a repeated uint32 (§2.1).
    const scalarType = f.fieldKind === 'scalar' || f.fieldKind === 'list' ? f.scalar : undefined;
    if (scalarType !== TYPE_UINT32) throw new Error(`unexpected field type in ${f.toString()}`);
    let shape: FieldShape = 'scalar';
    if (f.fieldKind === 'list') shape = wordFields.includes(f.localName) ? 'words' : 'bytes';
    fields.push({
      number: f.number,
      localName: f.localName,
      shape,
      required: f.proto.label === LABEL_REQUIRED,
    });
  }
  return { name: schema.name, schema, fields, byNumber: new Map(fields.map((f) => [f.number, f])) };
}

const INITIAL_MESSAGE: MessageSpec = specOf(InitialMessageSchema, []);
const MESSAGE_MSG0: MessageSpec = specOf(MessageMsg0Schema, []);
const MESSAGE_MSG1: MessageSpec = specOf(MessageMSG1Schema, []);
// §2.2: signatures are repeated uint32 of 32-bit words, everything else repeated is one byte per element.
const MESSAGE_MSG2: MessageSpec = specOf(MessageMSG2Schema, ['signatureX', 'signatureY']);
const MESSAGE_MSG3: MessageSpec = specOf(MessageMSG3Schema, []);
const ATTESTATION_MESSAGE: MessageSpec = specOf(AttestationMessageSchema, ['ecSign256X', 'ecSign256Y']);
const SECRET_MESSAGE: MessageSpec = specOf(SecretMessageSchema, []);

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

const U32_MAX = 0xffff_ffff;

/** Protobuf wire types (encoding.md). */
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

function checkU32(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new RangeError(`${where}: expected a uint32, got ${String(value)}`);
  }
  return value;
}

/** The number of bytes of `value` (a uint32) as a varint. */
function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x20_0000) return 3;
  if (value < 0x1000_0000) return 4;
  return 5;
}

/** Writes `value` (a uint32) as a varint at `at`; returns the offset after it. */
function writeVarint(out: Uint8Array, at: number, value: number): number {
  let v = value;
  let o = at;
  while (v >= 0x80) {
    out[o++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128); // not >>>: values up to 2^32-1 stay exact
  }
  out[o++] = v;
  return o;
}

/** One field to write: its tag, and a scalar, the bytes of a byte array, or 32-bit words. */
interface Planned {
  readonly tag: number;
  readonly scalar?: number;
  readonly bytes?: Uint8Array;
  readonly words?: readonly number[];
  /** The packed record's payload length (repeated fields). */
  readonly payload: number;
}

/**
 * Encodes `record` as `spec`'s message, byte for byte what `toBinary` of the generated schema and
 * C++ libprotobuf write (§2.2, §2.5): fields in ascending number order, a present scalar as a varint
 * (proto2 presence: a value of 0 is written), a non-empty repeated field as one packed record, an
 * empty or absent one not at all. `test/wire/messages.test.ts` checks it against `toBinary`.
 */
function encodeWith(spec: MessageSpec, record: object): Uint8Array {
  if (typeof record !== 'object' || record === null) throw new TypeError(`${spec.name}: expected an object`);
  const input = record as Record<string, unknown>;
  const plan: Planned[] = [];
  let size = 0;
  for (const f of spec.fields) {
    const value = input[f.localName];
    if (value === undefined) {
      if (f.required) throw new TypeError(`${spec.name}.${f.localName}: required field missing`);
      continue;
    }
    if (f.shape === 'scalar') {
      const v = checkU32(value, `${spec.name}.${f.localName}`);
      const tag = (f.number << 3) | WIRE_VARINT;
      plan.push({ tag, scalar: v, payload: 0 });
      size += varintSize(tag) + varintSize(v);
    } else if (f.shape === 'bytes') {
      if (!(value instanceof Uint8Array))
        throw new TypeError(`${spec.name}.${f.localName}: expected a Uint8Array`);
      if (value.length === 0) continue;
      let payload = 0;
      for (let i = 0; i < value.length; i++) payload += value[i]! < 0x80 ? 1 : 2;
      const tag = (f.number << 3) | WIRE_LEN;
      plan.push({ tag, bytes: value, payload });
      size += varintSize(tag) + varintSize(payload) + payload;
    } else {
      if (!Array.isArray(value))
        throw new TypeError(`${spec.name}.${f.localName}: expected an array of uint32 words`);
      if (value.length === 0) continue;
      let payload = 0;
      for (let i = 0; i < value.length; i++) {
        const w: unknown = value[i];
        if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > U32_MAX)
          checkU32(w, `${spec.name}.${f.localName}[${i}]`); // throws the RangeError
        payload += varintSize(w as number);
      }
      const tag = (f.number << 3) | WIRE_LEN;
      plan.push({ tag, words: value as readonly number[], payload });
      size += varintSize(tag) + varintSize(payload) + payload;
    }
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of plan) {
    o = writeVarint(out, o, p.tag);
    if (p.scalar !== undefined) {
      o = writeVarint(out, o, p.scalar);
      continue;
    }
    o = writeVarint(out, o, p.payload);
    if (p.bytes !== undefined) {
      const b = p.bytes;
      for (let i = 0; i < b.length; i++) {
        const v = b[i]!;
        if (v < 0x80) out[o++] = v;
        else {
          out[o++] = (v & 0x7f) | 0x80;
          out[o++] = 1; // v >> 7 for a byte ≥ 0x80
        }
      }
    } else {
      for (const w of p.words!) o = writeVarint(out, o, w);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Strict decoding
// ---------------------------------------------------------------------------------------------

/** A uint32 varint takes at most 5 bytes (§2.2: larger values are rejected, not truncated). */
const MAX_VARINT32_BYTES = 5;
/** Any varint takes at most 10 bytes (unknown fields). */
const MAX_VARINT64_BYTES = 10;

class Scanner {
  readonly bytes: Uint8Array;
  readonly name: string;
  pos = 0;

  constructor(bytes: Uint8Array, name: string) {
    this.bytes = bytes;
    this.name = name;
  }

  fail(
    code: 'ERR_PROTOBUF_INVALID' | 'ERR_PROTOBUF_BYTE_RANGE',
    field: string,
    message: string,
    at: number,
  ): never {
    const path = field === '' ? this.name : `${this.name}.${field}`;
    throw new ParseError(code, `${path}: ${message} at offset ${at}`, { offset: at, field: path });
  }

  /** Reads a varint that must fit in 32 bits (at most 5 bytes, value ≤ 2^32-1), up to `end`. */
  varint32(field: string, end: number): number {
    const start = this.pos;
    let value = 0;
    for (let i = 0; i < MAX_VARINT32_BYTES; i++) {
      if (this.pos >= end) this.fail('ERR_PROTOBUF_INVALID', field, 'truncated varint', start);
      const b = this.bytes[this.pos++]!;
      if (i === MAX_VARINT32_BYTES - 1 && b > 0x0f) {
        this.fail('ERR_PROTOBUF_INVALID', field, 'varint exceeds uint32', start);
      }
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return value;
    }
    return this.fail('ERR_PROTOBUF_INVALID', field, 'varint exceeds uint32', start);
  }

  /** Skips any varint of at most 10 bytes (unknown fields). */
  skipVarint(field: string, end: number): void {
    const start = this.pos;
    for (let i = 0; i < MAX_VARINT64_BYTES; i++) {
      if (this.pos >= end) this.fail('ERR_PROTOBUF_INVALID', field, 'truncated varint', start);
      if ((this.bytes[this.pos++]! & 0x80) === 0) return;
    }
    this.fail('ERR_PROTOBUF_INVALID', field, 'varint longer than 10 bytes', start);
  }

  skip(n: number, field: string, end: number): void {
    if (n > end - this.pos)
      this.fail('ERR_PROTOBUF_INVALID', field, `truncated record (need ${n} bytes)`, this.pos);
    this.pos += n;
  }
}

interface Accumulator {
  scalar: number | undefined;
  /** The elements of a word list. */
  list: number[];
  /** The elements of a byte array (`n` of them), grown as records arrive. */
  bytes: Uint8Array;
  n: number;
}

const NO_BYTES = new Uint8Array(0);

/** Makes room in `a.bytes` for `more` further elements. */
function reserve(a: Accumulator, more: number): void {
  if (a.n + more <= a.bytes.length) return;
  const grown = new Uint8Array(Math.max(a.n + more, a.bytes.length * 2));
  grown.set(a.bytes.subarray(0, a.n));
  a.bytes = grown;
}

function decodeWith(spec: MessageSpec, bytes: Uint8Array): Record<string, unknown> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${spec.name}: expected a Uint8Array`);
  const s = new Scanner(bytes, spec.name);
  const end = bytes.length;
  const acc = new Map<number, Accumulator>();
  for (const f of spec.fields) acc.set(f.number, { scalar: undefined, list: [], bytes: NO_BYTES, n: 0 });

  while (s.pos < end) {
    const tagAt = s.pos;
    const tag = s.varint32('', end);
    const fieldNo = tag >>> 3;
    const wireType = tag & 7;
    if (fieldNo === 0) s.fail('ERR_PROTOBUF_INVALID', '', 'field number 0', tagAt);
    const f = spec.byNumber.get(fieldNo);
    if (f === undefined) {
      // Unknown field: skipped, as a proto2 parser does; groups and reserved wire types are rejected.
      const field = `#${fieldNo}`;
      if (wireType === WIRE_VARINT) s.skipVarint(field, end);
      else if (wireType === WIRE_FIXED64) s.skip(8, field, end);
      else if (wireType === WIRE_FIXED32) s.skip(4, field, end);
      else if (wireType === WIRE_LEN) s.skip(s.varint32(field, end), field, end);
      else s.fail('ERR_PROTOBUF_INVALID', field, `unsupported wire type ${wireType}`, tagAt);
      continue;
    }
    const a = acc.get(fieldNo)!;
    if (f.shape === 'scalar') {
      if (wireType !== WIRE_VARINT)
        s.fail('ERR_PROTOBUF_INVALID', f.localName, `wire type ${wireType}`, tagAt);
      a.scalar = s.varint32(f.localName, end); // last value wins, as in C++
      continue;
    }
    if (wireType === WIRE_VARINT) {
      // §2.2: an unpacked element, accepted like the C++ parser does.
      pushElement(s, f, a, s.varint32(f.localName, end), s.pos);
    } else if (wireType === WIRE_LEN) {
      // §2.2: a packed record: byte length, then one varint per element, exactly filling it.
      const len = s.varint32(f.localName, end);
      if (len > end - s.pos)
        s.fail('ERR_PROTOBUF_INVALID', f.localName, 'packed record overruns the message', tagAt);
      const recordEnd = s.pos + len;
      if (f.shape === 'bytes') {
        reserve(a, len); // at least one byte per element: no growth inside the record
        readPackedBytes(s, f, a, recordEnd);
      } else {
        while (s.pos < recordEnd) {
          const at = s.pos;
          pushElement(s, f, a, s.varint32(f.localName, recordEnd), at);
        }
      }
    } else {
      s.fail('ERR_PROTOBUF_INVALID', f.localName, `wire type ${wireType}`, tagAt);
    }
  }

  const out: Record<string, unknown> = {};
  for (const f of spec.fields) {
    const a = acc.get(f.number)!;
    if (f.shape === 'scalar') {
      if (a.scalar !== undefined) out[f.localName] = a.scalar;
      else if (f.required) {
        // §2.2: C++ ParseFromString fails when a required field is missing.
        const path = `${spec.name}.${f.localName}`;
        throw new ParseError('ERR_PROTOBUF_MISSING_FIELD', `${path}: required field missing`, {
          offset: end,
          field: path,
        });
      }
    } else if (f.shape === 'bytes') {
      out[f.localName] = a.n === a.bytes.length ? a.bytes : a.bytes.slice(0, a.n);
    } else {
      out[f.localName] = Object.freeze(a.list);
    }
  }
  return Object.freeze(out);
}

/**
 * The elements of a packed byte-array record up to `recordEnd`: the two encodings a byte has
 * (one byte below 0x80; 0x80-0xff as `1xxxxxxx 00000001`) are read inline, anything else (a
 * non-minimal varint, a value above 255, a truncated varint) through the general path, which
 * accepts or refuses it exactly as before (§2.2). `a.bytes` has room for the whole record.
 */
function readPackedBytes(s: Scanner, f: FieldSpec, a: Accumulator, recordEnd: number): void {
  const src = s.bytes;
  let p = s.pos;
  while (p < recordEnd) {
    const b0 = src[p]!;
    if (b0 < 0x80) {
      a.bytes[a.n++] = b0;
      p++;
    } else if (p + 1 < recordEnd && src[p + 1] === 0x01) {
      a.bytes[a.n++] = b0; // (b0 & 0x7f) | (1 << 7) = b0
      p += 2;
    } else {
      s.pos = p;
      pushElement(s, f, a, s.varint32(f.localName, recordEnd), p);
      p = s.pos;
    }
  }
  s.pos = p;
}

function pushElement(s: Scanner, f: FieldSpec, a: Accumulator, value: number, at: number): void {
  // §2.2: one byte per element; the C++ receivers cast to uint8_t, a strict decoder rejects > 255.
  if (f.shape === 'bytes' && value > 0xff) {
    s.fail('ERR_PROTOBUF_BYTE_RANGE', f.localName, `element ${value} is not a byte`, at);
  }
  if (f.shape === 'bytes') {
    reserve(a, 1);
    a.bytes[a.n++] = value;
  } else {
    a.list.push(value);
  }
}

// ---------------------------------------------------------------------------------------------
// Public encoders and decoders
// ---------------------------------------------------------------------------------------------

/** Encodes `Messages.InitialMessage` (§2.4; `{type:5}` → `0805`, §2.5). */
export function encodeInitialMessage(msg: InitialMessageFields): Uint8Array {
  return encodeWith(INITIAL_MESSAGE, msg);
}

/** Strictly decodes `Messages.InitialMessage`; throws `ParseError` `ERR_PROTOBUF_*`. */
export function decodeInitialMessage(body: Uint8Array): InitialMessageFields {
  return decodeWith(INITIAL_MESSAGE, body) as unknown as InitialMessageFields;
}

/** Encodes `Messages.MessageMsg0` (§2.4); `status` is written only when given (`0` included). */
export function encodeMessageMsg0(msg: MessageMsg0Fields): Uint8Array {
  return encodeWith(MESSAGE_MSG0, msg);
}

/** Strictly decodes `Messages.MessageMsg0`; throws `ParseError` `ERR_PROTOBUF_*`. */
export function decodeMessageMsg0(body: Uint8Array): MessageMsg0Fields {
  return decodeWith(MESSAGE_MSG0, body) as unknown as MessageMsg0Fields;
}

/** Encodes `Messages.MessageMSG1` (§2.4). */
export function encodeMessageMSG1(msg: MessageInit<MessageMSG1Fields>): Uint8Array {
  return encodeWith(MESSAGE_MSG1, msg);
}

/** Strictly decodes `Messages.MessageMSG1`; element counts are the caller's to check. */
export function decodeMessageMSG1(body: Uint8Array): MessageMSG1Fields {
  return decodeWith(MESSAGE_MSG1, body) as unknown as MessageMSG1Fields;
}

/** Encodes `Messages.MessageMSG2` (§2.4); an empty `sigrl` is omitted. */
export function encodeMessageMSG2(msg: MessageInit<MessageMSG2Fields>): Uint8Array {
  return encodeWith(MESSAGE_MSG2, msg);
}

/** Strictly decodes `Messages.MessageMSG2`; element counts are the caller's to check. */
export function decodeMessageMSG2(body: Uint8Array): MessageMSG2Fields {
  return decodeWith(MESSAGE_MSG2, body) as unknown as MessageMSG2Fields;
}

/** Encodes `Messages.MessageMSG3` (§2.4). */
export function encodeMessageMSG3(msg: MessageInit<MessageMSG3Fields>): Uint8Array {
  return encodeWith(MESSAGE_MSG3, msg);
}

/** Strictly decodes `Messages.MessageMSG3`; element counts are the caller's to check. */
export function decodeMessageMSG3(body: Uint8Array): MessageMSG3Fields {
  return decodeWith(MESSAGE_MSG3, body) as unknown as MessageMSG3Fields;
}

/** Encodes `Messages.AttestationMessage` (§2.4). */
export function encodeAttestationMessage(msg: MessageInit<AttestationMessageFields>): Uint8Array {
  return encodeWith(ATTESTATION_MESSAGE, msg);
}

/** Strictly decodes `Messages.AttestationMessage`; element counts are the caller's to check. */
export function decodeAttestationMessage(body: Uint8Array): AttestationMessageFields {
  return decodeWith(ATTESTATION_MESSAGE, body) as unknown as AttestationMessageFields;
}

/** Encodes `Messages.SecretMessage` (§2.1). `{type:6,size:0}` equals the App's `InitialMessage` bytes. */
export function encodeSecretMessage(msg: MessageInit<SecretMessageFields>): Uint8Array {
  return encodeWith(SECRET_MESSAGE, msg);
}

/** Strictly decodes `Messages.SecretMessage`; throws `ParseError` `ERR_PROTOBUF_*`. */
export function decodeSecretMessage(body: Uint8Array): SecretMessageFields {
  return decodeWith(SECRET_MESSAGE, body) as unknown as SecretMessageFields;
}

/** A frame body decoded according to its frame `<type>` (§3.1, §4.2), tagged with that type. */
export type DecodedBody =
  | { readonly type: typeof RA_MSG_TYPES.RA_MSG0; readonly message: MessageMsg0Fields }
  | { readonly type: typeof RA_MSG_TYPES.RA_MSG1; readonly message: MessageMSG1Fields }
  | { readonly type: typeof RA_MSG_TYPES.RA_MSG2; readonly message: MessageMSG2Fields }
  | { readonly type: typeof RA_MSG_TYPES.RA_MSG3; readonly message: MessageMSG3Fields }
  | { readonly type: typeof RA_MSG_TYPES.RA_ATT_RESULT; readonly message: AttestationMessageFields }
  | { readonly type: typeof RA_MSG_TYPES.RA_VERIFICATION; readonly message: InitialMessageFields }
  | { readonly type: typeof RA_MSG_TYPES.RA_APP_ATT_OK; readonly message: SecretMessageFields };

/**
 * Decodes a frame body with the message the frame `<type>` names (§2.3): 5 → `InitialMessage`,
 * 6 → `SecretMessage` (as the SP parses it, so `size` is required), 0..4 → their messages.
 * Does not compare the protobuf `type` field with the frame type: §4.2 requires the receiver to do so.
 */
export function decodeBody(type: RaMsgType, body: Uint8Array): DecodedBody {
  switch (type) {
    case RA_MSG_TYPES.RA_MSG0:
      return Object.freeze({ type, message: decodeMessageMsg0(body) });
    case RA_MSG_TYPES.RA_MSG1:
      return Object.freeze({ type, message: decodeMessageMSG1(body) });
    case RA_MSG_TYPES.RA_MSG2:
      return Object.freeze({ type, message: decodeMessageMSG2(body) });
    case RA_MSG_TYPES.RA_MSG3:
      return Object.freeze({ type, message: decodeMessageMSG3(body) });
    case RA_MSG_TYPES.RA_ATT_RESULT:
      return Object.freeze({ type, message: decodeAttestationMessage(body) });
    case RA_MSG_TYPES.RA_VERIFICATION:
      return Object.freeze({ type, message: decodeInitialMessage(body) });
    case RA_MSG_TYPES.RA_APP_ATT_OK:
      return Object.freeze({ type, message: decodeSecretMessage(body) });
    default:
      throw new RangeError(`unknown ra_msg_types value ${String(type)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Signature word conversions (§2.2, §2.4)
// ---------------------------------------------------------------------------------------------

/**
 * Converts little-endian 32-bit words (`sgx_ec256_signature_t.x[8]` as carried in `signature_x`,
 * `ec_sign256_x`, ...) to their in-memory bytes: word i → bytes 4i..4i+3, least significant first.
 * Eight words give the 32-byte little-endian integer. Throws `RangeError` for a non-uint32 word.
 */
export function signatureWordsToBytes(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => {
    view.setUint32(i * 4, checkU32(w, `word[${i}]`), true);
  });
  return out;
}

/**
 * Converts in-memory bytes (for a signature component, the 32-byte little-endian integer) to the
 * little-endian 32-bit words the seed puts on the wire (§2.4). Throws `RangeError` unless the
 * length is a multiple of 4.
 */
export function signatureBytesToWords(bytes: Uint8Array): number[] {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('expected a Uint8Array');
  if (bytes.length % 4 !== 0) throw new RangeError(`byte length ${bytes.length} is not a multiple of 4`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) out.push(view.getUint32(i, true));
  return out;
}
