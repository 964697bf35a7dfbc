/**
 * The collateral record a DCAP quote is verified against, and the dcap-qvl `QuoteCollateralV3`
 * JSON interchange format (test/vectors/README.md §1):
 *
 * - `pck_crl_issuer_chain`, `tcb_info_issuer_chain`, `qe_identity_issuer_chain`: PEM strings;
 * - `root_ca_crl`, `pck_crl`: hex of the DER (or a byte array);
 * - `tcb_info`, `qe_identity`: the exact signed JSON text, kept as is and never re-serialised;
 * - `tcb_info_signature`, `qe_identity_signature`: hex of raw r‖s, 64 bytes (or a byte array);
 * - optional `pck_certificate_chain`: a PEM PCK chain for quotes that carry none (cert data type 3).
 *
 * @module
 */
import { ParseError } from '../errors.ts';
import { toHex } from '../wire/hex.ts';
import { asObject, formatError, type JsonObject, parseJson, topLevelMemberTexts } from './json.ts';

/** Everything besides the quote and the trust anchor that DCAP verification needs (§1.2 inputs). */
export interface Collateral {
  /** PEM: the PCK CA (Platform or Processor) that issued the PCK CRL, then the Root. */
  readonly pckCrlIssuerChain: string;
  /** DER of the Intel SGX Root CA CRL; absent when not supplied (verification then fails closed). */
  readonly rootCaCrl?: Uint8Array;
  /** DER of the PCK CRL of the quote's PCK CA; absent when not supplied. */
  readonly pckCrl?: Uint8Array;
  /** PEM: the TCB Signing certificate, then the Root. */
  readonly tcbInfoIssuerChain: string;
  /** The exact signed text of the TCB info object. */
  readonly tcbInfo: string;
  /** Raw r‖s (64 bytes) over the UTF-8 bytes of {@link Collateral.tcbInfo}. */
  readonly tcbInfoSignature: Uint8Array;
  /** PEM: the TCB Signing certificate, then the Root. */
  readonly qeIdentityIssuerChain: string;
  /** The exact signed text of the QE identity object. */
  readonly qeIdentity: string;
  /** Raw r‖s (64 bytes) over the UTF-8 bytes of {@link Collateral.qeIdentity}. */
  readonly qeIdentitySignature: Uint8Array;
  /** PEM PCK chain (leaf first) for quotes without certification data type 5. */
  readonly pckCertificateChain?: string;
}

/** The fields of a {@link Collateral}, as given to {@link createCollateral}. */
export type CollateralInit = {
  readonly [K in keyof Collateral]: Collateral[K];
};

const MAX_FIELD = 1 << 20;

function field(obj: JsonObject, key: string): string {
  const v = obj[key];
  if (typeof v !== 'string') formatError(`collateral.${key}`, 'expected a string');
  if (v.length > MAX_FIELD) formatError(`collateral.${key}`, 'too long');
  return v;
}

/** Hex string or byte array → bytes. */
function bytesField(obj: JsonObject, key: string, length?: number): Uint8Array {
  const v = obj[key];
  const f = `collateral.${key}`;
  let out: Uint8Array;
  if (typeof v === 'string') {
    let t = v.trim();
    if (t.startsWith('0x') || t.startsWith('0X')) t = t.slice(2);
    if (t.length > 2 * MAX_FIELD || t.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(t)) {
      formatError(f, 'expected hex');
    }
    out = new Uint8Array(Buffer.from(t, 'hex'));
  } else if (Array.isArray(v)) {
    if (v.length > MAX_FIELD) formatError(f, 'too long');
    out = new Uint8Array(v.length);
    v.forEach((b, i) => {
      if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255)
        formatError(`${f}[${i}]`, 'not a byte');
      out[i] = b;
    });
  } else {
    formatError(f, 'expected a hex string or a byte array');
  }
  if (length !== undefined && out.length !== length)
    formatError(f, `expected ${length} bytes, got ${out.length}`);
  return out;
}

function optionalCrl(obj: JsonObject, key: string): Uint8Array | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const b = bytesField(obj, key);
  return b.length === 0 ? undefined : b;
}

/**
 * Builds a frozen {@link Collateral} from its fields (byte fields are copied). Checks the types
 * and the signature lengths; throws `ERR_COLLATERAL_FORMAT` otherwise.
 */
