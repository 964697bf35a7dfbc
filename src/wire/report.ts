/**
 * SGX report bodies (`sgx_report_body_t`) and TDX TD reports (TD report 1.0 and 1.5), as they appear
 * in quotes: parse and encode.
 *
 * Layouts: PROTOCOL-SEED.md §5.4 (the current SDK layout of `sgx_report_body_t`) and
 * DCAP-VERIFICATION.md §1.1 (the enclave report body, TD report 1.0 and 1.5). All integers are
 * little-endian. Reserved fields are kept, so `encode(parse(x))` gives `x` back byte for byte.
 *
 * @module
 */
import { ByteReader } from './reader.ts';

// ---- sgx_report_body_t (PROTOCOL-SEED.md §5.4, "SDK HEAD" column) ----

/** Size of `sgx_report_body_t`. */
export const REPORT_BODY_SIZE = 384;
/** Offset of `cpu_svn` (16 bytes). */
export const REPORT_BODY_CPU_SVN_OFFSET = 0;
/** Offset of `misc_select` (u32). */
export const REPORT_BODY_MISC_SELECT_OFFSET = 16;
/** Offset of `reserved1` (12 bytes). */
export const REPORT_BODY_RESERVED1_OFFSET = 20;
/** Offset of `isv_ext_prod_id` (16 bytes). */
export const REPORT_BODY_ISV_EXT_PROD_ID_OFFSET = 32;
/** Offset of `attributes` (16 bytes: flags u64, xfrm u64). */
export const REPORT_BODY_ATTRIBUTES_OFFSET = 48;
/** Offset of `mr_enclave` (32 bytes). */
export const REPORT_BODY_MR_ENCLAVE_OFFSET = 64;
/** Offset of `reserved2` (32 bytes). */
export const REPORT_BODY_RESERVED2_OFFSET = 96;
/** Offset of `mr_signer` (32 bytes). */
export const REPORT_BODY_MR_SIGNER_OFFSET = 128;
/** Offset of `reserved3` (32 bytes). */
export const REPORT_BODY_RESERVED3_OFFSET = 160;
/** Offset of `config_id` (64 bytes). */
export const REPORT_BODY_CONFIG_ID_OFFSET = 192;
/** Offset of `isv_prod_id` (u16). */
export const REPORT_BODY_ISV_PROD_ID_OFFSET = 256;
/** Offset of `isv_svn` (u16). */
export const REPORT_BODY_ISV_SVN_OFFSET = 258;
/** Offset of `config_svn` (u16). */
export const REPORT_BODY_CONFIG_SVN_OFFSET = 260;
/** Offset of `reserved4` (42 bytes). */
export const REPORT_BODY_RESERVED4_OFFSET = 262;
/** Offset of `isv_family_id` (16 bytes). */
export const REPORT_BODY_ISV_FAMILY_ID_OFFSET = 304;
/** Offset of `report_data` (64 bytes). */
export const REPORT_BODY_REPORT_DATA_OFFSET = 320;

/** ATTRIBUTES.FLAGS bit 1: the enclave is a debug enclave (PROTOCOL-SEED.md §5.4). */
export const SGX_FLAGS_DEBUG = 0x2n;

// ---- TD report 1.0 / 1.5 (DCAP-VERIFICATION.md §1.1) ----

/** Size of a TD report 1.0 (quote v4, v5 body type 2). */
export const TD_REPORT10_SIZE = 584;
/** Size of a TD report 1.5 (quote v5 body type 3). */
export const TD_REPORT15_SIZE = 648;
/** Offset of `tee_tcb_svn` (16 bytes). */
export const TD_REPORT_TEE_TCB_SVN_OFFSET = 0;
/** Offset of `mr_seam` (48 bytes). */
export const TD_REPORT_MR_SEAM_OFFSET = 16;
/** Offset of `mr_signer_seam` (48 bytes). */
export const TD_REPORT_MR_SIGNER_SEAM_OFFSET = 64;
/** Offset of `seam_attributes` (8 bytes). */
export const TD_REPORT_SEAM_ATTRIBUTES_OFFSET = 112;
/** Offset of `td_attributes` (8 bytes). */
export const TD_REPORT_TD_ATTRIBUTES_OFFSET = 120;
/** Offset of `xfam` (8 bytes). */
export const TD_REPORT_XFAM_OFFSET = 128;
/** Offset of `mr_td` (48 bytes). */
export const TD_REPORT_MR_TD_OFFSET = 136;
/** Offset of `mr_config_id` (48 bytes). */
export const TD_REPORT_MR_CONFIG_ID_OFFSET = 184;
/** Offset of `mr_owner` (48 bytes). */
export const TD_REPORT_MR_OWNER_OFFSET = 232;
/** Offset of `mr_owner_config` (48 bytes). */
export const TD_REPORT_MR_OWNER_CONFIG_OFFSET = 280;
/** Offset of `rtmr0` (then `rtmr1..3`, 48 bytes each). */
export const TD_REPORT_RTMR_OFFSET = 328;
/** Offset of `report_data` (64 bytes). */
export const TD_REPORT_REPORT_DATA_OFFSET = 520;
/** TD report 1.5 only: offset of `tee_tcb_svn2` (16 bytes). */
export const TD_REPORT_TEE_TCB_SVN2_OFFSET = 584;
/** TD report 1.5 only: offset of `mr_servicetd` (48 bytes). */
export const TD_REPORT_MR_SERVICE_TD_OFFSET = 600;

