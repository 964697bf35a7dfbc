/**
 * The identity facts of verified evidence, as hex strings: an SGX enclave's report body
 * ({@link EnclaveIdentity}) and a TD report ({@link TdIdentity}). Shared by the DCAP and IAS paths.
 *
 * @module
 */
import { toHex } from '../wire/hex.ts';
import type { SgxReportBody, TdReport } from '../wire/report.ts';
import type { EnclaveIdentity, TdIdentity } from './types.ts';

/**
 * Lowercase hex of byte fields that share `first`'s `ArrayBuffer` (a parsed report's fields are
 * views into one private copy): one `Buffer` over that buffer serves them all, instead of one
 * wrapper per field. A field on another buffer goes through {@link toHex}.
 */
function hexOfFields(first: Uint8Array): (bytes: Uint8Array) => string {
  const buffer = first.buffer;
  const all = Buffer.from(buffer);
  return (bytes) =>
    bytes.buffer === buffer
      ? all.toString('hex', bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
      : toHex(bytes);
}

/** The {@link EnclaveIdentity} of an SGX report body (a quote's or an IAS report's), frozen. */
export function toEnclaveIdentity(b: SgxReportBody): EnclaveIdentity {
  const hex = hexOfFields(b.mrEnclave);
  return Object.freeze({
    mrEnclave: hex(b.mrEnclave),
    mrSigner: hex(b.mrSigner),
    isvProdId: b.isvProdId,
    isvSvn: b.isvSvn,
    attributes: hex(b.attributes),
    debug: b.debug,
    miscSelect: b.miscSelect,
    cpuSvn: hex(b.cpuSvn),
    isvExtProdId: hex(b.isvExtProdId),
    isvFamilyId: hex(b.isvFamilyId),
    configId: hex(b.configId),
    configSvn: b.configSvn,
    reportData: hex(b.reportData),
  });
}

/** The {@link TdIdentity} of a TD report (TDX 1.0 or 1.5), frozen. */
export function toTdIdentity(r: TdReport): TdIdentity {
  const hex = hexOfFields(r.mrTd);
  const base = {
    teeTcbSvn: hex(r.teeTcbSvn),
    mrSeam: hex(r.mrSeam),
    mrSignerSeam: hex(r.mrSignerSeam),
    seamAttributes: hex(r.seamAttributes),
    tdAttributes: hex(r.tdAttributes),
    debug: r.debug,
    xfam: hex(r.xfam),
    mrTd: hex(r.mrTd),
    mrConfigId: hex(r.mrConfigId),
    mrOwner: hex(r.mrOwner),
    mrOwnerConfig: hex(r.mrOwnerConfig),
    rtmr: Object.freeze([hex(r.rtmr[0]), hex(r.rtmr[1]), hex(r.rtmr[2]), hex(r.rtmr[3])] as const),
    reportData: hex(r.reportData),
  };
  if (r.kind === 'td15') {
    return Object.freeze({ ...base, teeTcbSvn2: hex(r.teeTcbSvn2), mrServiceTd: hex(r.mrServiceTd) });
  }
  return Object.freeze(base);
}
