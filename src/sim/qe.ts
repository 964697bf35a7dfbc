/**
 * A simulated quoting enclave (QE for SGX, TD QE for TDX) and the quotes it produces.
 *
 * The QE holds a P-256 attestation key. Its QE report (an SGX report body with the simulated QE's
 * identity) binds that key: `reportData = SHA-256(attestationKey ‖ qeAuthData) ‖ 0^32`
 * (DCAP-VERIFICATION.md §1.2 F), and the report is signed by the PCK key. Quotes follow §1.1
 * byte for byte: v3 for SGX (certification data type 5, the PEM PCK chain), v4 for TDX (type 6
 * wrapping the QE report, its signature, the auth data and type 5). The quote signature is the
 * attestation key's ECDSA over `header ‖ body` (§1.2 G). All signatures are deterministic
 * (RFC 6979), so a quote is a pure function of the seed and its inputs.
 *
 * @module
 */
import { sha256 } from '../crypto/hash.ts';
import { concatBytes, fromHex } from '../wire/hex.ts';
import {
  CERT_DATA_TYPE_PCK_CERT_CHAIN,
  ECDSA_SIGNATURE_SIZE,
  type EcdsaQuoteInit,
  encodeQuoteV3,
  encodeQuoteV4,
  INTEL_QE_VENDOR_ID,
  QUOTE_BODY_OFFSET,
  type QuoteHeaderInit,
} from '../wire/quote.ts';
import { encodeReportBody, REPORT_BODY_SIZE, TD_REPORT10_SIZE } from '../wire/report.ts';
import { deriveBytes, deriveP256Key, type SimKey, signWith } from './keys.ts';
import type { SimulatedPki } from './pki.ts';

/** The u32 signature data length between the body and the signature data (§1.1). */
const SIGNATURE_DATA_LENGTH_SIZE = 4;

/** Intel's QE vendor ID (§1.1 header, offset 12). */
export const SIM_QE_VENDOR_ID: Uint8Array = INTEL_QE_VENDOR_ID.slice();

/** ATTRIBUTES of the simulated QEs: flags INIT | MODE64BIT | PROVISIONKEY, XFRM 0xe7 (as Intel's QE). */
export const SIM_QE_ATTRIBUTES: Uint8Array = fromHex('1500000000000000e700000000000000');
/** The QE identity's attributes and mask, as in Intel's QE identity (§6.3). */
export const SIM_QE_IDENTITY_ATTRIBUTES: Uint8Array = fromHex('11000000000000000000000000000000');
/** See {@link SIM_QE_IDENTITY_ATTRIBUTES}. */
export const SIM_QE_IDENTITY_ATTRIBUTES_MASK: Uint8Array = fromHex('fbffffffffffffff0000000000000000');

/** Which quoting enclave: the SGX QE (`QE`, ISVPRODID 1) or the TDX QE (`TD_QE`, ISVPRODID 2). */
export type SimQeKind = 'QE' | 'TD_QE';

/** A simulated quoting enclave, ready to sign quotes. */
export interface SimulatedQe {
  readonly kind: SimQeKind;
  /** The attestation key; its raw `X ‖ Y` goes into every quote. */
  readonly attestationKey: SimKey;
  readonly mrEnclave: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly miscSelect: number;
  /** 16 bytes. */
  readonly attributes: Uint8Array;
  /** The QE auth data carried in the quote (32 bytes: 0x00…0x1f, like Intel's QE). */
  readonly qeAuthData: Uint8Array;
  /** The 384-byte QE report body. */
  readonly qeReport: Uint8Array;
  /** The PCK key's raw r‖s over {@link SimulatedQe.qeReport}. */
  readonly qeReportSignature: Uint8Array;
  /** 16-byte QE ID, the first 16 bytes of the header user data. */
  readonly qeId: Uint8Array;
  /** The PCE SVN written in v3 headers (the PCK certificate's PCESVN). */
  readonly pceSvn: number;
  /** Certification data type 5 payload: the PEM chain leaf → PCK CA → root, NUL-terminated like Intel's. */
  readonly certificationData: Uint8Array;
}