/** TDATTRIBUTES bit 0: the TD is a debug TD. */
export const TD_ATTRIBUTES_DEBUG = 0x1n;
/** TDATTRIBUTES bit 28: SEPT_VE_DISABLE. */
export const TD_ATTRIBUTES_SEPT_VE_DISABLE = 0x1000_0000n;

/**
 * A parsed `sgx_report_body_t`. Byte fields never alias the caller's input (see `reader.ts`);
 * integers are decoded little-endian.
 */
export interface SgxReportBody {
  readonly kind: 'sgx';
  readonly cpuSvn: Uint8Array;
  readonly miscSelect: number;
  readonly reserved1: Uint8Array;
  readonly isvExtProdId: Uint8Array;
  /** The 16 raw ATTRIBUTES bytes (flags u64 ‖ xfrm u64, little-endian). {@link encodeReportBody} writes these. */
  readonly attributes: Uint8Array;
  /** ATTRIBUTES.FLAGS, decoded from {@link SgxReportBody.attributes}. */
  readonly attributesFlags: bigint;
  /** ATTRIBUTES.XFRM, decoded from {@link SgxReportBody.attributes}. */
  readonly attributesXfrm: bigint;
  /** ATTRIBUTES.FLAGS.DEBUG (bit 1). */
  readonly debug: boolean;
  readonly mrEnclave: Uint8Array;
  readonly reserved2: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly reserved3: Uint8Array;
  readonly configId: Uint8Array;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly configSvn: number;
  readonly reserved4: Uint8Array;
  readonly isvFamilyId: Uint8Array;
  readonly reportData: Uint8Array;
}

/** The fields of a TD report 1.0 (shared by 1.5). */
interface TdReportFields {
  /** `tee_tcb_svn`: byte 0 = TDX module ISVSVN, byte 1 = module major version. */
  readonly teeTcbSvn: Uint8Array;
  readonly mrSeam: Uint8Array;
  readonly mrSignerSeam: Uint8Array;
  readonly seamAttributes: Uint8Array;
  /** The 8 raw TDATTRIBUTES bytes. {@link encodeTdReport} writes these. */
  readonly tdAttributes: Uint8Array;
  /** TDATTRIBUTES as a little-endian u64, decoded from {@link TdReportFields.tdAttributes}. */
  readonly tdAttributesFlags: bigint;
  /** TDATTRIBUTES.DEBUG (bit 0). */
  readonly debug: boolean;
  /** TDATTRIBUTES.SEPT_VE_DISABLE (bit 28). */
  readonly septVeDisable: boolean;
  readonly xfam: Uint8Array;
  readonly mrTd: Uint8Array;
  readonly mrConfigId: Uint8Array;
  readonly mrOwner: Uint8Array;
  readonly mrOwnerConfig: Uint8Array;
  readonly rtmr: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  readonly reportData: Uint8Array;
}

/** A parsed TD report 1.0 (584 bytes). */
export interface TdReport10 extends TdReportFields {
  readonly kind: 'td10';
}

/** A parsed TD report 1.5 (648 bytes): TD report 1.0 plus `tee_tcb_svn2` and `mr_servicetd`. */
export interface TdReport15 extends TdReportFields {
  readonly kind: 'td15';
  readonly teeTcbSvn2: Uint8Array;
  readonly mrServiceTd: Uint8Array;
}

/** Either TD report version. */
export type TdReport = TdReport10 | TdReport15;

