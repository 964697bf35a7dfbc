/**
 * attestkit: remote attestation for Intel SGX and TDX.
 *
 * The root entry re-exports the common entry points: parse, verify and appraise a quote; the
 * seed's RA protocol on both sides; the simulated enclave and platform. Each layer has its own
 * subpath with everything else (`attestkit/wire`, `attestkit/verify`, `attestkit/protocol`, ...).
 *
 * @module
 */
export { PcsClient, parseCollateralJson, writeCollateralJson } from './collateral/index.ts';
export { type Enclave, SimulatedEnclave } from './enclave/index.ts';
export {
  AttestError,
  ConfigError,
  CryptoError,
  ERROR_CODES,
  type ErrorCode,
  isAttestError,
  NetworkError,
  ParseError,
  PolicyError,
  ProtocolError,
  VerificationError,
} from './errors.ts';
export { appraise, createEar, type Policy, parsePolicy, type Verdict, verifyEar } from './policy/index.ts';
export { Application, ServiceProvider } from './protocol/index.ts';
export { createSimulatedPlatform, loadSimulatedPlatform, saveSimulatedPlatform } from './sim/index.ts';
export {
  inspectQuote,
  type VerifiedEvidence,
  type VerifiedIasReport,
  type VerifiedQuote,
  verifyIasReport,
  verifyQuote,
} from './verify/index.ts';
export { parseQuote, type Quote } from './wire/index.ts';
