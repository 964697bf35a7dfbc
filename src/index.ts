/**
 * attestkit: remote attestation for Intel SGX and TDX.
 *
 * The root entry re-exports the common entry points; each layer has its own subpath
 * (`attestkit/wire`, `attestkit/crypto`, ...).
 *
 * @module
 */
export { AttestError, ERROR_CODES, type ErrorCode, isAttestError, ParseError } from './errors.ts';
