/**
 * Verified-evidence records for the policy tests (plain data in the shape of `verify/types.ts`).
 */
import type {
  EnclaveIdentity,
  TdIdentity,
  VerifiedIasReport,
  VerifiedQuote,
} from '../../src/verify/types.ts';

export const MR_ENCLAVE: string = 'aa'.repeat(32);
export const MR_SIGNER: string = 'bb'.repeat(32);
export const MR_TD: string = 'cc'.repeat(48);
export const RTMR: readonly [string, string, string, string] = [
  'd0'.repeat(48),
  'd1'.repeat(48),
  'd2'.repeat(48),
  'd3'.repeat(48),
];
export const MR_SEAM: string = 'ee'.repeat(48);
export const MR_SIGNER_SEAM: string = '00'.repeat(48);
export const NOW: Date = new Date('2025-07-19T10:00:00Z');

export const ENCLAVE: EnclaveIdentity = Object.freeze({
  mrEnclave: MR_ENCLAVE,
  mrSigner: MR_SIGNER,
  isvProdId: 7,
  isvSvn: 3,
  attributes: '05000000000000001f00000000000000',
  debug: false,
  miscSelect: 0,
  cpuSvn: '00'.repeat(16),
  isvExtProdId: '00'.repeat(16),
  isvFamilyId: '00'.repeat(16),
  configId: '00'.repeat(64),
  configSvn: 0,
  reportData: '11'.repeat(64),
});

export const TD: TdIdentity = Object.freeze({
  teeTcbSvn: '05010700000000000000000000000000',
  mrSeam: MR_SEAM,
  mrSignerSeam: MR_SIGNER_SEAM,
  seamAttributes: '00'.repeat(8),
  tdAttributes: '0000001000000000',
  debug: false,
  xfam: 'e718060000000000',
  mrTd: MR_TD,
  mrConfigId: '00'.repeat(48),
  mrOwner: '00'.repeat(48),
  mrOwnerConfig: '00'.repeat(48),
  rtmr: RTMR,
  reportData: '22'.repeat(64),
});

export function sgxQuote(over: Partial<VerifiedQuote> = {}): VerifiedQuote {
  return Object.freeze({
    kind: 'dcap',
    teeType: 'SGX',
    quoteVersion: 3,
    tcbStatus: 'UpToDate',
    platformTcbStatus: 'UpToDate',
    qeTcbStatus: 'UpToDate',
    advisoryIds: [],
    fmspc: '00A067110000',
    pceId: '0000',
    tcbDate: '2025-05-14T00:00:00Z',
    collateralIssuedAt: '2025-07-15T10:00:00Z',
    collateralExpiresAt: '2025-08-14T10:00:00Z',
    paddingBytes: 0,
    verifiedAt: NOW.toISOString(),
    enclave: ENCLAVE,
    steps: [],
    ...over,
  });
}

export function tdxQuote(over: Partial<VerifiedQuote> = {}): VerifiedQuote {
  const { enclave: _none, ...base } = sgxQuote();
  return Object.freeze({ ...base, teeType: 'TDX', quoteVersion: 4, td: TD, ...over });
}

export function epidReport(over: Partial<VerifiedIasReport> = {}): VerifiedIasReport {
  return Object.freeze({
    kind: 'epid',
    iasStatus: 'OK',
    tcbStatus: 'UpToDate',
    advisoryIds: [],
    reportId: '1',
    timestamp: '2025-07-19T09:00:00.000000Z',
    epidGroupId: 'c50b0000',
    enclave: ENCLAVE,
    steps: [],
    ...over,
  });
}
