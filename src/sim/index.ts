/**
 * `attestkit/sim`: a synthetic Intel-like PKI and collateral, a simulated quoting enclave, and
 * IAS/PCCS-compatible mocks. For development and tests only: its root is trusted solely when passed
 * to a verifier as a trust anchor.
 *
 * @module
 */
export {
  assembleCollateral,
  buildPcsResponses,
  buildQeIdentityJson,
  buildTcbInfoJson,
  formatIntelDate,
  type QeIdentityParams,
  type SignedDocument,
  type SimIdentityLevel,
  type SimPcsResponse,
  type SimPcsResponses,
  type SimTcbLevel,
  type SimTdxModuleIdentity,
  signCollateralText,
  type TcbInfoParams,
} from './collateral-gen.ts';
export {
  createIasMock,
  generateIasSigningIdentity,
  type IasMock,
  type IasMockOptions,
  type IasSigningIdentity,
  type IasSigningIdentityOptions,
  SIM_EPID_QUOTE_SIZE,
  SIM_EPID_SIGNATURE_SIZE,
  SIM_IAS_CA_NAME,
  SIM_IAS_SIGNER_NAME,
  signSimEpidQuote,
  verifySimEpidQuote,
} from './ias-mock.ts';
export {
  deriveBytes,
  deriveP256Key,
  privateKeyPem,
  type SimKey,
  seedBytes,
  signP256,
  signWith,
  simKeyFromPem,
  simKeyFromPrivate,
} from './keys.ts';
export {
  createSimulatedCrls,
  createSimulatedPki,
  derToPem,
  encodePckSgxExtension,
  type PckCaType,
  type PckPlatformInfo,
  SGX_EXTENSION_OID,
  SIM_CN,
  SIM_ROOT_CRL_URL,
  type SimCertificate,
  type SimulatedCrlOptions,
  type SimulatedCrls,
  type SimulatedPki,
  type SimulatedPkiOptions,
} from './pki.ts';
export {
  createSimulatedPlatform,
  type LoadSimulatedPlatformOptions,
  loadSimulatedPlatform,
  platformFromConfig,
  resolveSimulatedPlatformConfig,
  type SgxTdxPair,
  SIM_DEFAULTS,
  SIM_PLATFORM_FILES,
  type SimPlatformDefaults,
  type SimulatedPlatform,
  type SimulatedPlatformConfig,
  type SimulatedPlatformOptions,
  saveSimulatedPlatform,
} from './platform.ts';
export {
  createSimulatedQe,
  generateSgxQuote,
  generateTdxQuote,
  SIM_QE_ATTRIBUTES,
  SIM_QE_IDENTITY_ATTRIBUTES,
  SIM_QE_IDENTITY_ATTRIBUTES_MASK,
  SIM_QE_VENDOR_ID,
  type SimQeKind,
  type SimulatedQe,
  type SimulatedQeOptions,
  simQeMrSigner,
} from './qe.ts';