export function createCollateral(init: CollateralInit): Collateral {
  const str = (k: keyof Collateral): string => {
    const v = init[k];
    if (typeof v !== 'string') formatError(`collateral.${k}`, 'expected a string');
    return v;
  };
  const sig = (k: 'tcbInfoSignature' | 'qeIdentitySignature'): Uint8Array => {
    const v = init[k];
    if (!(v instanceof Uint8Array) || v.length !== 64) formatError(`collateral.${k}`, 'expected 64 bytes');
    return v.slice();
  };
  const crl = (k: 'rootCaCrl' | 'pckCrl'): Uint8Array | undefined => {
    const v = init[k];
    if (v === undefined) return undefined;
    if (!(v instanceof Uint8Array)) formatError(`collateral.${k}`, 'expected bytes');
    return v.length === 0 ? undefined : v.slice();
  };
  const rootCaCrl = crl('rootCaCrl');
  const pckCrl = crl('pckCrl');
  const out: { -readonly [K in keyof Collateral]: Collateral[K] } = {
    pckCrlIssuerChain: str('pckCrlIssuerChain'),
    tcbInfoIssuerChain: str('tcbInfoIssuerChain'),
    tcbInfo: str('tcbInfo'),
    tcbInfoSignature: sig('tcbInfoSignature'),
    qeIdentityIssuerChain: str('qeIdentityIssuerChain'),
    qeIdentity: str('qeIdentity'),
    qeIdentitySignature: sig('qeIdentitySignature'),
  };
  if (rootCaCrl !== undefined) out.rootCaCrl = rootCaCrl;
  if (pckCrl !== undefined) out.pckCrl = pckCrl;
  if (init.pckCertificateChain !== undefined) out.pckCertificateChain = str('pckCertificateChain');
  return Object.freeze(out);
}

/**
 * Parses dcap-qvl's `QuoteCollateralV3` JSON into a frozen {@link Collateral}.
 *
 * Absent, `null` or empty CRL fields parse (verification later fails with `ERR_PKI_CRL_MISSING`).
 * Unknown members are ignored.
 *
 * @throws ParseError `ERR_JSON_INVALID` (not JSON), `ERR_COLLATERAL_FORMAT` (a member missing or of
 *   the wrong type, a signature that is not 64 bytes).
 */
export function parseCollateralJson(text: string): Collateral {
  const o = asObject(parseJson(text, 'collateral'), 'collateral');
  const init: { -readonly [K in keyof Collateral]: Collateral[K] } = {
    pckCrlIssuerChain: field(o, 'pck_crl_issuer_chain'),
    tcbInfoIssuerChain: field(o, 'tcb_info_issuer_chain'),
    tcbInfo: field(o, 'tcb_info'),
    tcbInfoSignature: bytesField(o, 'tcb_info_signature', 64),
    qeIdentityIssuerChain: field(o, 'qe_identity_issuer_chain'),
    qeIdentity: field(o, 'qe_identity'),
    qeIdentitySignature: bytesField(o, 'qe_identity_signature', 64),
  };
  const rootCaCrl = optionalCrl(o, 'root_ca_crl');
  const pckCrl = optionalCrl(o, 'pck_crl');
  if (rootCaCrl !== undefined) init.rootCaCrl = rootCaCrl;
  if (pckCrl !== undefined) init.pckCrl = pckCrl;
  if (o.pck_certificate_chain !== undefined && o.pck_certificate_chain !== null) {
    init.pckCertificateChain = field(o, 'pck_certificate_chain');
  }
  return Object.freeze(init);
}

/**
 * Writes a {@link Collateral} as dcap-qvl `QuoteCollateralV3` JSON (lowercase hex; absent CRLs as
 * empty strings). `parseCollateralJson(writeCollateralJson(c))` gives back an equal record.
 */
export function writeCollateralJson(collateral: Collateral): string {
  const out: Record<string, string> = {
    pck_crl_issuer_chain: collateral.pckCrlIssuerChain,
    root_ca_crl: collateral.rootCaCrl === undefined ? '' : toHex(collateral.rootCaCrl),
    pck_crl: collateral.pckCrl === undefined ? '' : toHex(collateral.pckCrl),
    tcb_info_issuer_chain: collateral.tcbInfoIssuerChain,
    tcb_info: collateral.tcbInfo,
    tcb_info_signature: toHex(collateral.tcbInfoSignature),
    qe_identity_issuer_chain: collateral.qeIdentityIssuerChain,
    qe_identity: collateral.qeIdentity,
    qe_identity_signature: toHex(collateral.qeIdentitySignature),
  };
  if (collateral.pckCertificateChain !== undefined)
    out.pck_certificate_chain = collateral.pckCertificateChain;
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** The signed text and signature carried by a PCS v4 TCB info or QE identity response body. */
export interface SignedCollateralBody {
  /** The exact text of the inner object (`tcbInfo` / `enclaveIdentity`). */
  readonly signedText: string;
  /** Raw r‖s, 64 bytes. */
  readonly signature: Uint8Array;
}

/**
 * Splits a PCS v4 response body, `{"tcbInfo":{…},"signature":"<hex>"}` or
 * `{"enclaveIdentity":{…},"signature":"<hex>"}`, into the exact signed text of the inner object
 * and the signature, without re-serialising (DCAP-VERIFICATION.md §6.3).
 *
 * @throws ParseError `ERR_JSON_INVALID`, `ERR_COLLATERAL_FORMAT`.
 */
export function splitSignedBody(body: string, member: 'tcbInfo' | 'enclaveIdentity'): SignedCollateralBody {
  const o = asObject(parseJson(body, member), member);
  asObject(o[member], `${member}`);
  const signature = bytesField(o, 'signature', 64);
  const members = topLevelMemberTexts(body, member);
  const signedText = members.get(member);
  if (signedText === undefined) {
    throw new ParseError('ERR_COLLATERAL_FORMAT', `${member}: member not found`, { field: member });
  }
  return Object.freeze({ signedText, signature });
}