/** Any body a quote can carry. */
export type QuoteBody = SgxReportBody | TdReport10 | TdReport15;

/** Which body a quote carries: an SGX report body, a TD report 1.0 or a TD report 1.5. */
export type QuoteBodyKind = QuoteBody['kind'];

/** Input to {@link encodeReportBody}: every field defaults to zero; a parsed body is accepted as is. */
export interface ReportBodyInit {
  readonly cpuSvn?: Uint8Array;
  readonly miscSelect?: number;
  readonly reserved1?: Uint8Array;
  readonly isvExtProdId?: Uint8Array;
  readonly attributes?: Uint8Array;
  readonly mrEnclave?: Uint8Array;
  readonly reserved2?: Uint8Array;
  readonly mrSigner?: Uint8Array;
  readonly reserved3?: Uint8Array;
  readonly configId?: Uint8Array;
  readonly isvProdId?: number;
  readonly isvSvn?: number;
  readonly configSvn?: number;
  readonly reserved4?: Uint8Array;
  readonly isvFamilyId?: Uint8Array;
  readonly reportData?: Uint8Array;
}

/**
 * Input to {@link encodeTdReport}: every field defaults to zero; `kind` picks 1.0 (584 bytes) or
 * 1.5 (648 bytes). A parsed TD report is accepted as is.
 */
export interface TdReportInit {
  readonly kind: 'td10' | 'td15';
  readonly teeTcbSvn?: Uint8Array;
  readonly mrSeam?: Uint8Array;
  readonly mrSignerSeam?: Uint8Array;
  readonly seamAttributes?: Uint8Array;
  readonly tdAttributes?: Uint8Array;
  readonly xfam?: Uint8Array;
  readonly mrTd?: Uint8Array;
  readonly mrConfigId?: Uint8Array;
  readonly mrOwner?: Uint8Array;
  readonly mrOwnerConfig?: Uint8Array;
  readonly rtmr?: readonly Uint8Array[];
  readonly reportData?: Uint8Array;
  readonly teeTcbSvn2?: Uint8Array;
  readonly mrServiceTd?: Uint8Array;
}

/** The little-endian u64 at `bytes[at, at + 8)`. */
function u64le(bytes: Uint8Array, at: number): bigint {
  const lo = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  const hi = (bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24)) >>> 0;
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * Reads a 384-byte `sgx_report_body_t` from `r` (PROTOCOL-SEED.md §5.4). Throws `ERR_WIRE_TRUNCATED`
 * when fewer than 384 bytes remain.
 */
export function readReportBody(r: ByteReader): SgxReportBody {
  const cpuSvn = r.bytes(16, 'cpuSvn');
  const miscSelect = r.u32le('miscSelect');
  const reserved1 = r.bytes(12, 'reserved1');
  const isvExtProdId = r.bytes(16, 'isvExtProdId');
  const attributes = r.bytes(16, 'attributes');
  const mrEnclave = r.bytes(32, 'mrEnclave');
  const reserved2 = r.bytes(32, 'reserved2');
  const mrSigner = r.bytes(32, 'mrSigner');
  const reserved3 = r.bytes(32, 'reserved3');
  const configId = r.bytes(64, 'configId');
  const isvProdId = r.u16le('isvProdId');
  const isvSvn = r.u16le('isvSvn');
  const configSvn = r.u16le('configSvn');
  const reserved4 = r.bytes(42, 'reserved4');
  const isvFamilyId = r.bytes(16, 'isvFamilyId');
  const reportData = r.bytes(64, 'reportData');
  const attributesFlags = u64le(attributes, 0);
  return Object.freeze({
    kind: 'sgx',
    cpuSvn,
    miscSelect,
    reserved1,
    isvExtProdId,
    attributes,
    attributesFlags,
    attributesXfrm: u64le(attributes, 8),
    // PROTOCOL-SEED.md §5.4: ATTRIBUTES.FLAGS bit 1 = DEBUG.
    debug: (attributesFlags & SGX_FLAGS_DEBUG) !== 0n,
    mrEnclave,
    reserved2,
    mrSigner,
    reserved3,
    configId,
    isvProdId,
    isvSvn,
    configSvn,
    reserved4,
    isvFamilyId,
    reportData,
  });
}

/**
 * Parses exactly 384 bytes as an `sgx_report_body_t`. Throws `ERR_WIRE_TRUNCATED` if shorter and
 * `ERR_WIRE_TRAILING_BYTES` if longer.
 */
