/**
 * Signed collateral for a simulated platform: TCB info v3 (SGX and TDX), QE identity v2 (QE and
 * TD_QE), in the exact JSON shapes Intel PCS v4 serves (DCAP-VERIFICATION.md §6.3), signed with the
 * simulated TCB Signing key (ECDSA-P256, raw r‖s over the exact text emitted), and packaged as the
 * dcap-qvl `QuoteCollateralV3` interchange record and as PCS v4 responses (§6.1) for a PCCS mock.
 *
 * @module
 */
import type { Collateral } from '../collateral/collateral.ts';
import { createCollateral } from '../collateral/collateral.ts';
import type { IdentityLevelStatus, TcbLevelStatus } from '../collateral/tcb-info.ts';
import { toHex } from '../wire/hex.ts';
import { signWith } from './keys.ts';
import type { SimulatedCrls, SimulatedPki } from './pki.ts';

/** One platform TCB level to emit; absent SVNs default to the simulated platform's own. */
export interface SimTcbLevel {
  readonly tcbStatus: TcbLevelStatus;
  /** The 16 SGX TCB component SVNs. */
  readonly sgxTcbComponents?: readonly number[];
  readonly pceSvn?: number;
  /** TDX TCB info only: the 16 TDX TCB component SVNs. */
  readonly tdxTcbComponents?: readonly number[];
  /** ISO-8601 UTC (`2024-03-13T00:00:00Z`). */
  readonly tcbDate?: string;
  /** `advisoryIDs`; omitted from the JSON when empty, as Intel does (§2.2). */
  readonly advisoryIds?: readonly string[];
}

/** One QE identity or TDX module identity level. */
export interface SimIdentityLevel {
  readonly isvSvn: number;
  readonly tcbStatus: IdentityLevelStatus;
  readonly tcbDate?: string;
  readonly advisoryIds?: readonly string[];
}

/** A TDX module identity (`tdxModuleIdentities[]`, e.g. `TDX_01`). */
export interface SimTdxModuleIdentity {
  /** `TDX_%02X` of the module major version. */
  readonly id: string;
  /** 48 bytes. */
  readonly mrSigner: Uint8Array;
  /** 8 bytes. */
  readonly attributes: Uint8Array;
  /** 8 bytes. */
  readonly attributesMask: Uint8Array;
  readonly tcbLevels: readonly SimIdentityLevel[];
}

/** Inputs of {@link buildTcbInfoJson}. */
export interface TcbInfoParams {
  readonly id: 'SGX' | 'TDX';
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  /** 6 bytes. */
  readonly fmspc: Uint8Array;
  /** 2 bytes. */
  readonly pceId: Uint8Array;
  readonly tcbEvaluationDataNumber: number;
  /** Levels in the order to emit (Intel: highest first). SVNs must be given here. */
  readonly tcbLevels: readonly (SimTcbLevel & {
    readonly sgxTcbComponents: readonly number[];
    readonly pceSvn: number;
    readonly tcbDate: string;
  })[];
  /** TDX only: `tdxModule` (the version-0 module). */
  readonly tdxModule?: Omit<SimTdxModuleIdentity, 'id' | 'tcbLevels'>;
  /** TDX only. */
  readonly tdxModuleIdentities?: readonly SimTdxModuleIdentity[];
}

/** Inputs of {@link buildQeIdentityJson}. */
export interface QeIdentityParams {
  readonly id: 'QE' | 'TD_QE';
  readonly issueDate: Date;
  readonly nextUpdate: Date;
  readonly tcbEvaluationDataNumber: number;
  readonly miscSelect: number;
  readonly miscSelectMask: number;
  /** 16 bytes. */
  readonly attributes: Uint8Array;
  /** 16 bytes. */
  readonly attributesMask: Uint8Array;
  /** 32 bytes. */
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  readonly tcbLevels: readonly (SimIdentityLevel & { readonly tcbDate: string })[];
}

