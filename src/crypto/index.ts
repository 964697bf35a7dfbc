/**
 * `attestkit/crypto`: AES-CMAC, the RA key derivation, P-256 in SGX byte order, AES-GCM.
 *
 * @module
 */
export {};