export function parseReportBody(bytes: Uint8Array, path = 'reportBody'): SgxReportBody {
  const r = ByteReader.copyOf(bytes, path);
  const body = readReportBody(r);
  r.expectEnd();
  return body;
}

function readTdFields(r: ByteReader): TdReportFields {
  const teeTcbSvn = r.bytes(16, 'teeTcbSvn');
  const mrSeam = r.bytes(48, 'mrSeam');
  const mrSignerSeam = r.bytes(48, 'mrSignerSeam');
  const seamAttributes = r.bytes(8, 'seamAttributes');
  const tdAttributes = r.bytes(8, 'tdAttributes');
  const xfam = r.bytes(8, 'xfam');
  const mrTd = r.bytes(48, 'mrTd');
  const mrConfigId = r.bytes(48, 'mrConfigId');
  const mrOwner = r.bytes(48, 'mrOwner');
  const mrOwnerConfig = r.bytes(48, 'mrOwnerConfig');
  const rtmr = Object.freeze([
    r.bytes(48, 'rtmr0'),
    r.bytes(48, 'rtmr1'),
    r.bytes(48, 'rtmr2'),
    r.bytes(48, 'rtmr3'),
  ] as const);
  const reportData = r.bytes(64, 'reportData');
  const tdAttributesFlags = u64le(tdAttributes, 0);
  return {
    teeTcbSvn,
    mrSeam,
    mrSignerSeam,
    seamAttributes,
    tdAttributes,
    tdAttributesFlags,
    // TDATTRIBUTES bit 0 = DEBUG, bit 28 = SEPT_VE_DISABLE (DCAP-VERIFICATION.md §9.3).
    debug: (tdAttributesFlags & TD_ATTRIBUTES_DEBUG) !== 0n,
    septVeDisable: (tdAttributesFlags & TD_ATTRIBUTES_SEPT_VE_DISABLE) !== 0n,
    xfam,
    mrTd,
    mrConfigId,
    mrOwner,
    mrOwnerConfig,
    rtmr,
    reportData,
  };
}

/** Reads a 584-byte TD report 1.0 from `r` (DCAP-VERIFICATION.md §1.1). */
export function readTdReport10(r: ByteReader): TdReport10 {
  return Object.freeze({ kind: 'td10', ...readTdFields(r) });
}

/** Reads a 648-byte TD report 1.5 from `r` (DCAP-VERIFICATION.md §1.1). */
export function readTdReport15(r: ByteReader): TdReport15 {
  const fields = readTdFields(r);
  const teeTcbSvn2 = r.bytes(16, 'teeTcbSvn2');
  const mrServiceTd = r.bytes(48, 'mrServiceTd');
  return Object.freeze({ kind: 'td15', ...fields, teeTcbSvn2, mrServiceTd });
}

/**
 * Parses a TD report: 584 bytes as a TD report 1.0, anything else as a TD report 1.5 (which must then
 * be exactly 648 bytes: `ERR_WIRE_TRUNCATED` if shorter, `ERR_WIRE_TRAILING_BYTES` if longer).
 */
export function parseTdReport(bytes: Uint8Array, path = 'tdReport'): TdReport {
  const r = ByteReader.copyOf(bytes, path);
  const report = bytes.length === TD_REPORT10_SIZE ? readTdReport10(r) : readTdReport15(r);
  r.expectEnd();
  return report;
}

function put(out: Uint8Array, at: number, size: number, value: Uint8Array | undefined, name: string): void {
  if (value === undefined) return;
  if (!(value instanceof Uint8Array) || value.length !== size)
    throw new RangeError(`${name} must be a Uint8Array of ${size} bytes`);
  out.set(value, at);
}

function putU16(view: DataView, at: number, value: number | undefined, name: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0 || value > 0xffff)
    throw new RangeError(`${name} must be an integer in 0..65535`);
  view.setUint16(at, value, true);
}

