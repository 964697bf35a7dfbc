/**
 * PEM (RFC 7468) splitting and decoding, strict: matching BEGIN/END labels, base64 in its
 * canonical form only, nothing but whitespace (and the NUL terminators quotes carry) between
 * blocks. Failures are `ERR_PEM_INVALID`.
 *
 * @module
 */
import { ParseError } from '../errors.ts';

/** One decoded PEM block. */
export interface PemBlock {
  /** The label, e.g. `CERTIFICATE` or `X509 CRL`. */
  readonly label: string;
  /** The decoded bytes (a fresh array). */
  readonly der: Uint8Array;
}

/** The most PEM blocks one input may hold. */
export const MAX_PEM_BLOCKS = 16;
/** The largest PEM text accepted (characters). */
export const MAX_PEM_LENGTH: number = 1 << 20;

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';
const LABEL = /^[A-Z0-9][A-Z0-9 ]{0,63}$/;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;
const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const OUTSIDE = /^[\s\0]*$/;
const UTF8_TEXT = new TextDecoder('utf-8', { fatal: false });

function fail(message: string, offset = -1): never {
  throw new ParseError('ERR_PEM_INVALID', message, { offset, field: 'pem' });
}

/**
 * Splits PEM text into its blocks and decodes each (RFC 7468 §2-3). Only whitespace and NUL
 * characters may appear outside the blocks. Throws `ERR_PEM_INVALID` when there is no block, a
 * label pair does not match, the base64 is not canonical, or a block is empty.
 *
 * @param text PEM text, or its bytes (decoded as UTF-8).
 */
export function splitPem(text: string | Uint8Array): PemBlock[] {
  if (typeof text !== 'string' && !(text instanceof Uint8Array))
    throw new TypeError('splitPem expects a string or Uint8Array');
  const s = typeof text === 'string' ? text : UTF8_TEXT.decode(text);
  if (s.length > MAX_PEM_LENGTH)
    fail(`PEM text of ${s.length} characters exceeds the cap of ${MAX_PEM_LENGTH}`);
  const out: PemBlock[] = [];
  let last = 0;
  for (;;) {
    const at = s.indexOf(BEGIN, last);
    if (at < 0) break;
    if (!OUTSIDE.test(s.slice(last, at))) fail(`unexpected text before PEM block ${out.length + 1}`, last);
    const labelEnd = s.indexOf(DASHES, at + BEGIN.length);
    const label = labelEnd < 0 ? '' : s.slice(at + BEGIN.length, labelEnd);
    if (!LABEL.test(label)) fail('malformed PEM BEGIN line', at);
    const bodyStart = labelEnd + DASHES.length;
    const endAt = s.indexOf(END, bodyStart);
    if (endAt < 0) fail(`PEM block "${label}" has no END line`, at);
    const endLabelEnd = s.indexOf(DASHES, endAt + END.length);
    const endLabel = endLabelEnd < 0 ? '' : s.slice(endAt + END.length, endLabelEnd);
    if (endLabel !== label) fail(`PEM labels do not match: BEGIN ${label} / END ${endLabel}`, endAt);
    if (out.length >= MAX_PEM_BLOCKS) fail(`more than ${MAX_PEM_BLOCKS} PEM blocks`, at);
    out.push(Object.freeze({ label, der: decodeBase64Strict(s.slice(bodyStart, endAt), at) }));
    last = endLabelEnd + DASHES.length;
  }
  if (!OUTSIDE.test(s.slice(last))) fail('unexpected text after the last PEM block', last);
  if (out.length === 0) fail('no PEM block found');
  return out;
}

function decodeBase64Strict(body: string, at: number): Uint8Array {
  const b64 = body.replace(/[ \t\r\n]/g, '');
  if (b64.length === 0) fail('empty PEM block', at);
  if (b64.length % 4 !== 0 || !BASE64_BODY.test(b64)) fail('PEM body is not valid base64', at);
  // Canonical form only (RFC 4648 §3.5): the bits padding the last group must be zero.
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  if (pad > 0) {
    const last = B64_ALPHABET.indexOf(b64[b64.length - pad - 1]!);
    if ((last & (pad === 2 ? 0x0f : 0x03)) !== 0) fail('PEM body is not canonical base64', at);
  }
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/**
 * Decodes PEM text holding one or more blocks that must all carry `label` (default
 * `CERTIFICATE`), in order. Returns the DER of each.
 */
export function decodePemBlocks(text: string | Uint8Array, label = 'CERTIFICATE'): Uint8Array[] {
  return splitPem(text).map((b, i) => {
    if (b.label !== label) fail(`PEM block ${i + 1} is "${b.label}", expected "${label}"`);
    return b.der;
  });
}

/** Encodes DER bytes as one PEM block with 64-character lines. */
export function encodePem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * URL-decodes a header value such as IAS's `X-IASReport-Signing-Certificate` or PCS's
 * `SGX-PCK-CRL-Issuer-Chain` / `TCB-Info-Issuer-Chain` (percent-encoding per RFC 3986 §2.1).
 * Throws `ERR_PEM_INVALID` for malformed escapes.
 */
export function urlDecodePem(value: string): string {
  if (typeof value !== 'string') throw new TypeError('urlDecodePem expects a string');
  if (value.length > 3 * MAX_PEM_LENGTH) fail('URL-encoded PEM is too long');
  try {
    return decodeURIComponent(value);
  } catch {
    return fail('malformed percent-encoding in a URL-encoded PEM header', -1);
  }
}
