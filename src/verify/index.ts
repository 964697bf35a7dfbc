/**
 * `attestkit/verify`: DCAP quote verification (quote + collateral + time → verified facts), IAS
 * attestation verification report verification (the EPID path), and the result contract shared
 * with `policy/`, `protocol/` and the CLI.
 *
 * @module
 */

export {
  DEFAULT_VERIFIER_CACHE,
  LruMap,
  type ParsedCrls,
  type VerifiedSignedDocument,
  VerifierCache,
  type VerifierCacheOptions,
} from './cache.ts';
export {
  inspectQuote,
  type QuoteFacts,
  type QuoteInspection,
  type TrustAnchor,
  type VerifyQuoteOptions,
  verifyQuote,
} from './dcap.ts';
export {
  IAS_QUOTE_BODY_SIZE,
  IAS_QUOTE_STATUSES,
  type IasReportInput,
  mapIasQuoteStatus,
  type VerifyIasReportOptions,
  verifyIasReport,
} from './ias.ts';
export { toEnclaveIdentity, toTdIdentity } from './identity.ts';
export {
  checkTdxModule,
  convergeTcbStatus,
  matchQeIdentity,
  matchTcbInfoPlatform,
  mergeAdvisoryIds,
  type PlatformTcb,
  type QeReportFields,
  selectTcbLevel,
  type TdModuleFields,
  type TdxModuleResult,
} from './tcb.ts';
export {
  type EnclaveIdentity,
  TCB_STATUSES,
  type TcbStatus,
  type TdIdentity,
  type VerificationStep,
  type VerifiedEvidence,
  type VerifiedIasReport,
  type VerifiedQuote,
} from './types.ts';
