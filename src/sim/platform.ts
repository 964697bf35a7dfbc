/**
 * A whole simulated SGX/TDX platform: the synthetic PKI, the CRLs, signed collateral for SGX and
 * TDX, the two quoting enclaves, and functions that produce quotes — all deterministic from a seed
 * and an injected `now`. Quotes it produces go through exactly the same verification code as real
 * ones; they verify only when the simulated root is passed as the trust anchor.
 *
 * Save and load (`attestkit keygen --out DIR`) let separate processes share one platform; see
 * {@link saveSimulatedPlatform} for the files.
 *
 * @module
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Collateral } from '../collateral/collateral.ts';
import { writeCollateralJson } from '../collateral/collateral.ts';
import { ConfigError } from '../errors.ts';
import { fromHex, toHex } from '../wire/hex.ts';
import { encodeReportBody, encodeTdReport, type ReportBodyInit, type TdReportInit } from '../wire/report.ts';
import {
  assembleCollateral,
  buildPcsResponses,
  buildQeIdentityJson,
  buildTcbInfoJson,
  formatIntelDate,
  type SignedDocument,
  type SimIdentityLevel,
  type SimPcsResponses,
  type SimTcbLevel,
  signCollateralText,
} from './collateral-gen.ts';
import { deriveBytes, privateKeyPem, seedBytes } from './keys.ts';
import {
  createSimulatedCrls,
  createSimulatedPki,
  type PckCaType,
  type SimulatedCrls,
  type SimulatedPki,
} from './pki.ts';
import {
  createSimulatedQe,
  generateSgxQuote,
  generateTdxQuote,
  SIM_QE_IDENTITY_ATTRIBUTES,
  SIM_QE_IDENTITY_ATTRIBUTES_MASK,
  type SimulatedQe,
} from './qe.ts';

const DAY_MS = 86_400_000;
const UP_TO_DATE: SimTcbLevel = Object.freeze({ tcbStatus: 'UpToDate' });

/** The shape of {@link SIM_DEFAULTS}. */
export interface SimPlatformDefaults {
  readonly fmspc: string;
  readonly pceId: string;
  readonly caType: PckCaType;
  readonly cpuSvn: readonly number[];
  readonly pceSvn: number;
  readonly teeTcbSvn: readonly number[];
  readonly qeSvn: number;
  readonly tdQeSvn: number;
  readonly collateralValidityDays: number;
  readonly tcbEvaluationDataNumber: number;
  readonly advisoryId: string;
}

