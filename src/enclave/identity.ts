/**
 * The simulated enclave's identity, turned into an `sgx_report_body_t` (PROTOCOL-SEED.md §5.4).
 *
 * @module
 */
import { sha256 } from '../crypto/hash.ts';
import { fromHex, toHex } from '../wire/hex.ts';
import { encodeReportBody } from '../wire/report.ts';
import type { SimulatedIdentity } from './types.ts';

/** ATTRIBUTES.FLAGS.INIT (bit 0). */
const FLAG_INIT = 0x01;
/** ATTRIBUTES.FLAGS.DEBUG (bit 1). */
const FLAG_DEBUG = 0x02;
/** ATTRIBUTES.FLAGS.MODE64BIT (bit 2). */
const FLAG_MODE64BIT = 0x04;
/** XFRM x87 | SSE. */
const DEFAULT_XFRM = 0x03;
/** Offset of XFRM inside the 16-byte ATTRIBUTES. */
const XFRM_OFFSET = 8;

/** The default MRENCLAVE of the simulated enclave: SHA-256(`attestkit simulated enclave`). */
export const SIM_DEFAULT_MR_ENCLAVE: string = toHex(
  sha256(new TextEncoder().encode('attestkit simulated enclave')),
);
/** The default MRSIGNER of the simulated enclave: SHA-256(`attestkit simulated signer`). */
export const SIM_DEFAULT_MR_SIGNER: string = toHex(
  sha256(new TextEncoder().encode('attestkit simulated signer')),
);

/** A {@link SimulatedIdentity} with every field resolved to bytes. */
export interface ResolvedIdentity {
  readonly mrEnclave: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly attributes: Uint8Array;
  readonly cpuSvn: Uint8Array;
  readonly miscSelect: number;
  readonly isvExtProdId: Uint8Array;
  readonly isvFamilyId: Uint8Array;
  readonly configId: Uint8Array;
  readonly configSvn: number;
}

function bytesOf(value: Uint8Array | string | undefined, size: number, field: string): Uint8Array {
  if (value === undefined) return new Uint8Array(size);
  if (typeof value === 'string') return fromHex(value, field, size);
  if (!(value instanceof Uint8Array)) throw new TypeError(`${field} must be bytes or hex`);
  if (value.length !== size) throw new RangeError(`${field} must be ${size} bytes, got ${value.length}`);
  return value.slice();
}

function u16(value: number | undefined, field: string): number {
  const v = value ?? 0;
  if (!Number.isInteger(v) || v < 0 || v > 0xffff)
    throw new RangeError(`${field} must be an integer in 0..65535`);
  return v;
}

/**
 * Resolves an identity with its defaults (see {@link SimulatedIdentity}). Throws `ERR_HEX_INVALID`
 * for bad hex and `RangeError` for wrong sizes.
 */
export function resolveIdentity(identity: SimulatedIdentity = {}): ResolvedIdentity {
  let attributes: Uint8Array;
  if (identity.attributes === undefined) {
    attributes = new Uint8Array(16);
    attributes[0] = FLAG_INIT | FLAG_MODE64BIT;
    attributes[XFRM_OFFSET] = DEFAULT_XFRM;
  } else {
    attributes = bytesOf(identity.attributes, 16, 'attributes');
  }
  if (identity.debug === true) attributes[0] = attributes[0]! | FLAG_DEBUG;
  const miscSelect = identity.miscSelect ?? 0;
  if (!Number.isInteger(miscSelect) || miscSelect < 0 || miscSelect > 0xffffffff) {
    throw new RangeError('miscSelect must be a u32');
  }
  return Object.freeze({
    mrEnclave: bytesOf(identity.mrEnclave ?? SIM_DEFAULT_MR_ENCLAVE, 32, 'mrEnclave'),
    mrSigner: bytesOf(identity.mrSigner ?? SIM_DEFAULT_MR_SIGNER, 32, 'mrSigner'),
    isvProdId: u16(identity.isvProdId, 'isvProdId'),
    isvSvn: u16(identity.isvSvn, 'isvSvn'),
    attributes,
    cpuSvn: bytesOf(identity.cpuSvn, 16, 'cpuSvn'),
    miscSelect,
    isvExtProdId: bytesOf(identity.isvExtProdId, 16, 'isvExtProdId'),
    isvFamilyId: bytesOf(identity.isvFamilyId, 16, 'isvFamilyId'),
    configId: bytesOf(identity.configId, 64, 'configId'),
    configSvn: u16(identity.configSvn, 'configSvn'),
  });
}

/** The 384-byte report body the simulated enclave would get from EREPORT, with `reportData`. */
export function simulatedReportBody(identity: ResolvedIdentity, reportData: Uint8Array): Uint8Array {
  return encodeReportBody({
    cpuSvn: identity.cpuSvn,
    miscSelect: identity.miscSelect,
    isvExtProdId: identity.isvExtProdId,
    attributes: identity.attributes,
    mrEnclave: identity.mrEnclave,
    mrSigner: identity.mrSigner,
    configId: identity.configId,
    isvProdId: identity.isvProdId,
    isvSvn: identity.isvSvn,
    configSvn: identity.configSvn,
    isvFamilyId: identity.isvFamilyId,
    reportData,
  });
}