/** Inputs of {@link createSimulatedQe}. */
export interface SimulatedQeOptions {
  readonly seed: Uint8Array;
  readonly kind: SimQeKind;
  readonly pki: SimulatedPki;
  /** The QE's ISVSVN (default 8 for QE, 4 for TD_QE). */
  readonly isvSvn?: number;
  /** Default: bytes 0x00…0x1f. */
  readonly qeAuthData?: Uint8Array;
}

/** The simulated QE's MRSIGNER for `kind` (derived from the seed; what the QE identity names). */
export function simQeMrSigner(seed: Uint8Array, kind: SimQeKind): Uint8Array {
  return deriveBytes(seed, `qe/${kind}/mrsigner`, 32);
}

/** Creates a simulated QE: derives its keys and identity, builds and PCK-signs its QE report. */
export function createSimulatedQe(options: SimulatedQeOptions): SimulatedQe {
  const { seed, kind, pki } = options;
  const isvSvn = options.isvSvn ?? (kind === 'QE' ? 8 : 4);
  const qeAuthData = options.qeAuthData?.slice() ?? Uint8Array.from({ length: 32 }, (_, i) => i);
  if (qeAuthData.length > 0xffff) throw new RangeError('QE auth data is at most 65535 bytes');
  const attestationKey = deriveP256Key(seed, `qe/${kind}/attestation-key`);
  const mrEnclave = deriveBytes(seed, `qe/${kind}/mrenclave`, 32);
  const mrSigner = simQeMrSigner(seed, kind);
  const isvProdId = kind === 'QE' ? 1 : 2;
  // §1.2 F: reportData[0..32] = SHA-256(attestation key ‖ QE auth data), upper 32 bytes zero.
  const reportData = concatBytes(
    sha256(concatBytes(attestationKey.publicKeyRaw, qeAuthData)),
    new Uint8Array(32),
  );
  const qeReport = encodeReportBody({
    cpuSvn: pki.platform.cpuSvn,
    miscSelect: 0,
    attributes: SIM_QE_ATTRIBUTES,
    mrEnclave,
    mrSigner,
    isvProdId,
    isvSvn,
    reportData,
  });
  const chain = new TextEncoder().encode(pki.pckChainPem);
  return Object.freeze({
    kind,
    attestationKey,
    mrEnclave,
    mrSigner,
    isvProdId,
    isvSvn,
    miscSelect: 0,
    attributes: SIM_QE_ATTRIBUTES.slice(),
    qeAuthData,
    qeReport,
    qeReportSignature: signWith(pki.pck.key, qeReport),
    qeId: deriveBytes(seed, 'qe/qe-id', 16),
    pceSvn: pki.platform.pceSvn,
    certificationData: concatBytes(chain, Uint8Array.of(0)),
  });
}

/**
 * Per QE and quote version, the quote as the wire encoders produce it (§1.1) around a zero body
 * and a zero signature: header (key type 2, Intel's vendor ID, user data = QE ID ‖ 0^4), then the
 * signature data with certification data type 5 (v3) or type 6 wrapping the QE report, its
 * signature, the auth data and type 5 (v4). Everything but the body and the signature is the QE's
 * own and the same in every quote, so each quote copies this and fills those two in: the same
 * bytes as encoding it whole, without re-encoding the 4 KiB certification data every time.
 */
const templates = new WeakMap<SimulatedQe, Map<string, Uint8Array>>();

