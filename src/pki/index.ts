/**
 * `attestkit/pki`: a strict DER reader, PEM helpers, X.509 certificates and chains (node's
 * `X509Certificate` for the signatures), CRLs, the SGX PCK extension, and the embedded Intel roots.
 *
 * The verification entry points take the time and the trust anchors as parameters and fail closed:
 * a missing CRL is `ERR_PKI_CRL_MISSING`, never "nothing revoked".
 *
 * @module
 */
export type {
  BasicConstraints,
  CertExtension,
  Certificate,
  CertificateInput,
  KeyUsageName,
  ParsedName,
} from './cert.ts';
export {
  CERT_CACHE_SIZE,
  clearPkiCaches,
  isSignedBy,
  MAX_CERT_SIZE,
  OID,
  parseCertificate,
  parseCertificateChain,
  readAlgorithmIdentifier,
  readName,
  serialToHex,
  setPkiCacheLimits,
  sha256Hex,
  toX509Certificate,
} from './cert.ts';
export type {
  ChainInput,
  TrustAnchors,
  VerifiedChain,
  VerifiedPckChain,
  VerifyChainOptions,
  VerifyIntelChainOptions,
} from './chain.ts';
export {
  INTEL_PCK_CERT_CN,
  INTEL_PCK_PLATFORM_CA_CN,
  INTEL_PCK_PROCESSOR_CA_CN,
  INTEL_ROOT_CA_CN,
  INTEL_TCB_SIGNING_CN,
  MAX_CHAIN_LENGTH,
  verifyChain,
  verifyPckChain,
  verifyTcbSigningChain,
} from './chain.ts';
export type { Crl, CrlInput, CrlSummary, RevokedCertificate, VerifyCrlOptions } from './crl.ts';
export { isMissingCrl, isRevoked, MAX_CRL_ENTRIES, MAX_CRL_SIZE, parseCrl, verifyCrl } from './crl.ts';
export type { DerBitString, DerElement, DerNode } from './der.ts';
export {
  contextTag,
  DER_TAG,
  DerReader,
  decodeDerTree,
  MAX_DER_DEPTH,
  parseDer,
  readTlv,
  validateDer,
} from './der.ts';
export type { PckConfiguration, PckExtensions } from './pck.ts';
export { parsePckExtensions, parseSgxExtensionValue, SGX_EXTENSION_OID, SGX_TYPES } from './pck.ts';
export type { PemBlock } from './pem.ts';
export { decodePemBlocks, encodePem, MAX_PEM_BLOCKS, MAX_PEM_LENGTH, splitPem, urlDecodePem } from './pem.ts';
export {
  formatFingerprint,
  IAS_REPORT_SIGNING_CA_PEM,
  IAS_REPORT_SIGNING_CA_SHA256,
  INTEL_SGX_ROOT_CA_PEM,
  INTEL_SGX_ROOT_CA_SHA256,
  iasReportSigningCa,
  intelSgxRootCa,
} from './roots.ts';
