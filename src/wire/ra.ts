/**
 * The SGX remote-attestation structs of the seed protocol: msg0..msg3 (`sgx_key_exchange.h`), the
 * Intel-sample attestation result (`remote_attestation_result.h`), and the little-endian P-256
 * key and signature layouts (`sgx_tcrypto.h`). All layouts are packed little-endian
 * (PROTOCOL-SEED.md §5).
 *
 * Parsers take the exact struct bytes (trailing bytes are an error), read through the bounded
 * {@link ByteReader} over one private copy of the input (so no byte field aliases the caller's
 * buffer; fields are views into that copy) and return frozen records. Encoders check field
 * lengths and return fresh bytes; `encodeX(parseX(b))` reproduces `b` exactly.
 *
 * @module
 */
import { ParseError } from '../errors.ts';
import { concatBytes } from './hex.ts';
import { ByteReader } from './reader.ts';

// ---- sizes and offsets (PROTOCOL-SEED.md §5.1, §5.2, §5.6) ----

/** `sgx_ec256_public_t`: gx[32] ‖ gy[32], each little-endian (§5.1). */
export const EC256_PUBLIC_SIZE = 64;
/** `sgx_ec256_signature_t`: uint32 x[8] (r) ‖ uint32 y[8] (s), little-endian words (§5.1). */
export const EC256_SIGNATURE_SIZE = 64;
/** A SEC1 uncompressed P-256 point: 0x04 ‖ X (32, big-endian) ‖ Y (32, big-endian). */
export const SEC1_UNCOMPRESSED_SIZE = 65;
/** An IEEE-P1363 P-256 signature: r (32, big-endian) ‖ s (32, big-endian). */
export const P1363_SIGNATURE_SIZE = 64;
/** Size of one P-256 coordinate or scalar. */
const COORD_SIZE = 32;

/** `sgx_spid_t` size. */
export const SGX_SPID_SIZE = 16;
/** `sgx_mac_t` / `sgx_cmac_128bit_tag_t` size. */
export const SGX_MAC_SIZE = 16;
/** `sgx_epid_group_id_t` size. */
export const SGX_GID_SIZE = 4;
/** `sgx_ps_sec_prop_desc_t` size. */
export const SGX_PS_SEC_PROP_SIZE = 256;

/** Intel-sample msg0: `extended_epid_group_id` u32 (§5.2). */
export const MSG0_SIZE = 4;
/** `sgx_ra_msg1_t`: g_a 64 ‖ gid 4 (§5.2). */
export const MSG1_SIZE = 68;
/** `sgx_ra_msg2_t` without its SigRL: `sizeof(sgx_ra_msg2_t)` = 168 (§5.2). */
export const MSG2_HEADER_SIZE = 168;
/** Offset of `sgx_ra_msg2_t.mac`; the MAC covers bytes [0, 148) (§5.2, §6.3). */
export const MSG2_MAC_OFFSET = 148;
/** `sgx_ra_msg3_t` without its quote: mac 16 ‖ g_a 64 ‖ ps_sec_prop 256 (§5.2). */
export const MSG3_HEADER_SIZE = 336;
/** Offset of `sgx_ra_msg3_t.g_a`; the MAC covers bytes [16, 336 + q) (§5.2, §6.4). */
export const MSG3_MAC_DATA_OFFSET = 16;
/** `ias_platform_info_blob_t` of the Intel sample (§5.6). */
export const PLATFORM_INFO_BLOB_SIZE = 97;
/** Offset of the signature inside the platform info blob (§5.6). */
export const PLATFORM_INFO_BLOB_SIGNATURE_OFFSET = 33;
/** `sample_ra_att_result_msg_t` without its payload (§5.6). */
export const ATTESTATION_RESULT_HEADER_SIZE = 145;
/** Size of `sample_ra_att_result_msg_t.secret.reserved` (§5.6). */
export const ATTESTATION_RESULT_RESERVED_SIZE = 12;
/** Size of the AES-GCM tag `secret.payload_tag` (§5.6). */
export const ATTESTATION_RESULT_TAG_SIZE = 16;

