/**
 * The identity facts of verified evidence, as hex strings: an SGX enclave's report body
 * ({@link EnclaveIdentity}) and a TD report ({@link TdIdentity}). Shared by the DCAP and IAS paths.
 *
 * @module
 */
import { toHex } from '../wire/hex.ts';
import type { SgxReportBody, TdReport } from '../wire/report.ts';
import type { EnclaveIdentity, TdIdentity } from './types.ts';

/** The {@link EnclaveIdentity} of an SGX report body (a quote's or an IAS report's), frozen. */
export function toEnclaveIdentity(b: SgxReportBody): EnclaveIdentity {
  return Object.freeze({
    mrEnclave: toHex(b.mrEnclave),
    mrSigner: toHex(b.mrSigner),
    isvProdId: b.isvProdId,
    isvSvn: b.isvSvn,
    attributes: toHex(b.attributes),
    debug: b.debug,
    miscSelect: b.miscSelect,
    cpuSvn: toHex(b.cpuSvn),
    isvExtProdId: toHex(b.isvExtProdId),
    isvFamilyId: toHex(b.isvFamilyId),
    configId: toHex(b.configId),
    configSvn: b.configSvn,
    reportData: toHex(b.reportData),
  });
}

/** The {@link TdIdentity} of a TD report (TDX 1.0 or 1.5), frozen. */
export function toTdIdentity(r: TdReport): TdIdentity {
  const base = {
    teeTcbSvn: toHex(r.teeTcbSvn),
    mrSeam: toHex(r.mrSeam),
    mrSignerSeam: toHex(r.mrSignerSeam),
    seamAttributes: toHex(r.seamAttributes),
    tdAttributes: toHex(r.tdAttributes),
    debug: r.debug,
    xfam: toHex(r.xfam),
    mrTd: toHex(r.mrTd),
    mrConfigId: toHex(r.mrConfigId),
    mrOwner: toHex(r.mrOwner),
    mrOwnerConfig: toHex(r.mrOwnerConfig),
    rtmr: Object.freeze([toHex(r.rtmr[0]), toHex(r.rtmr[1]), toHex(r.rtmr[2]), toHex(r.rtmr[3])] as const),
    reportData: toHex(r.reportData),
  };
  if (r.kind === 'td15') {
    return Object.freeze({ ...base, teeTcbSvn2: toHex(r.teeTcbSvn2), mrServiceTd: toHex(r.mrServiceTd) });
  }
  return Object.freeze(base);
}