/** Defaults of a simulated platform (a plausible, clearly synthetic TDX-capable server). */
export const SIM_DEFAULTS: SimPlatformDefaults = Object.freeze({
  fmspc: '00A7C0DE0000',
  pceId: '0000',
  caType: 'platform',
  cpuSvn: Object.freeze([3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]),
  pceSvn: 13,
  /** tee_tcb_svn: TDX module ISVSVN 5, module major version 1, late microcode 2. */
  teeTcbSvn: Object.freeze([5, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  qeSvn: 8,
  tdQeSvn: 4,
  collateralValidityDays: 30,
  tcbEvaluationDataNumber: 17,
  /** The advisory ID the default lower (OutOfDate) TCB level names; a synthetic number. */
  advisoryId: 'INTEL-SA-00000',
});

/** Options of {@link createSimulatedPlatform}. Everything but `seed` and `now` has a default. */
export interface SimulatedPlatformOptions {
  /** Every key, serial and identifier derives from it (strings are UTF-8). */
  readonly seed: string | Uint8Array;
  /** The time collateral and CRLs are issued at (issueDate/thisUpdate); nextUpdate is later by the validity. */
  readonly now: Date;
  /** notBefore of the certificates (default: `now` minus one day). */
  readonly pkiNotBefore?: Date;
  /** FMSPC, 12 hex digits (default {@link SIM_DEFAULTS}.fmspc). */
  readonly fmspc?: string;
  /** PCE-ID, 4 hex digits. */
  readonly pceId?: string;
  /** Which PCK CA issues the PCK certificate (default `platform`). */
  readonly caType?: PckCaType;
  /** The 16 CPUSVN components of the platform (PCK certificate, QE report). */
  readonly cpuSvn?: readonly number[];
  readonly pceSvn?: number;
  /** The 16 bytes of tee_tcb_svn in simulated TD reports. */
  readonly teeTcbSvn?: readonly number[];
  /** ISVSVN of the SGX QE. */
  readonly qeSvn?: number;
  /** ISVSVN of the TD QE. */
  readonly tdQeSvn?: number;
  /**
   * SGX TCB info levels, in order. Default: one `UpToDate` level at the platform's TCB, then an
   * `OutOfDate` level at all-zero SVNs. Absent SVNs in a level default to the platform's.
   */
  readonly tcbLevels?: readonly SimTcbLevel[];
  /** TDX TCB info levels, in order (same defaults, with tdxtcbcomponents = teeTcbSvn). */
  readonly tdxTcbLevels?: readonly SimTcbLevel[];
  /** QE identity levels (default: one `UpToDate` level at `qeSvn`). */
  readonly qeTcbLevels?: readonly SimIdentityLevel[];
  /** TD QE identity levels (default: one `UpToDate` level at `tdQeSvn`). */
  readonly tdQeTcbLevels?: readonly SimIdentityLevel[];
  /** Levels of the TDX module identity `TDX_%02X` (default: `UpToDate` at teeTcbSvn[0]). */
  readonly tdxModuleTcbLevels?: readonly SimIdentityLevel[];
  /** Serials (hex) to revoke: root-issued ones on the Root CA CRL, others on the PCK CRL. */
  readonly revokedSerials?: readonly string[];
  /** Revoke this platform's own PCK certificate (adds its serial to the PCK CRL). */
  readonly revokePck?: boolean;
  /** Days from `now` to nextUpdate of TCB info, QE identity and both CRLs (default 30). */
  readonly collateralValidityDays?: number;
  readonly tcbEvaluationDataNumber?: number;
}

/** The JSON-serialisable, fully resolved options a platform was made from (`platform.json`). */
export interface SimulatedPlatformConfig {
  readonly format: 'attestkit-sim-platform';
  readonly version: 1;
  /** The seed bytes, hex. */
  readonly seed: string;
  readonly now: string;
  readonly pkiNotBefore: string;
  readonly fmspc: string;
  readonly pceId: string;
  readonly caType: PckCaType;
  readonly cpuSvn: readonly number[];
  readonly pceSvn: number;
  readonly teeTcbSvn: readonly number[];
  readonly qeSvn: number;
  readonly tdQeSvn: number;
  readonly tcbLevels: readonly SimTcbLevel[];
  readonly tdxTcbLevels: readonly SimTcbLevel[];
  readonly qeTcbLevels: readonly SimIdentityLevel[];
  readonly tdQeTcbLevels: readonly SimIdentityLevel[];
  readonly tdxModuleTcbLevels: readonly SimIdentityLevel[];
  readonly revokedSerials: readonly string[];
  readonly revokePck: boolean;
  readonly collateralValidityDays: number;
  readonly tcbEvaluationDataNumber: number;
}

/** A pair of values, one for SGX and one for TDX. */
export interface SgxTdxPair<T> {
  readonly sgx: T;
  readonly tdx: T;
}

/** A simulated platform; see {@link createSimulatedPlatform}. */
export interface SimulatedPlatform {
  /** The resolved options (what `platform.json` holds). */
  readonly config: SimulatedPlatformConfig;
  readonly now: Date;
  readonly pki: SimulatedPki;
  readonly crls: SimulatedCrls;
  /** PEM of the simulated root CA: the trust anchor to pass to the verifier. */
  readonly rootPem: string;
  /** The SGX QE and the TD QE. */
  readonly qe: SgxTdxPair<SimulatedQe>;
  /** The signed TCB info documents (exact text + r‖s). */
  readonly tcbInfo: SgxTdxPair<SignedDocument>;
  /** The signed QE identity documents (QE, TD_QE). */
  readonly qeIdentity: SgxTdxPair<SignedDocument>;
  /** Collateral records for SGX and TDX quotes of this platform. */
  readonly collateral: SgxTdxPair<Collateral>;
  /** The same collateral as dcap-qvl `QuoteCollateralV3` JSON text. */
  readonly collateralJson: SgxTdxPair<string>;
  /** The same collateral as PCS v4 / PCCS responses. */
  readonly pcs: SimPcsResponses;
  /** A 384-byte SGX report body with this platform's defaults (CPUSVN; non-debug 64-bit attributes) under `init`. */
  sgxReportBody(init?: ReportBodyInit): Uint8Array;
  /** A 584-byte TD report 1.0 with this platform's defaults (tee_tcb_svn, MRSEAM, SEPT_VE_DISABLE) under `init`. */
  tdReport(init?: Omit<TdReportInit, 'kind'>): Uint8Array;
  /** An SGX v3 quote over a report body (bytes, or fields for {@link SimulatedPlatform.sgxReportBody}). */
  quoteSgx(report?: Uint8Array | ReportBodyInit): Uint8Array;
  /** A TDX v4 quote over a TD report 1.0 (bytes, or fields for {@link SimulatedPlatform.tdReport}). */
  quoteTdx(report?: Uint8Array | Omit<TdReportInit, 'kind'>): Uint8Array;
}

function checkSvns(values: readonly number[], field: string): readonly number[] {
  if (values.length !== 16 || values.some((v) => !Number.isInteger(v) || v < 0 || v > 255))
    throw new RangeError(`${field}: 16 integers in 0..255 expected`);
  return Object.freeze([...values]);
}

function checkU16(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff)
    throw new RangeError(`${field}: an integer in 0..65535 expected`);
  return v;
}

function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function checkDate(d: Date, field: string): Date {
  if (!(d instanceof Date) || !Number.isFinite(d.getTime()))
    throw new TypeError(`${field} must be a valid Date`);
  return d;
}

/** Resolves options into the serialisable config (defaults applied, inputs checked). */
export function resolveSimulatedPlatformConfig(options: SimulatedPlatformOptions): SimulatedPlatformConfig {
  const seed = seedBytes(options.seed);
  const now = wholeSeconds(checkDate(options.now, 'now').getTime());
  const pkiNotBefore = wholeSeconds(
    options.pkiNotBefore === undefined
      ? now.getTime() - DAY_MS
      : checkDate(options.pkiNotBefore, 'pkiNotBefore').getTime(),
  );
  const fmspc = (options.fmspc ?? SIM_DEFAULTS.fmspc).toUpperCase();
  fromHex(fmspc, 'fmspc', 6);
  const pceId = (options.pceId ?? SIM_DEFAULTS.pceId).toUpperCase();
  fromHex(pceId, 'pceId', 2);
  const caType = options.caType ?? SIM_DEFAULTS.caType;
  if (caType !== 'platform' && caType !== 'processor')
    throw new RangeError("caType is 'platform' or 'processor'");
  const cpuSvn = checkSvns(options.cpuSvn ?? SIM_DEFAULTS.cpuSvn, 'cpuSvn');
  const pceSvn = checkU16(options.pceSvn ?? SIM_DEFAULTS.pceSvn, 'pceSvn');
  const teeTcbSvn = checkSvns(options.teeTcbSvn ?? SIM_DEFAULTS.teeTcbSvn, 'teeTcbSvn');
  const qeSvn = checkU16(options.qeSvn ?? SIM_DEFAULTS.qeSvn, 'qeSvn');
  const tdQeSvn = checkU16(options.tdQeSvn ?? SIM_DEFAULTS.tdQeSvn, 'tdQeSvn');
  const validity = options.collateralValidityDays ?? SIM_DEFAULTS.collateralValidityDays;
  if (!(validity > 0) || !Number.isFinite(validity))
    throw new RangeError('collateralValidityDays must be positive');
  const zeros = new Array<number>(16).fill(0);
  const lowerLevel: SimTcbLevel = {
    tcbStatus: 'OutOfDate',
    sgxTcbComponents: zeros,
    pceSvn: 0,
    advisoryIds: [SIM_DEFAULTS.advisoryId],
  };
  const config: SimulatedPlatformConfig = {
    format: 'attestkit-sim-platform',
    version: 1,
    seed: toHex(seed),
    now: now.toISOString(),
    pkiNotBefore: pkiNotBefore.toISOString(),
    fmspc,
    pceId,
    caType,
    cpuSvn,
    pceSvn,
    teeTcbSvn,
    qeSvn,
    tdQeSvn,
    tcbLevels: options.tcbLevels ?? [UP_TO_DATE, lowerLevel],
    tdxTcbLevels: options.tdxTcbLevels ?? [UP_TO_DATE, { ...lowerLevel, tdxTcbComponents: zeros }],
    qeTcbLevels: options.qeTcbLevels ?? [{ isvSvn: qeSvn, tcbStatus: 'UpToDate' }],
    tdQeTcbLevels: options.tdQeTcbLevels ?? [{ isvSvn: tdQeSvn, tcbStatus: 'UpToDate' }],
    tdxModuleTcbLevels: options.tdxModuleTcbLevels ?? [{ isvSvn: teeTcbSvn[0]!, tcbStatus: 'UpToDate' }],
    revokedSerials: [...(options.revokedSerials ?? [])],
    revokePck: options.revokePck ?? false,
    collateralValidityDays: validity,
    tcbEvaluationDataNumber: checkU16(
      options.tcbEvaluationDataNumber ?? SIM_DEFAULTS.tcbEvaluationDataNumber,
      'tcbEvaluationDataNumber',
    ),
  };
  return Object.freeze(config);
}

const NON_DEBUG_ATTRIBUTES = fromHex('0500000000000000e700000000000000');
/** TDATTRIBUTES with SEPT_VE_DISABLE (bit 28) set, little-endian. */
const TD_ATTRIBUTES_SEPT_VE_DISABLE = fromHex('0000001000000000');
const TD_XFAM = fromHex('e702060000000000');

/**
 * Creates a simulated platform. Deterministic: the same options give byte-identical certificates,
 * CRLs, collateral, keys and quotes. Takes well under a second.
 */
export async function createSimulatedPlatform(options: SimulatedPlatformOptions): Promise<SimulatedPlatform> {
  return platformFromConfig(resolveSimulatedPlatformConfig(options));
}

/** Re-creates a platform from its resolved config (as read from `platform.json`). */
export async function platformFromConfig(config: SimulatedPlatformConfig): Promise<SimulatedPlatform> {
  const seed = fromHex(config.seed, 'seed');
  const now = new Date(config.now);
  const nextUpdate = new Date(now.getTime() + config.collateralValidityDays * DAY_MS);
  const cpuSvn = Uint8Array.from(config.cpuSvn);
  const teeTcbSvn = Uint8Array.from(config.teeTcbSvn);
  const fmspc = fromHex(config.fmspc, 'fmspc', 6);
  const pceId = fromHex(config.pceId, 'pceId', 2);

  const pki = await createSimulatedPki({
    seed,
    notBefore: new Date(config.pkiNotBefore),
    platform: {
      ppid: deriveBytes(seed, 'platform/ppid', 16),
      cpuSvn,
      pceSvn: config.pceSvn,
      pceId,
      fmspc,
      caType: config.caType,
      ...(config.caType === 'platform'
        ? { platformInstanceId: deriveBytes(seed, 'platform/instance-id', 16) }
        : {}),
    },
  });
  const crls = await createSimulatedCrls(pki, {
    thisUpdate: now,
    nextUpdate,
    revokedSerials: config.revokePck ? [...config.revokedSerials, pki.pck.serial] : config.revokedSerials,
  });

  const sgxQe = createSimulatedQe({ seed, kind: 'QE', pki, isvSvn: config.qeSvn });
  const tdQe = createSimulatedQe({ seed, kind: 'TD_QE', pki, isvSvn: config.tdQeSvn });

  // Levels default their SVNs and date to the platform's own.
  const tcbDate = formatIntelDate(
    new Date(Math.floor(new Date(config.pkiNotBefore).getTime() / DAY_MS) * DAY_MS),
  );
  const platformLevels = (levels: readonly SimTcbLevel[], tdx: boolean) =>
    levels.map((l) => ({
      ...l,
      sgxTcbComponents: l.sgxTcbComponents ?? config.cpuSvn,
      pceSvn: l.pceSvn ?? config.pceSvn,
      tcbDate: l.tcbDate ?? tcbDate,
      ...(tdx ? { tdxTcbComponents: l.tdxTcbComponents ?? config.teeTcbSvn } : {}),
    }));
  const identityLevels = (levels: readonly SimIdentityLevel[]) =>
    levels.map((l) => ({ ...l, tcbDate: l.tcbDate ?? tcbDate }));
  const common = {
    issueDate: now,
    nextUpdate,
    tcbEvaluationDataNumber: config.tcbEvaluationDataNumber,
  };
  const noSeamSigner = {
    mrSigner: new Uint8Array(48),
    attributes: new Uint8Array(8),
    attributesMask: fromHex('ffffffffffffffff'),
  };
  const moduleId = `TDX_${config.teeTcbSvn[1]!.toString(16).toUpperCase().padStart(2, '0')}`;

  const tcbInfo = {
    sgx: signCollateralText(
      pki,
      buildTcbInfoJson({
        ...common,
        id: 'SGX',
        fmspc,
        pceId,
        tcbLevels: platformLevels(config.tcbLevels, false),
      }),
    ),
    tdx: signCollateralText(
      pki,
      buildTcbInfoJson({
        ...common,
        id: 'TDX',
        fmspc,
        pceId,
        tdxModule: noSeamSigner,
        tdxModuleIdentities: [
          { id: moduleId, ...noSeamSigner, tcbLevels: identityLevels(config.tdxModuleTcbLevels) },
        ],
        tcbLevels: platformLevels(config.tdxTcbLevels, true),
      }),
    ),
  };
  const qeIdentityFor = (qe: SimulatedQe, levels: readonly SimIdentityLevel[]): SignedDocument =>
    signCollateralText(
      pki,
      buildQeIdentityJson({
        ...common,
        id: qe.kind,
        miscSelect: 0,
        miscSelectMask: 0xffffffff,
        attributes: SIM_QE_IDENTITY_ATTRIBUTES,
        attributesMask: SIM_QE_IDENTITY_ATTRIBUTES_MASK,
        mrSigner: qe.mrSigner,
        isvProdId: qe.isvProdId,
        tcbLevels: identityLevels(levels),
      }),
    );
  const qeIdentity = {
    sgx: qeIdentityFor(sgxQe, config.qeTcbLevels),
    tdx: qeIdentityFor(tdQe, config.tdQeTcbLevels),
  };
  const collateral = {
    sgx: assembleCollateral(pki, crls, tcbInfo.sgx, qeIdentity.sgx),
    tdx: assembleCollateral(pki, crls, tcbInfo.tdx, qeIdentity.tdx),
  };
  const mrSeam = deriveBytes(seed, 'platform/mrseam', 48);

  const sgxReportBody = (init: ReportBodyInit = {}): Uint8Array =>
    encodeReportBody({ cpuSvn, attributes: NON_DEBUG_ATTRIBUTES, ...init });
  const tdReport = (init: Omit<TdReportInit, 'kind'> = {}): Uint8Array =>
    encodeTdReport({
      teeTcbSvn,
      mrSeam,
      tdAttributes: TD_ATTRIBUTES_SEPT_VE_DISABLE,
      xfam: TD_XFAM,
      ...init,
      kind: 'td10',
    });

  return Object.freeze({
    config,
    now,
    pki,
    crls,
    rootPem: pki.root.pem,
    qe: Object.freeze({ sgx: sgxQe, tdx: tdQe }),
    tcbInfo: Object.freeze(tcbInfo),
    qeIdentity: Object.freeze(qeIdentity),
    collateral: Object.freeze(collateral),
    collateralJson: Object.freeze({
      sgx: writeCollateralJson(collateral.sgx),
      tdx: writeCollateralJson(collateral.tdx),
    }),
    pcs: buildPcsResponses(pki, crls, {
      sgxTcbInfo: tcbInfo.sgx,
      tdxTcbInfo: tcbInfo.tdx,
      sgxQeIdentity: qeIdentity.sgx,
      tdxQeIdentity: qeIdentity.tdx,
    }),
    sgxReportBody,
    tdReport,
    quoteSgx: (report: Uint8Array | ReportBodyInit = {}): Uint8Array =>
      generateSgxQuote(sgxQe, report instanceof Uint8Array ? report : sgxReportBody(report)),
    quoteTdx: (report: Uint8Array | Omit<TdReportInit, 'kind'> = {}): Uint8Array =>
      generateTdxQuote(tdQe, report instanceof Uint8Array ? report : tdReport(report)),
  });
}

/**
 * The files {@link saveSimulatedPlatform} writes into its directory:
 *
 * - `platform.json`: the resolved {@link SimulatedPlatformConfig} (seed included); the source of
 *   truth {@link loadSimulatedPlatform} re-creates the platform from;
 * - `sim-root.pem`: the simulated root CA certificate, the trust anchor to give a verifier;
 * - `sim-root.key.pem`, `pck-ca.pem`, `pck-ca.key.pem`, `pck.pem`, `pck.key.pem`,
 *   `tcb-signing.pem`, `tcb-signing.key.pem`: the other certificates and the PKCS#8 keys;
 * - `qe-attestation.key.pem`, `td-qe-attestation.key.pem`: the QE and TD QE attestation keys;
 * - `collateral.json` (SGX) and `collateral-tdx.json` (TDX): dcap-qvl `QuoteCollateralV3` JSON;
 * - `root-ca-crl.der`, `pck-crl.der`: the CRLs.
 *
 * The keys are simulation keys: anyone holding the directory can forge quotes for this simulated
 * platform, which is its purpose.
 */
export const SIM_PLATFORM_FILES: {
  readonly config: 'platform.json';
  readonly rootCert: 'sim-root.pem';
  readonly rootKey: 'sim-root.key.pem';
  readonly pckCaCert: 'pck-ca.pem';
  readonly pckCaKey: 'pck-ca.key.pem';
  readonly pckCert: 'pck.pem';
  readonly pckKey: 'pck.key.pem';
  readonly tcbSigningCert: 'tcb-signing.pem';
  readonly tcbSigningKey: 'tcb-signing.key.pem';
  readonly qeAttestationKey: 'qe-attestation.key.pem';
  readonly tdQeAttestationKey: 'td-qe-attestation.key.pem';
  readonly collateral: 'collateral.json';
  readonly collateralTdx: 'collateral-tdx.json';
  readonly rootCaCrl: 'root-ca-crl.der';
  readonly pckCrl: 'pck-crl.der';
} = Object.freeze({
  config: 'platform.json',
  rootCert: 'sim-root.pem',
  rootKey: 'sim-root.key.pem',
  pckCaCert: 'pck-ca.pem',
  pckCaKey: 'pck-ca.key.pem',
  pckCert: 'pck.pem',
  pckKey: 'pck.key.pem',
  tcbSigningCert: 'tcb-signing.pem',
  tcbSigningKey: 'tcb-signing.key.pem',
  qeAttestationKey: 'qe-attestation.key.pem',
  tdQeAttestationKey: 'td-qe-attestation.key.pem',
  collateral: 'collateral.json',
  collateralTdx: 'collateral-tdx.json',
  rootCaCrl: 'root-ca-crl.der',
  pckCrl: 'pck-crl.der',
} as const);

/** Writes `platform` into `dir` (created if missing); the files are listed in {@link SIM_PLATFORM_FILES}. */
export async function saveSimulatedPlatform(platform: SimulatedPlatform, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const f = SIM_PLATFORM_FILES;
  const { pki } = platform;
  const secret = { mode: 0o600 } as const;
  await Promise.all([
    writeFile(join(dir, f.config), `${JSON.stringify(platform.config, null, 2)}\n`, secret),
    writeFile(join(dir, f.rootCert), pki.root.pem),
    writeFile(join(dir, f.rootKey), privateKeyPem(pki.root.key), secret),
    writeFile(join(dir, f.pckCaCert), pki.pckCa.pem),
    writeFile(join(dir, f.pckCaKey), privateKeyPem(pki.pckCa.key), secret),
    writeFile(join(dir, f.pckCert), pki.pck.pem),
    writeFile(join(dir, f.pckKey), privateKeyPem(pki.pck.key), secret),
    writeFile(join(dir, f.tcbSigningCert), pki.tcbSigning.pem),
    writeFile(join(dir, f.tcbSigningKey), privateKeyPem(pki.tcbSigning.key), secret),
    writeFile(join(dir, f.qeAttestationKey), privateKeyPem(platform.qe.sgx.attestationKey), secret),
    writeFile(join(dir, f.tdQeAttestationKey), privateKeyPem(platform.qe.tdx.attestationKey), secret),
    writeFile(join(dir, f.collateral), platform.collateralJson.sgx),
    writeFile(join(dir, f.collateralTdx), platform.collateralJson.tdx),
    writeFile(join(dir, f.rootCaCrl), platform.crls.rootCaCrl),
    writeFile(join(dir, f.pckCrl), platform.crls.pckCrl),
  ]);
}

function configError(dir: string, message: string, cause?: unknown): ConfigError {
  return new ConfigError('ERR_CONFIG_FILE', `${join(dir, SIM_PLATFORM_FILES.config)}: ${message}`, {
    ...(cause === undefined ? {} : { cause }),
    hint: 'Re-create the directory with `attestkit keygen --out DIR`.',
  });
}

function parseConfig(dir: string, text: string): SimulatedPlatformConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw configError(dir, 'not valid JSON', e);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw configError(dir, 'expected an object');
  const o = raw as Record<string, unknown>;
  if (o.format !== 'attestkit-sim-platform' || o.version !== 1)
    throw configError(dir, 'not an attestkit simulated platform (format/version)');
  try {
    // Re-resolve through the option checks so a hand-edited file cannot produce an invalid platform.
    const opt = <T>(k: string): T | undefined => (o[k] === undefined ? undefined : (o[k] as T));
    const resolved = resolveSimulatedPlatformConfig(
      Object.fromEntries(
        Object.entries({
          seed: fromHex(String(o.seed), 'seed'),
          now: new Date(String(o.now)),
          pkiNotBefore: new Date(String(o.pkiNotBefore)),
          fmspc: opt<string>('fmspc'),
          pceId: opt<string>('pceId'),
          caType: opt<PckCaType>('caType'),
          cpuSvn: opt<number[]>('cpuSvn'),
          pceSvn: opt<number>('pceSvn'),
          teeTcbSvn: opt<number[]>('teeTcbSvn'),
          qeSvn: opt<number>('qeSvn'),
          tdQeSvn: opt<number>('tdQeSvn'),
          tcbLevels: opt<SimTcbLevel[]>('tcbLevels'),
          tdxTcbLevels: opt<SimTcbLevel[]>('tdxTcbLevels'),
          qeTcbLevels: opt<SimIdentityLevel[]>('qeTcbLevels'),
          tdQeTcbLevels: opt<SimIdentityLevel[]>('tdQeTcbLevels'),
          tdxModuleTcbLevels: opt<SimIdentityLevel[]>('tdxModuleTcbLevels'),
          revokedSerials: opt<string[]>('revokedSerials'),
          revokePck: opt<boolean>('revokePck'),
          collateralValidityDays: opt<number>('collateralValidityDays'),
          tcbEvaluationDataNumber: opt<number>('tcbEvaluationDataNumber'),
        }).filter(([, v]) => v !== undefined),
      ) as unknown as SimulatedPlatformOptions,
    );
    return resolved;
  } catch (e) {
    throw configError(dir, e instanceof Error ? e.message : 'invalid content', e);
  }
}