/** Cap on a SigRL carried in msg2 (1 MiB, the framing cap of §3.1). */
export const MAX_SIG_RL_SIZE: number = 1024 * 1024;
/** Cap on a quote carried in msg3 (64 KiB; an EPID quote is 1116 + 160·n2 bytes, §5.3). */
export const MAX_MSG3_QUOTE_SIZE: number = 64 * 1024;
/** Cap on the attestation-result payload (1 MiB; the seed sends 2 bytes, Intel's sample 8). */
export const MAX_ATTESTATION_PAYLOAD_SIZE: number = 1024 * 1024;

// ---- argument checks for encoders (programmer misuse → TypeError / RangeError) ----

function checkBytes(value: unknown, n: number, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (value.length !== n) throw new RangeError(`${name} must be ${n} bytes, got ${value.length}`);
  return value;
}

function checkVarBytes(value: unknown, max: number, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (value.length > max) {
    throw new ParseError(
      'ERR_WIRE_LENGTH_LIMIT',
      `${name}: length ${value.length} exceeds the cap of ${max}`,
      {
        field: name,
        need: value.length,
      },
    );
  }
  return value;
}

function checkUint(value: unknown, bits: 8 | 16 | 32, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new RangeError(`${name} must be an unsigned ${bits}-bit integer`);
  }
  return value;
}

function u16le(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff);
}