function quoteTemplate(
  qe: SimulatedQe,
  version: 3 | 4,
  header: Pick<QuoteHeaderInit, 'teeType' | 'qeSvn' | 'pceSvn'>,
  bodySize: number,
): Uint8Array {
  const key = `${version}/${header.teeType}/${header.qeSvn}/${header.pceSvn}/${bodySize}`;
  let byVersion = templates.get(qe);
  const hit = byVersion?.get(key);
  if (hit !== undefined) return hit;
  const init: EcdsaQuoteInit = {
    header: {
      ...header,
      qeVendorId: SIM_QE_VENDOR_ID,
      userData: concatBytes(qe.qeId, new Uint8Array(4)),
    },
    body: new Uint8Array(bodySize),
    signatureData: {
      signature: new Uint8Array(ECDSA_SIGNATURE_SIZE),
      attestationKey: qe.attestationKey.publicKeyRaw,
      qeReport: qe.qeReport,
      qeReportSignature: qe.qeReportSignature,
      qeAuthData: qe.qeAuthData,
      certificationData: { type: CERT_DATA_TYPE_PCK_CERT_CHAIN, data: qe.certificationData },
    },
  };
  const template = version === 3 ? encodeQuoteV3(init) : encodeQuoteV4(init);
  if (byVersion === undefined) {
    byVersion = new Map();
    templates.set(qe, byVersion);
  }
  byVersion.set(key, template);
  return template;
}

/**
 * Signs and encodes a quote (§1.1): the QE's template (see {@link quoteTemplate}) with the body at
 * offset 48 and, after the 4-byte signature data length, the attestation key's ECDSA signature
 * over `header ‖ body` (§1.2 G; v3 and v4 have no body descriptor).
 */
function assemble(
  qe: SimulatedQe,
  version: 3 | 4,
  header: Pick<QuoteHeaderInit, 'teeType' | 'qeSvn' | 'pceSvn'>,
  body: Uint8Array,
): Uint8Array {
  const quote = quoteTemplate(qe, version, header, body.length).slice();
  quote.set(body, QUOTE_BODY_OFFSET);
  const signedEnd = QUOTE_BODY_OFFSET + body.length;
  // §1.2 G: the attestation key signs header ‖ body.
  const signature = signWith(qe.attestationKey, quote.subarray(0, signedEnd));
  quote.set(signature, signedEnd + SIGNATURE_DATA_LENGTH_SIZE);
  return quote;
}

/**
 * An SGX ECDSA quote v3 over `reportBody` (the 384-byte report of the enclave being attested):
 * header (version 3, key type 2, TEE 0, qeSvn = the QE's ISVSVN, pceSvn, Intel's vendor ID, QE ID),
 * the body, then the signature data with certification data type 5.
 */
export function generateSgxQuote(qe: SimulatedQe, reportBody: Uint8Array): Uint8Array {
  if (qe.kind !== 'QE') throw new RangeError('SGX quotes come from the QE, not the TD QE');
  if (!(reportBody instanceof Uint8Array) || reportBody.length !== REPORT_BODY_SIZE)
    throw new RangeError('an SGX report body is 384 bytes');
  return assemble(qe, 3, { teeType: 'SGX', qeSvn: qe.isvSvn, pceSvn: qe.pceSvn }, reportBody);
}

/**
 * A TDX quote v4 over `tdReport` (a 584-byte TD report 1.0): header (version 4, key type 2, TEE
 * 0x81; bytes 8–11 zero as in Intel's TDX quotes), the body, then the signature data with the
 * outer certification data type 6 (QE report, signature, auth data, inner type 5).
 */
export function generateTdxQuote(qe: SimulatedQe, tdReport: Uint8Array): Uint8Array {
  if (qe.kind !== 'TD_QE') throw new RangeError('TDX quotes come from the TD QE');
  if (!(tdReport instanceof Uint8Array) || tdReport.length !== TD_REPORT10_SIZE)
    throw new RangeError('a TD report 1.0 is 584 bytes');
  return assemble(qe, 4, { teeType: 'TDX', qeSvn: 0, pceSvn: 0 }, tdReport);
}
