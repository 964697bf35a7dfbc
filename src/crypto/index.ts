/**
 * `attestkit/crypto`: AES-CMAC, the RA key derivation, P-256 in SGX byte order, AES-GCM.
 *
 * @module
 */
export { AES_BLOCK_SIZE, AES128_KEY_SIZE, aesCmac } from './cmac.ts';
export { timingSafeEqual } from './compare.ts';
export { aesGcmDecrypt, aesGcmEncrypt, GCM_IV_SIZE, GCM_TAG_SIZE, type GcmSealed } from './gcm.ts';
export { sha256 } from './hash.ts';
export { deriveRaKeys, type RaKeys, REPORT_DATA_SIZE, raReportData, SHARED_SECRET_SIZE } from './kdf.ts';
export {
  createEphemeralEcdh,
  type EcKeyPair,
  type EcPrivateKey,
  type EphemeralEcdh,
  ecdhSharedSecretLE,
  generateEcKeyPair,
  privateKeyFromPem,
  privateKeyFromScalar,
  privateKeyFromSgx,
  privateKeyToPem,
  privateKeyToScalar,
  publicKeyFromHex,
  publicKeyFromPem,
  publicKeyOf,
  publicKeyToPem,
  type SignSgxOptions,
  signSgx,
  validateEc256Public,
  verifySgx,
} from './p256.ts';
export { dangerouslyIntelSampleRandom, type RandomSource, repeatingRandom, systemRandom } from './random.ts';
