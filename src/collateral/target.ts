/**
 * What collateral a quote needs: its FMSPC and PCK CA type (from the PCK certificate in the
 * quote) and its TEE (DCAP-VERIFICATION.md §1.2 C, §6.1).
 *
 * @module
 */
import { ParseError, VerificationError } from '../errors.ts';
import { parseCertificate } from '../pki/cert.ts';
import { INTEL_PCK_PLATFORM_CA_CN, INTEL_PCK_PROCESSOR_CA_CN } from '../pki/chain.ts';
import { parsePckExtensions } from '../pki/pck.ts';
import { type EcdsaQuote, parseQuote, type Quote } from '../wire/quote.ts';
import type { TeeKind } from './tcb-info.ts';

/** Which PCK CA issued a PCK certificate (`ca=` of the `pckcrl` endpoint). */
export type PckCaType = 'processor' | 'platform';

/** What collateral is needed for: the platform's FMSPC, its PCK CA and the TEE. */
export interface CollateralTarget {
  /** 6 bytes as hex (either case). */
  readonly fmspc: string;
  readonly pckCa: PckCaType;
  readonly tee: TeeKind;
}

/**
 * The {@link CollateralTarget} of a quote (raw bytes or parsed): FMSPC from the PCK leaf's SGX
 * extension, the CA type from the leaf's issuer name, the TEE from the header. The certificate is
 * not verified here; `verifyQuote` does that.
 *
 * @throws VerificationError `ERR_VERIFY_NO_PCK_CHAIN` (certification data other than type 5),
 *   `ERR_PKI_PCK_EXTENSION`, `ERR_PKI_CHAIN` (the leaf is not issued by a PCK Platform/Processor
 *   CA); parse errors for malformed quotes and certificates.
 */
export function collateralTargetOf(quote: Uint8Array | Quote): CollateralTarget {
  const q: Quote = quote instanceof Uint8Array ? parseQuote(quote, { allowTrailing: true }) : quote;
  if (q.version === 2) {
    throw new ParseError(
      'ERR_QUOTE_UNSUPPORTED_VERSION',
      'quote.version: EPID v2 quotes have no DCAP collateral',
      {
        offset: 0,
        field: 'quote.version',
      },
    );
  }
  const ecdsa: EcdsaQuote = q;
  const leafPem = ecdsa.pckCertChain?.[0];
  if (leafPem === undefined) {
    throw new VerificationError(
      'ERR_VERIFY_NO_PCK_CHAIN',
      `the quote carries certification data type ${ecdsa.certificationData.type}, not a PCK certificate chain`,
    );
  }
  const leaf = parseCertificate(leafPem);
  const ext = parsePckExtensions(leaf);
  let pckCa: PckCaType;
  if (leaf.issuerCommonName === INTEL_PCK_PLATFORM_CA_CN) pckCa = 'platform';
  else if (leaf.issuerCommonName === INTEL_PCK_PROCESSOR_CA_CN) pckCa = 'processor';
  else
    throw new VerificationError(
      'ERR_PKI_CHAIN',
      `the PCK leaf is issued by "${leaf.issuerCommonName ?? '?'}"`,
    );
  return Object.freeze({ fmspc: ext.fmspcHex.toUpperCase(), pckCa, tee: ecdsa.teeType });
}