/** Encodes an `sgx_report_body_t` (384 bytes); absent fields are zero. Wrong sizes throw `RangeError`. */
export function encodeReportBody(body: ReportBodyInit): Uint8Array {
  const out = new Uint8Array(REPORT_BODY_SIZE);
  const view = new DataView(out.buffer);
  put(out, REPORT_BODY_CPU_SVN_OFFSET, 16, body.cpuSvn, 'cpuSvn');
  if (body.miscSelect !== undefined) {
    if (!Number.isInteger(body.miscSelect) || body.miscSelect < 0 || body.miscSelect > 0xffffffff)
      throw new RangeError('miscSelect must be a u32');
    view.setUint32(REPORT_BODY_MISC_SELECT_OFFSET, body.miscSelect, true);
  }
  put(out, REPORT_BODY_RESERVED1_OFFSET, 12, body.reserved1, 'reserved1');
  put(out, REPORT_BODY_ISV_EXT_PROD_ID_OFFSET, 16, body.isvExtProdId, 'isvExtProdId');
  put(out, REPORT_BODY_ATTRIBUTES_OFFSET, 16, body.attributes, 'attributes');
  put(out, REPORT_BODY_MR_ENCLAVE_OFFSET, 32, body.mrEnclave, 'mrEnclave');
  put(out, REPORT_BODY_RESERVED2_OFFSET, 32, body.reserved2, 'reserved2');
  put(out, REPORT_BODY_MR_SIGNER_OFFSET, 32, body.mrSigner, 'mrSigner');
  put(out, REPORT_BODY_RESERVED3_OFFSET, 32, body.reserved3, 'reserved3');
  put(out, REPORT_BODY_CONFIG_ID_OFFSET, 64, body.configId, 'configId');
  putU16(view, REPORT_BODY_ISV_PROD_ID_OFFSET, body.isvProdId, 'isvProdId');
  putU16(view, REPORT_BODY_ISV_SVN_OFFSET, body.isvSvn, 'isvSvn');
  putU16(view, REPORT_BODY_CONFIG_SVN_OFFSET, body.configSvn, 'configSvn');
  put(out, REPORT_BODY_RESERVED4_OFFSET, 42, body.reserved4, 'reserved4');
  put(out, REPORT_BODY_ISV_FAMILY_ID_OFFSET, 16, body.isvFamilyId, 'isvFamilyId');
  put(out, REPORT_BODY_REPORT_DATA_OFFSET, 64, body.reportData, 'reportData');
  return out;
}

/**
 * Encodes a TD report 1.0 (584 bytes) or 1.5 (648 bytes) by `report.kind`; absent fields are zero.
 * Wrong sizes throw `RangeError`.
 */
export function encodeTdReport(report: TdReportInit): Uint8Array {
  if (report.kind !== 'td10' && report.kind !== 'td15') throw new RangeError("kind must be 'td10' or 'td15'");
  const out = new Uint8Array(report.kind === 'td10' ? TD_REPORT10_SIZE : TD_REPORT15_SIZE);
  put(out, TD_REPORT_TEE_TCB_SVN_OFFSET, 16, report.teeTcbSvn, 'teeTcbSvn');
  put(out, TD_REPORT_MR_SEAM_OFFSET, 48, report.mrSeam, 'mrSeam');
  put(out, TD_REPORT_MR_SIGNER_SEAM_OFFSET, 48, report.mrSignerSeam, 'mrSignerSeam');
  put(out, TD_REPORT_SEAM_ATTRIBUTES_OFFSET, 8, report.seamAttributes, 'seamAttributes');
  put(out, TD_REPORT_TD_ATTRIBUTES_OFFSET, 8, report.tdAttributes, 'tdAttributes');
  put(out, TD_REPORT_XFAM_OFFSET, 8, report.xfam, 'xfam');
  put(out, TD_REPORT_MR_TD_OFFSET, 48, report.mrTd, 'mrTd');
  put(out, TD_REPORT_MR_CONFIG_ID_OFFSET, 48, report.mrConfigId, 'mrConfigId');
  put(out, TD_REPORT_MR_OWNER_OFFSET, 48, report.mrOwner, 'mrOwner');
  put(out, TD_REPORT_MR_OWNER_CONFIG_OFFSET, 48, report.mrOwnerConfig, 'mrOwnerConfig');
  if (report.rtmr !== undefined) {
    if (report.rtmr.length !== 4) throw new RangeError('rtmr must hold 4 entries');
    report.rtmr.forEach((m, i) => {
      put(out, TD_REPORT_RTMR_OFFSET + 48 * i, 48, m, `rtmr${i}`);
    });
  }
  put(out, TD_REPORT_REPORT_DATA_OFFSET, 64, report.reportData, 'reportData');
  if (report.kind === 'td15') {
    put(out, TD_REPORT_TEE_TCB_SVN2_OFFSET, 16, report.teeTcbSvn2, 'teeTcbSvn2');
    put(out, TD_REPORT_MR_SERVICE_TD_OFFSET, 48, report.mrServiceTd, 'mrServiceTd');
  }
  return out;
}