function u32le(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

/** Reverses each of two 32-byte halves: the LE ⇄ BE swap of both coordinates (or r and s). */
function swapHalves(src: Uint8Array, srcOffset: number, out: Uint8Array, outOffset: number): void {
  for (let i = 0; i < COORD_SIZE; i++) {
    out[outOffset + i] = src[srcOffset + COORD_SIZE - 1 - i]!;
    out[outOffset + COORD_SIZE + i] = src[srcOffset + 2 * COORD_SIZE - 1 - i]!;
  }
}

function checkInputLength(bytes: unknown, n: number, field: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${field} must be a Uint8Array`);
  if (bytes.length !== n) {
    throw new ParseError(
      bytes.length < n ? 'ERR_WIRE_TRUNCATED' : 'ERR_WIRE_TRAILING_BYTES',
      `${field}: expected ${n} bytes, got ${bytes.length}`,
      { offset: Math.min(bytes.length, n), field, need: n, have: bytes.length },
    );
  }
  return bytes;
}

// ---- P-256 byte-order conversions (PROTOCOL-SEED.md §5.1, §6.1, §6.3) ----

/**
 * `sgx_ec256_public_t` (gx ‖ gy, little-endian) → SEC1 uncompressed point `04 ‖ X ‖ Y` (big-endian).
 * Only the byte order is changed; use `validateEc256Public` from `crypto/` to check the point.
 */
export function ec256PublicToSec1(publicLE: Uint8Array): Uint8Array {
  checkInputLength(publicLE, EC256_PUBLIC_SIZE, 'sgx_ec256_public_t');
  const out = new Uint8Array(SEC1_UNCOMPRESSED_SIZE);
  out[0] = 0x04;
  swapHalves(publicLE, 0, out, 1);
  return out;
}

/**
 * SEC1 uncompressed point `04 ‖ X ‖ Y` → `sgx_ec256_public_t` (gx ‖ gy, little-endian). Compressed
 * or other encodings are refused with `ERR_WIRE_INVALID_VALUE`.
 */
export function sec1ToEc256Public(sec1: Uint8Array): Uint8Array {
  checkInputLength(sec1, SEC1_UNCOMPRESSED_SIZE, 'sec1');
  if (sec1[0] !== 0x04) {
    throw new ParseError(
      'ERR_WIRE_INVALID_VALUE',
      'sec1: not an uncompressed point (first byte is not 0x04)',
      {
        offset: 0,
        field: 'sec1',
      },
    );
  }
  const out = new Uint8Array(EC256_PUBLIC_SIZE);
  swapHalves(sec1, 1, out, 0);
  return out;
}

/**
 * `sgx_ec256_signature_t` (x[8], y[8]: r and s as little-endian uint32 words, least significant
 * word first, i.e. r and s little-endian) → IEEE-P1363 `r ‖ s` (big-endian).
 */
export function ec256SignatureToP1363(signatureLE: Uint8Array): Uint8Array {
  checkInputLength(signatureLE, EC256_SIGNATURE_SIZE, 'sgx_ec256_signature_t');
  const out = new Uint8Array(P1363_SIGNATURE_SIZE);
  swapHalves(signatureLE, 0, out, 0);
  return out;
}

/** IEEE-P1363 `r ‖ s` (big-endian) → `sgx_ec256_signature_t` (r, s little-endian). */
export function p1363ToEc256Signature(p1363: Uint8Array): Uint8Array {
  checkInputLength(p1363, P1363_SIGNATURE_SIZE, 'p1363');
  const out = new Uint8Array(EC256_SIGNATURE_SIZE);
  swapHalves(p1363, 0, out, 0);
  return out;
}

// ---- msg0 (Intel sample `sample_ra_msg0_t`, §5.2) ----

/** msg0: the platform's extended EPID group id (0 for IAS). */
export interface Msg0 {
  /** `extended_epid_group_id`, u32. */
  readonly extendedEpidGroupId: number;
}

/** Parses the 4-byte msg0. */
export function parseMsg0(bytes: Uint8Array): Msg0 {
  const r = new ByteReader(bytes, 'msg0');
  const extendedEpidGroupId = r.u32le('extendedEpidGroupId');
  r.expectEnd();
  return Object.freeze({ extendedEpidGroupId });
}

/** Encodes msg0 (4 bytes). */
export function encodeMsg0(msg: Msg0): Uint8Array {
  return u32le(checkUint(msg.extendedEpidGroupId, 32, 'msg0.extendedEpidGroupId'));
}

// ---- msg1 (`sgx_ra_msg1_t`, §5.2) ----

/** `sgx_ra_msg1_t`: the enclave's ephemeral public key and its EPID group id. */
export interface Msg1 {
  /** `g_a`: `sgx_ec256_public_t`, 64 bytes little-endian. */
  readonly gA: Uint8Array;
  /** `gid`: `sgx_epid_group_id_t`, 4 bytes little-endian (GID 0x00000103 = `03 01 00 00`). */
  readonly gid: Uint8Array;
}

/** Parses the 68-byte `sgx_ra_msg1_t`. */
export function parseMsg1(bytes: Uint8Array): Msg1 {
  const r = ByteReader.copyOf(bytes, 'msg1');
  const gA = r.bytes(EC256_PUBLIC_SIZE, 'gA');
  const gid = r.bytes(SGX_GID_SIZE, 'gid');
  r.expectEnd();
  return Object.freeze({ gA, gid });
}

/** Encodes `sgx_ra_msg1_t` (68 bytes). */
export function encodeMsg1(msg: Msg1): Uint8Array {
  return concatBytes(
    checkBytes(msg.gA, EC256_PUBLIC_SIZE, 'msg1.gA'),
    checkBytes(msg.gid, SGX_GID_SIZE, 'msg1.gid'),
  );
}

// ---- msg2 (`sgx_ra_msg2_t`, §5.2) ----

/** `sgx_ra_msg2_t`: the service provider's reply to msg1. */
export interface Msg2 {
  /** `g_b`: the SP's ephemeral public key, 64 bytes little-endian. */
  readonly gB: Uint8Array;
  /** `spid`: 16 bytes. */
  readonly spid: Uint8Array;
  /** `quote_type` u16: 0 unlinkable, 1 linkable (the SDK treats any non-zero value as linkable). */
  readonly quoteType: number;
  /** `kdf_id` u16: 1 = AES-CMAC KDF. */
  readonly kdfId: number;
  /** `sign_gb_ga`: `sgx_ec256_signature_t` over `g_b ‖ g_a`, 64 bytes. */
  readonly signGbGa: Uint8Array;
  /** `mac`: AES-CMAC under SMK over bytes [0, 148), 16 bytes. */
  readonly mac: Uint8Array;
  /** `sig_rl`: the raw SigRL (`sig_rl_size` = its length); empty when there is none. */
  readonly sigRl: Uint8Array;
}

/** Parses `sgx_ra_msg2_t` (168 + `sig_rl_size` bytes). The SigRL is capped at {@link MAX_SIG_RL_SIZE}. */
export function parseMsg2(bytes: Uint8Array): Msg2 {
  const r = ByteReader.copyOf(bytes, 'msg2');
  const gB = r.bytes(EC256_PUBLIC_SIZE, 'gB');
  const spid = r.bytes(SGX_SPID_SIZE, 'spid');
  const quoteType = r.u16le('quoteType');
  const kdfId = r.u16le('kdfId');
  const signGbGa = r.bytes(EC256_SIGNATURE_SIZE, 'signGbGa');
  const mac = r.bytes(SGX_MAC_SIZE, 'mac');
  const sigRlSize = r.u32le('sigRlSize');
  // §5.2: sig_rl[] is exactly sig_rl_size bytes and ends the struct (msg2_size == 168 + sig_rl_size, §6.6).
  const sigRl = r.withLength(sigRlSize, 'sigRl', (s) => s.bytes(sigRlSize, ''), MAX_SIG_RL_SIZE);
  r.expectEnd();
  return Object.freeze({ gB, spid, quoteType, kdfId, signGbGa, mac, sigRl });
}

/**
 * The bytes msg2's MAC covers: `g_b ‖ spid ‖ quote_type ‖ kdf_id ‖ sign_gb_ga` = msg2[0, 148)
 * (PROTOCOL-SEED.md §6.3).
 */
export function msg2MacData(msg: Pick<Msg2, 'gB' | 'spid' | 'quoteType' | 'kdfId' | 'signGbGa'>): Uint8Array {
  return concatBytes(
    checkBytes(msg.gB, EC256_PUBLIC_SIZE, 'msg2.gB'),
    checkBytes(msg.spid, SGX_SPID_SIZE, 'msg2.spid'),
    u16le(checkUint(msg.quoteType, 16, 'msg2.quoteType')),
    u16le(checkUint(msg.kdfId, 16, 'msg2.kdfId')),
    checkBytes(msg.signGbGa, EC256_SIGNATURE_SIZE, 'msg2.signGbGa'),
  );
}

/** The bytes `sign_gb_ga` signs: `g_b ‖ g_a`, both little-endian as on the wire (§6.3). */
export function msg2SignatureData(gB: Uint8Array, gA: Uint8Array): Uint8Array {
  return concatBytes(checkBytes(gB, EC256_PUBLIC_SIZE, 'gB'), checkBytes(gA, EC256_PUBLIC_SIZE, 'gA'));
}

/** Encodes `sgx_ra_msg2_t` (168 + SigRL length bytes). */
export function encodeMsg2(msg: Msg2): Uint8Array {
  const sigRl = checkVarBytes(msg.sigRl, MAX_SIG_RL_SIZE, 'msg2.sigRl');
  return concatBytes(
    msg2MacData(msg),
    checkBytes(msg.mac, SGX_MAC_SIZE, 'msg2.mac'),
    u32le(sigRl.length),
    sigRl,
  );
}

// ---- msg3 (`sgx_ra_msg3_t`, §5.2) ----

/** `sgx_ra_msg3_t`: the enclave's quote, bound to the session by the SMK MAC. */
export interface Msg3 {
  /** `mac`: AES-CMAC under SMK over bytes [16, 336 + q), 16 bytes. */
  readonly mac: Uint8Array;
  /** `g_a`: the enclave's ephemeral public key, 64 bytes little-endian. */
  readonly gA: Uint8Array;
  /** `ps_sec_prop`: `sgx_ps_sec_prop_desc_t`, 256 bytes (all zero without PSE). */
  readonly psSecProp: Uint8Array;
  /** `quote`: the raw quote bytes (not parsed here; its own length is checked by the quote parser). */
  readonly quote: Uint8Array;
}

/** Parses `sgx_ra_msg3_t` (336 + q bytes). The quote is capped at {@link MAX_MSG3_QUOTE_SIZE}. */
export function parseMsg3(bytes: Uint8Array): Msg3 {
  const r = ByteReader.copyOf(bytes, 'msg3');
  const mac = r.bytes(SGX_MAC_SIZE, 'mac');
  const gA = r.bytes(EC256_PUBLIC_SIZE, 'gA');
  const psSecProp = r.bytes(SGX_PS_SEC_PROP_SIZE, 'psSecProp');
  // §5.2: quote[] runs to the end of msg3 (msg3_size = 336 + quote_size).
  const q = r.remaining;
  const quote = r.withLength(q, 'quote', (s) => s.bytes(q, ''), MAX_MSG3_QUOTE_SIZE);
  r.expectEnd();
  return Object.freeze({ mac, gA, psSecProp, quote });
}

/** The bytes msg3's MAC covers: `g_a ‖ ps_sec_prop ‖ quote` = msg3[16, 336 + q) (§6.4). */
export function msg3MacData(msg: Pick<Msg3, 'gA' | 'psSecProp' | 'quote'>): Uint8Array {
  return concatBytes(
    checkBytes(msg.gA, EC256_PUBLIC_SIZE, 'msg3.gA'),
    checkBytes(msg.psSecProp, SGX_PS_SEC_PROP_SIZE, 'msg3.psSecProp'),
    checkVarBytes(msg.quote, MAX_MSG3_QUOTE_SIZE, 'msg3.quote'),
  );
}

/** Encodes `sgx_ra_msg3_t` (336 + quote length bytes), in one allocation. */
export function encodeMsg3(msg: Msg3): Uint8Array {
  const mac = checkBytes(msg.mac, SGX_MAC_SIZE, 'msg3.mac');
  const gA = checkBytes(msg.gA, EC256_PUBLIC_SIZE, 'msg3.gA');
  const psSecProp = checkBytes(msg.psSecProp, SGX_PS_SEC_PROP_SIZE, 'msg3.psSecProp');
  const quote = checkVarBytes(msg.quote, MAX_MSG3_QUOTE_SIZE, 'msg3.quote');
  const out = new Uint8Array(MSG3_HEADER_SIZE + quote.length);
  out.set(mac, 0);
  out.set(gA, SGX_MAC_SIZE);
  out.set(psSecProp, SGX_MAC_SIZE + EC256_PUBLIC_SIZE);
  out.set(quote, MSG3_HEADER_SIZE);
  return out;
}

// ---- attestation result (`sample_ra_att_result_msg_t`, §5.6) ----

/**
 * The Intel sample's 97-byte `ias_platform_info_blob_t` (a simulation format; it is not the real
 * IAS `platformInfoBlob` TLV, §5.6).
 */
export interface PlatformInfoBlob {
  /** `sample_epid_group_status`, u8. */
  readonly epidGroupStatus: number;
  /** `sample_tcb_evaluation_status`, u16. */
  readonly tcbEvaluationStatus: number;
  /** `pse_evaluation_status`, u16. */
  readonly pseEvaluationStatus: number;
  /** `latest_equivalent_tcb_psvn`, 18 bytes. */
  readonly latestEquivalentTcbPsvn: Uint8Array;
  /** `latest_pse_isvsvn`, 2 bytes. */
  readonly latestPseIsvsvn: Uint8Array;
  /** `latest_psda_svn`, 4 bytes. */
  readonly latestPsdaSvn: Uint8Array;
  /** `performance_rekey_gid`, 4 bytes. */
  readonly performanceRekeyGid: Uint8Array;
  /**
   * `signature` (`sample_ec_sign256_t`, 64 bytes) over bytes [0, 33), kept as stored. The seed's SP
   * stores r and s big-endian here (§5.7), unlike `sign_gb_ga`.
   */
  readonly signature: Uint8Array;
}

const PIB_TCB_PSVN_SIZE = 18;
const PIB_PSE_ISVSVN_SIZE = 2;
const PIB_PSDA_SVN_SIZE = 4;
const PIB_REKEY_GID_SIZE = 4;

function readPlatformInfoBlob(r: ByteReader): PlatformInfoBlob {
  const epidGroupStatus = r.u8('epidGroupStatus');
  const tcbEvaluationStatus = r.u16le('tcbEvaluationStatus');
  const pseEvaluationStatus = r.u16le('pseEvaluationStatus');
  const latestEquivalentTcbPsvn = r.bytes(PIB_TCB_PSVN_SIZE, 'latestEquivalentTcbPsvn');
  const latestPseIsvsvn = r.bytes(PIB_PSE_ISVSVN_SIZE, 'latestPseIsvsvn');
  const latestPsdaSvn = r.bytes(PIB_PSDA_SVN_SIZE, 'latestPsdaSvn');
  const performanceRekeyGid = r.bytes(PIB_REKEY_GID_SIZE, 'performanceRekeyGid');
  const signature = r.bytes(EC256_SIGNATURE_SIZE, 'signature');
  return Object.freeze({
    epidGroupStatus,
    tcbEvaluationStatus,
    pseEvaluationStatus,
    latestEquivalentTcbPsvn,
    latestPseIsvsvn,
    latestPsdaSvn,
    performanceRekeyGid,
    signature,
  });
}

/**
 * The all-zero platform info blob (statuses 0, every array zero): what the seed's SP sends for an
 * attestation that needs no platform update (§5.6). Fresh arrays on every call.
 */
export function zeroPlatformInfoBlob(): PlatformInfoBlob {
  return Object.freeze({
    epidGroupStatus: 0,
    tcbEvaluationStatus: 0,
    pseEvaluationStatus: 0,
    latestEquivalentTcbPsvn: new Uint8Array(PIB_TCB_PSVN_SIZE),
    latestPseIsvsvn: new Uint8Array(PIB_PSE_ISVSVN_SIZE),
    latestPsdaSvn: new Uint8Array(PIB_PSDA_SVN_SIZE),
    performanceRekeyGid: new Uint8Array(PIB_REKEY_GID_SIZE),
    signature: new Uint8Array(EC256_SIGNATURE_SIZE),
  });
}

/** Parses the 97-byte platform info blob. */
export function parsePlatformInfoBlob(bytes: Uint8Array): PlatformInfoBlob {
  const r = ByteReader.copyOf(bytes, 'platformInfoBlob');
  const pib = readPlatformInfoBlob(r);
  r.expectEnd();
  return pib;
}

/**
 * Encodes the 97-byte platform info blob. These are also the bytes the attestation result's MAC
 * covers (`CMAC_MK(PIB[0, 97))`, §6.5).
 */
export function encodePlatformInfoBlob(pib: PlatformInfoBlob): Uint8Array {
  return concatBytes(
    Uint8Array.of(checkUint(pib.epidGroupStatus, 8, 'platformInfoBlob.epidGroupStatus')),
    u16le(checkUint(pib.tcbEvaluationStatus, 16, 'platformInfoBlob.tcbEvaluationStatus')),
    u16le(checkUint(pib.pseEvaluationStatus, 16, 'platformInfoBlob.pseEvaluationStatus')),
    checkBytes(pib.latestEquivalentTcbPsvn, PIB_TCB_PSVN_SIZE, 'platformInfoBlob.latestEquivalentTcbPsvn'),
    checkBytes(pib.latestPseIsvsvn, PIB_PSE_ISVSVN_SIZE, 'platformInfoBlob.latestPseIsvsvn'),
    checkBytes(pib.latestPsdaSvn, PIB_PSDA_SVN_SIZE, 'platformInfoBlob.latestPsdaSvn'),
    checkBytes(pib.performanceRekeyGid, PIB_REKEY_GID_SIZE, 'platformInfoBlob.performanceRekeyGid'),
    checkBytes(pib.signature, EC256_SIGNATURE_SIZE, 'platformInfoBlob.signature'),
  );
}

/** The bytes the platform-info-blob signature covers: PIB[0, 33) (§5.7). */
export function platformInfoBlobSignatureData(pib: PlatformInfoBlob): Uint8Array {
  return encodePlatformInfoBlob(pib).slice(0, PLATFORM_INFO_BLOB_SIGNATURE_OFFSET);
}

/** `sample_ra_att_result_msg_t`: the SP's verdict, MAC'd under MK, with a secret sealed under SK. */
export interface AttestationResult {
  /** `platform_info_blob`, 97 bytes. */
  readonly platformInfoBlob: PlatformInfoBlob;
  /** `mac`: AES-CMAC under MK over the 97-byte platform info blob. */
  readonly mac: Uint8Array;
  /** `secret.reserved`, 12 bytes (zero in every known sender; kept as received). */
  readonly reserved: Uint8Array;
  /** `secret.payload_tag`: the AES-GCM tag, 16 bytes. */
  readonly payloadTag: Uint8Array;
  /** `secret.payload`: the AES-GCM ciphertext (`secret.payload_size` = its length). */
  readonly payload: Uint8Array;
}

/** Input of {@link encodeAttestationResult}: `reserved` defaults to 12 zero bytes. */
export interface AttestationResultInit {
  /** `platform_info_blob`. */
  readonly platformInfoBlob: PlatformInfoBlob;
  /** `mac`, 16 bytes. */
  readonly mac: Uint8Array;
  /** `secret.reserved`, 12 bytes; zeros when omitted. */
  readonly reserved?: Uint8Array;
  /** `secret.payload_tag`, 16 bytes. */
  readonly payloadTag: Uint8Array;
  /** `secret.payload`. */
  readonly payload: Uint8Array;
}

/**
 * Parses `sample_ra_att_result_msg_t` (145 + `payload_size` bytes). The payload is capped at
 * {@link MAX_ATTESTATION_PAYLOAD_SIZE}.
 */
export function parseAttestationResult(bytes: Uint8Array): AttestationResult {
  const r = ByteReader.copyOf(bytes, 'attestationResult');
  const platformInfoBlob = r.withLength(PLATFORM_INFO_BLOB_SIZE, 'platformInfoBlob', readPlatformInfoBlob);
  const mac = r.bytes(SGX_MAC_SIZE, 'mac');
  const payloadSize = r.u32le('payloadSize');
  const reserved = r.bytes(ATTESTATION_RESULT_RESERVED_SIZE, 'reserved');
  const payloadTag = r.bytes(ATTESTATION_RESULT_TAG_SIZE, 'payloadTag');
  // §5.6: payload[] is exactly secret.payload_size bytes and ends the struct.
  const payload = r.withLength(
    payloadSize,
    'payload',
    (s) => s.bytes(payloadSize, ''),
    MAX_ATTESTATION_PAYLOAD_SIZE,
  );
  r.expectEnd();
  return Object.freeze({ platformInfoBlob, mac, reserved, payloadTag, payload });
}

/** Encodes `sample_ra_att_result_msg_t` (145 + payload length bytes). */
export function encodeAttestationResult(msg: AttestationResultInit): Uint8Array {
  const payload = checkVarBytes(msg.payload, MAX_ATTESTATION_PAYLOAD_SIZE, 'attestationResult.payload');
  const reserved =
    msg.reserved === undefined
      ? new Uint8Array(ATTESTATION_RESULT_RESERVED_SIZE)
      : checkBytes(msg.reserved, ATTESTATION_RESULT_RESERVED_SIZE, 'attestationResult.reserved');
  return concatBytes(
    encodePlatformInfoBlob(msg.platformInfoBlob),
    checkBytes(msg.mac, SGX_MAC_SIZE, 'attestationResult.mac'),
    u32le(payload.length),
    reserved,
    checkBytes(msg.payloadTag, ATTESTATION_RESULT_TAG_SIZE, 'attestationResult.payloadTag'),
    payload,
  );
}
