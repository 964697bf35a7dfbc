/**
 * QE identity v2 (Intel PCS API v4 `qe/identity`, the `enclaveIdentity` object) and its strict
 * parser (DCAP-VERIFICATION.md §6.3).
 *
 * @module
 */
import { VerificationError } from '../errors.ts';
import { asObject, getHexBytes, getUint, parseIsoDate, parseJson } from './json.ts';
import { type IdentityTcbLevel, parseIdentityTcbLevels } from './tcb-info.ts';

/** The enclave an identity describes: the SGX QE, the QvE, or the TDX QE. */
export type EnclaveIdentityId = 'QE' | 'QVE' | 'TD_QE';

/** A parsed QE identity (`enclaveIdentity`) document. */
export interface QeIdentity {
  readonly id: EnclaveIdentityId;
  readonly version: 2;
  readonly issueDate: string;
  readonly nextUpdate: string;
  /** `issueDate` in ms since the epoch. */
  readonly issueDateMs: number;
  /** `nextUpdate` in ms since the epoch. */
  readonly nextUpdateMs: number;
  readonly tcbEvaluationDataNumber: number;
  /** MISCSELECT as a u32 (the hex is big-endian, the report field little-endian). */
  readonly miscSelect: number;
  readonly miscSelectMask: number;
  /** 16 bytes, in report byte order. */
  readonly attributes: Uint8Array;
  /** 16 bytes. */
  readonly attributesMask: Uint8Array;
  /** 32 bytes. */
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  readonly tcbLevels: readonly IdentityTcbLevel[];
}

const PATH = 'enclaveIdentity';
const IDS: readonly string[] = ['QE', 'QVE', 'TD_QE'];

function u32be(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/**
 * Parses the exact signed text of a QE identity (the value of `enclaveIdentity` in a PCS response).
 *
 * @throws ParseError `ERR_JSON_INVALID`, `ERR_COLLATERAL_FORMAT`; VerificationError
 *   `ERR_COLLATERAL_UNSUPPORTED_VERSION` (a version other than 2, or an unknown `id`).
 */
export function parseQeIdentity(text: string): QeIdentity {
  const o = asObject(parseJson(text, PATH), PATH);
  if (o.version !== 2) {
    throw new VerificationError(
      'ERR_COLLATERAL_UNSUPPORTED_VERSION',
      `QE identity version ${JSON.stringify(o.version)} is not supported`,
    );
  }
  if (typeof o.id !== 'string' || !IDS.includes(o.id)) {
    throw new VerificationError(
      'ERR_COLLATERAL_UNSUPPORTED_VERSION',
      `QE identity id ${JSON.stringify(o.id)} is not supported`,
    );
  }
  return Object.freeze({
    id: o.id as EnclaveIdentityId,
    version: 2,
    issueDate: o.issueDate as string,
    nextUpdate: o.nextUpdate as string,
    issueDateMs: parseIsoDate(o.issueDate, `${PATH}.issueDate`),
    nextUpdateMs: parseIsoDate(o.nextUpdate, `${PATH}.nextUpdate`),
    tcbEvaluationDataNumber: getUint(o, 'tcbEvaluationDataNumber', PATH),
    miscSelect: u32be(getHexBytes(o, 'miscselect', PATH, 4)),
    miscSelectMask: u32be(getHexBytes(o, 'miscselectMask', PATH, 4)),
    attributes: getHexBytes(o, 'attributes', PATH, 16),
    attributesMask: getHexBytes(o, 'attributesMask', PATH, 16),
    mrSigner: getHexBytes(o, 'mrsigner', PATH, 32),
    isvProdId: getUint(o, 'isvprodid', PATH, 0xffff),
    tcbLevels: parseIdentityTcbLevels(o.tcbLevels, `${PATH}.tcbLevels`),
  });
}