/** Intel's date form: ISO-8601 UTC without fractional seconds (`2025-06-19T10:56:11Z`). */
export function formatIntelDate(date: Date): string {
  if (!Number.isFinite(date.getTime())) throw new RangeError('invalid date');
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const upperHex = (bytes: Uint8Array): string => toHex(bytes).toUpperCase();

function svnComponents(svns: readonly number[], field: string): { svn: number }[] {
  if (svns.length !== 16) throw new RangeError(`${field}: 16 component SVNs expected`);
  return svns.map((svn) => {
    if (!Number.isInteger(svn) || svn < 0 || svn > 255) throw new RangeError(`${field}: SVNs are bytes`);
    return { svn };
  });
}

function identityLevel(level: SimIdentityLevel & { readonly tcbDate: string }): Record<string, unknown> {
  return {
    tcb: { isvsvn: level.isvSvn },
    tcbDate: level.tcbDate,
    tcbStatus: level.tcbStatus,
    ...(level.advisoryIds !== undefined && level.advisoryIds.length > 0
      ? { advisoryIDs: [...level.advisoryIds] }
      : {}),
  };
}

function moduleJson(m: Omit<SimTdxModuleIdentity, 'id' | 'tcbLevels'>): Record<string, string> {
  if (m.mrSigner.length !== 48 || m.attributes.length !== 8 || m.attributesMask.length !== 8)
    throw new RangeError('TDX module: mrsigner is 48 bytes, attributes and mask 8');
  return {
    mrsigner: upperHex(m.mrSigner),
    attributes: upperHex(m.attributes),
    attributesMask: upperHex(m.attributesMask),
  };
}

/**
 * The exact text of a TCB info v3 object, members in Intel's order (`id`, `version`, `issueDate`,
 * `nextUpdate`, `fmspc`, `pceId`, `tcbType`, `tcbEvaluationDataNumber`, [`tdxModule`,
 * `tdxModuleIdentities`], `tcbLevels`), compact as PCS serves it.
 */
export function buildTcbInfoJson(params: TcbInfoParams): string {
  if (params.fmspc.length !== 6 || params.pceId.length !== 2)
    throw new RangeError('FMSPC is 6 bytes, PCE-ID 2');
  const tdx = params.id === 'TDX';
  const levels = params.tcbLevels.map((l) => {
    const tcb: Record<string, unknown> = {
      sgxtcbcomponents: svnComponents(l.sgxTcbComponents, 'sgxtcbcomponents'),
      pcesvn: l.pceSvn,
    };
    if (tdx) {
      if (l.tdxTcbComponents === undefined) throw new RangeError('TDX TCB levels need tdxTcbComponents');
      tcb.tdxtcbcomponents = svnComponents(l.tdxTcbComponents, 'tdxtcbcomponents');
    }
    return {
      tcb,
      tcbDate: l.tcbDate,
      tcbStatus: l.tcbStatus,
      ...(l.advisoryIds !== undefined && l.advisoryIds.length > 0 ? { advisoryIDs: [...l.advisoryIds] } : {}),
    };
  });
  const doc: Record<string, unknown> = {
    id: params.id,
    version: 3,
    issueDate: formatIntelDate(params.issueDate),
    nextUpdate: formatIntelDate(params.nextUpdate),
    fmspc: upperHex(params.fmspc),
    pceId: upperHex(params.pceId),
    tcbType: 0,
    tcbEvaluationDataNumber: params.tcbEvaluationDataNumber,
  };
  if (tdx) {
    if (params.tdxModule === undefined) throw new RangeError('TDX TCB info needs tdxModule');
    doc.tdxModule = moduleJson(params.tdxModule);
    doc.tdxModuleIdentities = (params.tdxModuleIdentities ?? []).map((m) => ({
      id: m.id,
      ...moduleJson(m),
      tcbLevels: m.tcbLevels.map((l) => {
        if (l.tcbDate === undefined) throw new RangeError(`${m.id}: every TDX module level needs a tcbDate`);
        return identityLevel({ ...l, tcbDate: l.tcbDate });
      }),
    }));
  }
  doc.tcbLevels = levels;
  return JSON.stringify(doc);
}

function u32BeHex(v: number): string {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError('MISCSELECT is a u32');
  return v.toString(16).toUpperCase().padStart(8, '0');
}

/** The exact text of a QE identity v2 object (`enclaveIdentity`), members in Intel's order. */
export function buildQeIdentityJson(params: QeIdentityParams): string {
  if (params.attributes.length !== 16 || params.attributesMask.length !== 16 || params.mrSigner.length !== 32)
    throw new RangeError('attributes and mask are 16 bytes, mrsigner 32');
  return JSON.stringify({
    id: params.id,
    version: 2,
    issueDate: formatIntelDate(params.issueDate),
    nextUpdate: formatIntelDate(params.nextUpdate),
    tcbEvaluationDataNumber: params.tcbEvaluationDataNumber,
    miscselect: u32BeHex(params.miscSelect),
    miscselectMask: u32BeHex(params.miscSelectMask),
    attributes: upperHex(params.attributes),
    attributesMask: upperHex(params.attributesMask),
    mrsigner: upperHex(params.mrSigner),
    isvprodid: params.isvProdId,
    tcbLevels: params.tcbLevels.map(identityLevel),
  });
}

/** A signed collateral document: the exact text and the raw r‖s signature over its UTF-8 bytes. */
export interface SignedDocument {
  readonly text: string;
  readonly signature: Uint8Array;
}

/** Signs `text` with the simulated TCB Signing key (ECDSA-P256-SHA256 over the exact UTF-8 bytes). */
export function signCollateralText(pki: SimulatedPki, text: string): SignedDocument {
  return Object.freeze({ text, signature: signWith(pki.tcbSigning.key, new TextEncoder().encode(text)) });
}

/** Packages signed TCB info and QE identity with the CRLs and chains into a {@link Collateral}. */
export function assembleCollateral(
  pki: SimulatedPki,
  crls: SimulatedCrls,
  tcbInfo: SignedDocument,
  qeIdentity: SignedDocument,
): Collateral {
  return createCollateral({
    pckCrlIssuerChain: pki.pckCrlIssuerChainPem,
    rootCaCrl: crls.rootCaCrl,
    pckCrl: crls.pckCrl,
    tcbInfoIssuerChain: pki.tcbIssuerChainPem,
    tcbInfo: tcbInfo.text,
    tcbInfoSignature: tcbInfo.signature,
    qeIdentityIssuerChain: pki.tcbIssuerChainPem,
    qeIdentity: qeIdentity.text,
    qeIdentitySignature: qeIdentity.signature,
  });
}

/** One HTTP response a PCCS mock serves. */
export interface SimPcsResponse {
  readonly status: number;
  /** Response headers, names as Intel spells them; issuer chains URL-encoded PEM. */
  readonly headers: Readonly<Record<string, string>>;
  /** A string (JSON, PEM or hex text) or bytes (DER). */
  readonly body: string | Uint8Array;
}

/** The PCS v4 / PCCS responses for one simulated platform (DCAP-VERIFICATION.md §6.1–6.2). */
export interface SimPcsResponses {
  /** `GET /sgx/certification/v4/tcb?fmspc=…`: `{"tcbInfo":…,"signature":…}`. */
  readonly sgxTcb: SimPcsResponse;
  /** `GET /tdx/certification/v4/tcb?fmspc=…`. */
  readonly tdxTcb: SimPcsResponse;
  /** `GET /sgx/certification/v4/qe/identity`: `{"enclaveIdentity":…,"signature":…}`. */
  readonly sgxQeIdentity: SimPcsResponse;
  /** `GET /tdx/certification/v4/qe/identity`. */
  readonly tdxQeIdentity: SimPcsResponse;
  /** `GET /sgx/certification/v4/pckcrl?ca=<caType>&encoding=der`: DER. */
  readonly pckCrl: SimPcsResponse;
  /** The Root CA CRL from its distribution point: DER. */
  readonly rootCaCrl: SimPcsResponse;
  /** PCCS `GET /sgx/certification/v4/rootcacrl`: hex text. */
  readonly rootCaCrlHex: SimPcsResponse;
  /** `GET /sgx/certification/v4/pckcert`: PEM PCK certificate. */
  readonly pckCert: SimPcsResponse;
  /** The PCK CA type, for the `ca` query parameter. */
  readonly caType: 'processor' | 'platform';
  /** FMSPC, uppercase hex, for the `fmspc` query parameter. */
  readonly fmspc: string;
}

function signedBody(member: 'tcbInfo' | 'enclaveIdentity', doc: SignedDocument): string {
  // The inner object is spliced in verbatim so its bytes are exactly the signed text.
  return `{"${member}":${doc.text},"signature":"${toHex(doc.signature)}"}`;
}

/** Builds the PCS v4 responses that serve the same collateral as the interchange records. */
export function buildPcsResponses(
  pki: SimulatedPki,
  crls: SimulatedCrls,
  docs: {
    readonly sgxTcbInfo: SignedDocument;
    readonly tdxTcbInfo: SignedDocument;
    readonly sgxQeIdentity: SignedDocument;
    readonly tdxQeIdentity: SignedDocument;
  },
): SimPcsResponses {
  const json = 'application/json';
  const tcbChain = encodeURIComponent(pki.tcbIssuerChainPem);
  const tcb = (doc: SignedDocument): SimPcsResponse => ({
    status: 200,
    headers: { 'Content-Type': json, 'TCB-Info-Issuer-Chain': tcbChain },
    body: signedBody('tcbInfo', doc),
  });
  const qe = (doc: SignedDocument): SimPcsResponse => ({
    status: 200,
    headers: { 'Content-Type': json, 'SGX-Enclave-Identity-Issuer-Chain': tcbChain },
    body: signedBody('enclaveIdentity', doc),
  });
  const p = pki.platform;
  const tcbm = toHex(p.cpuSvn) + toHex(Uint8Array.of(p.pceSvn & 0xff, p.pceSvn >> 8));
  return Object.freeze({
    sgxTcb: tcb(docs.sgxTcbInfo),
    tdxTcb: tcb(docs.tdxTcbInfo),
    sgxQeIdentity: qe(docs.sgxQeIdentity),
    tdxQeIdentity: qe(docs.tdxQeIdentity),
    pckCrl: {
      status: 200,
      headers: {
        'Content-Type': 'application/pkix-crl',
        'SGX-PCK-CRL-Issuer-Chain': encodeURIComponent(pki.pckCrlIssuerChainPem),
      },
      body: crls.pckCrl,
    },
    rootCaCrl: { status: 200, headers: { 'Content-Type': 'application/pkix-crl' }, body: crls.rootCaCrl },
    rootCaCrlHex: { status: 200, headers: { 'Content-Type': 'text/plain' }, body: toHex(crls.rootCaCrl) },
    pckCert: {
      status: 200,
      headers: {
        'Content-Type': 'application/x-pem-file',
        'SGX-PCK-Certificate-Issuer-Chain': encodeURIComponent(pki.pckCrlIssuerChainPem),
        'SGX-TCBm': tcbm.toUpperCase(),
        'SGX-FMSPC': upperHex(p.fmspc),
        'SGX-PCK-Certificate-CA-Type': p.caType,
      },
      body: pki.pck.pem,
    },
    caType: p.caType,
    fmspc: upperHex(p.fmspc),
  });
}
