/**
 * `attestkit/collateral`: the DCAP collateral data model (the dcap-qvl `QuoteCollateralV3` JSON
 * interchange, TCB info v2/v3, QE identity v2), an Intel PCS / PCCS v4 client, and an expiring
 * cache.
 *
 * @module
 */

export { ExpiringCache, type ExpiringCacheOptions } from './cache.ts';
export {
  type Collateral,
  type CollateralInit,
  createCollateral,
  parseCollateralJson,
  type SignedCollateralBody,
  splitSignedBody,
  writeCollateralJson,
} from './collateral.ts';
export {
  formatEpidGroupId,
  IAS_BASE_URLS,
  type IasApiVersion,
  IasClient,
  type IasClientOptions,
  type IasHttpRequest,
  type IasHttpResponse,
  type IasReportRequestOptions,
  type IasReportResponse,
  type IasTransport,
  nodeHttpTransport,
} from './ias-client.ts';
export {
  type CollateralSource,
  type FetchLike,
  INTEL_PCS_BASE_URL,
  INTEL_ROOT_CA_CRL_URL,
  type PckCrlResponse,
  PcsClient,
  type PcsClientOptions,
  type SignedCollateralResponse,
} from './pcs-client.ts';
export { type EnclaveIdentityId, parseQeIdentity, type QeIdentity } from './qe-identity.ts';
export { type CollateralTarget, collateralTargetOf, type PckCaType } from './target.ts';
export {
  IDENTITY_LEVEL_STATUSES,
  type IdentityLevelStatus,
  type IdentityTcbLevel,
  parseTcbInfo,
  TCB_LEVEL_STATUSES,
  type TcbComponent,
  type TcbInfo,
  type TcbLevel,
  type TcbLevelStatus,
  type TdxModule,
  type TdxModuleIdentity,
  type TeeKind,
} from './tcb-info.ts';