/** Options of {@link loadSimulatedPlatform}. */
export interface LoadSimulatedPlatformOptions {
  /**
   * Re-issue the collateral and CRLs at this time (the certificates and keys stay the same, so
   * other processes sharing the directory keep verifying). Default: the saved `now`.
   */
  readonly now?: Date;
}

/**
 * Loads a platform saved by {@link saveSimulatedPlatform}: re-creates it from `platform.json` and
 * checks that the re-created root matches `sim-root.pem`.
 *
 * @throws ConfigError `ERR_CONFIG_FILE` when a file is missing, malformed or does not match.
 */
export async function loadSimulatedPlatform(
  dir: string,
  options: LoadSimulatedPlatformOptions = {},
): Promise<SimulatedPlatform> {
  let configText: string;
  let rootPem: string;
  try {
    [configText, rootPem] = await Promise.all([
      readFile(join(dir, SIM_PLATFORM_FILES.config), 'utf8'),
      readFile(join(dir, SIM_PLATFORM_FILES.rootCert), 'utf8'),
    ]);
  } catch (e) {
    throw configError(dir, 'cannot read the simulated platform files', e);
  }
  let config = parseConfig(dir, configText);
  if (options.now !== undefined) {
    config = Object.freeze({
      ...config,
      now: wholeSeconds(checkDate(options.now, 'now').getTime()).toISOString(),
    });
  }
  const platform = await platformFromConfig(config);
  if (platform.rootPem.trim() !== rootPem.trim()) {
    throw configError(
      dir,
      `${SIM_PLATFORM_FILES.rootCert} does not match the platform re-created from the seed`,
    );
  }
  return platform;
}
