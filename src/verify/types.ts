/**
 * The verified facts the verifiers produce and the policy appraises. This file is the contract
 * between `verify/`, `policy/`, `protocol/` and the CLI.
 *
 * All records are frozen plain data. Hex strings are lowercase, except `fmspc` (uppercase, as
 * Intel writes it). Times are ISO-8601 UTC strings.
 *
 * @module
 */

/** TCB statuses, as Intel's DCAP names them (DESIGN.md, "JSON output"). */
export type TcbStatus =
  | 'UpToDate'
  | 'SWHardeningNeeded'
  | 'ConfigurationNeeded'
  | 'ConfigurationAndSWHardeningNeeded'
  | 'OutOfDate'
  | 'OutOfDateConfigurationNeeded'
  | 'TDRelaunchAdvised'
  | 'TDRelaunchAdvisedConfigurationNeeded'
  | 'Revoked';

/** Every {@link TcbStatus}, in Intel's order. */
export const TCB_STATUSES: readonly TcbStatus[] = Object.freeze([
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'TDRelaunchAdvised',
  'TDRelaunchAdvisedConfigurationNeeded',
  'Revoked',
] as const);

/** The identity of an SGX enclave, from its report body. */
export interface EnclaveIdentity {
  readonly mrEnclave: string;
  readonly mrSigner: string;
  readonly isvProdId: number;
  readonly isvSvn: number;
  /** The 16-byte ATTRIBUTES (flags then xfrm, little-endian), hex. */
  readonly attributes: string;
  /** ATTRIBUTES.DEBUG (bit 1 of the flags). */
  readonly debug: boolean;
  readonly miscSelect: number;
  readonly cpuSvn: string;
  readonly isvExtProdId: string;
  readonly isvFamilyId: string;
  readonly configId: string;
  readonly configSvn: number;
  /** The 64-byte REPORTDATA, hex. */
  readonly reportData: string;
}

/** The identity of a TDX trust domain, from its TD report. */
export interface TdIdentity {
  readonly teeTcbSvn: string;
  readonly mrSeam: string;
  readonly mrSignerSeam: string;
  readonly seamAttributes: string;
  readonly tdAttributes: string;
  /** TDATTRIBUTES.DEBUG (bit 0). */
  readonly debug: boolean;
  readonly xfam: string;
  readonly mrTd: string;
  readonly mrConfigId: string;
  readonly mrOwner: string;
  readonly mrOwnerConfig: string;
  readonly rtmr: readonly [string, string, string, string];
  readonly reportData: string;
  /** TD report 1.5 only (quote v5, body type 3). */
  readonly teeTcbSvn2?: string;
  /** TD report 1.5 only. */
  readonly mrServiceTd?: string;
}

/** One check of a verification, in the order it ran. */
export interface VerificationStep {
  /** A stable short name, e.g. `quote.signature`, `pck.chain`, `tcb.level`. */
  readonly check: string;
  readonly ok: boolean;
  readonly detail?: string;
}

/** The facts a successful DCAP quote verification establishes. */
export interface VerifiedQuote {
  readonly kind: 'dcap';
  readonly teeType: 'SGX' | 'TDX';
  readonly quoteVersion: number;
  /** The final status: platform (and TDX module) TCB combined with the QE TCB. */
  readonly tcbStatus: TcbStatus;
  /** The status of the matching platform TCB level alone. */
  readonly platformTcbStatus: TcbStatus;
  readonly qeTcbStatus: TcbStatus;
  /** TDX only: the status of the matching TDX module identity level. */
  readonly tdxModuleTcbStatus?: TcbStatus;
  /** Sorted, de-duplicated advisory IDs from the platform, TDX module and QE levels. */
  readonly advisoryIds: readonly string[];
  /** Uppercase hex, as Intel writes it. */
  readonly fmspc: string;
  readonly pceId: string;
  /** The tcbDate of the matching platform TCB level. */
  readonly tcbDate: string;
  /** The earliest issueDate / thisUpdate among TCB info, QE identity and the CRLs. */
  readonly collateralIssuedAt: string;
  /** The earliest nextUpdate / notAfter among the collateral, the CRLs and the certificates used. */
  readonly collateralExpiresAt: string;
  /** Bytes of all-zero padding after the quote (0 when none). */
  readonly paddingBytes: number;
  /** The time the verdict was reached at. */
  readonly verifiedAt: string;
  readonly enclave?: EnclaveIdentity;
  readonly td?: TdIdentity;
  readonly steps: readonly VerificationStep[];
}

/** The facts a verified IAS attestation verification report establishes (the EPID path). */
export interface VerifiedIasReport {
  readonly kind: 'epid';
  /** The raw `isvEnclaveQuoteStatus`. */
  readonly iasStatus: string;
  /** The status mapped onto DCAP names (DESIGN.md); absent for statuses that are always refusals. */
  readonly tcbStatus?: TcbStatus;
  readonly advisoryIds: readonly string[];
  readonly reportId: string;
  readonly timestamp: string;
  readonly nonce?: string;
  /** Hex of the platformInfoBlob IAS returned, when it sent one. */
  readonly platformInfoBlob?: string;
  /** The EPID group id from the quote body, hex (4 bytes, little-endian as on the wire). */
  readonly epidGroupId: string;
  readonly enclave: EnclaveIdentity;
  readonly steps: readonly VerificationStep[];
}

/** What a quote verifier hands to the policy. */
export type VerifiedEvidence = VerifiedQuote | VerifiedIasReport;
