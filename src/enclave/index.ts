/**
 * `attestkit/enclave`: the trusted boundary of the Application. The {@link Enclave} interface, the
 * RA core every backend shares, the simulated enclave (worker thread; EPID or DCAP quotes), and the
 * real backends for Gramine-SGX and TDX (configfs-tsm).
 *
 * @module
 */
export { DEFAULT_MAX_SESSIONS, RaCore, type RaCoreOptions } from './core.ts';
export { SimulatedDcapQuoteProvider } from './dcap-sim.ts';
export {
  SIM_EPID_GROUP_ID,
  SIM_EPID_QUOTE_SIZE,
  SIM_EPID_SIGNATURE_LEN,
  type SimulatedEpidOptions,
  SimulatedEpidQuoteProvider,
} from './epid-sim.ts';
export { nodeFsAdapter } from './fs.ts';
export {
  GRAMINE_ATTESTATION_DIR,
  GramineEnclave,
  type GramineEnclaveOptions,
  type GramineOptions,
  GramineQuoteProvider,
} from './gramine.ts';
export {
  type ResolvedIdentity,
  resolveIdentity,
  SIM_DEFAULT_MR_ENCLAVE,
  SIM_DEFAULT_MR_SIGNER,
  simulatedReportBody,
} from './identity.ts';
export { LocalEnclave, type LocalEnclaveOptions } from './local.ts';
export type { SimulatedEnclaveConfig, SimulatedEnclaveInfo } from './sim-host.ts';
export { SimulatedEnclave, type SimulatedEnclaveOptions } from './simulated.ts';
export {
  TSM_REPORT_DIR,
  TsmEnclave,
  type TsmEnclaveOptions,
  type TsmOptions,
  TsmQuoteProvider,
} from './tsm.ts';
export type {
  Enclave,
  EnclaveSession,
  FsAdapter,
  QuoteProvider,
  QuoteRequest,
  SimulatedIdentity,
  WarnFn,
} from './types.ts';
