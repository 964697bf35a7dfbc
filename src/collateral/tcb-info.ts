/**
 * TCB info (Intel PCS API v4: TCB info v2 for SGX, v3 for SGX and TDX) and its strict parser.
 *
 * The parser validates every field it uses by hand and rejects unknown versions; fields it does
 * not know are ignored (the document is signed by Intel, DCAP-VERIFICATION.md §6.3). The signature
 * is verified by `verify/` over the exact text, never over a re-serialisation.
 *
 * @module
 */
import { VerificationError } from '../errors.ts';
import { toHex } from '../wire/hex.ts';
import {
  asArray,
  asObject,
  formatError,
  getHexBytes,
  getOptionalStringArray,
  getString,
  getUint,
  type JsonObject,
  parseIsoDate,
  parseJson,
} from './json.ts';

/** The TEE a piece of collateral is for. */
export type TeeKind = 'SGX' | 'TDX';

/** The closed set of TCB info level statuses (DCAP-VERIFICATION.md §2.1; Intel `Verifiers/TcbStatus.h`). */
export type TcbLevelStatus =
  | 'UpToDate'
  | 'SWHardeningNeeded'
  | 'ConfigurationNeeded'
  | 'ConfigurationAndSWHardeningNeeded'
  | 'OutOfDate'
  | 'OutOfDateConfigurationNeeded'
  | 'Revoked';

/** The statuses a TDX module or QE identity level may carry (§2.1). */
export type IdentityLevelStatus = 'UpToDate' | 'OutOfDate' | 'Revoked';

/** Every {@link TcbLevelStatus}. */
export const TCB_LEVEL_STATUSES: readonly TcbLevelStatus[] = Object.freeze([
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
] as const);

/** Every {@link IdentityLevelStatus}. */
export const IDENTITY_LEVEL_STATUSES: readonly IdentityLevelStatus[] = Object.freeze([
  'UpToDate',
  'OutOfDate',
  'Revoked',
] as const);

/** One TCB component (`sgxtcbcomponents[i]` / `tdxtcbcomponents[i]`). */
export interface TcbComponent {
  readonly svn: number;
  readonly category?: string;
  readonly type?: string;
}

/** One platform TCB level. */
export interface TcbLevel {
  /** The 16 `sgxtcbcomponents` (v2: `sgxtcbcomp01svn`…`sgxtcbcomp16svn`). */
  readonly sgxTcbComponents: readonly TcbComponent[];
  readonly pceSvn: number;
  /** TDX only: the 16 `tdxtcbcomponents`. */
  readonly tdxTcbComponents?: readonly TcbComponent[];
  readonly tcbDate: string;
  readonly tcbStatus: TcbLevelStatus;
  /** `advisoryIDs`, empty when absent. */
  readonly advisoryIds: readonly string[];
}

/** One level of a TDX module identity or a QE identity: `{ tcb: { isvsvn }, tcbDate, tcbStatus, advisoryIDs? }`. */
export interface IdentityTcbLevel {
  readonly isvSvn: number;
  readonly tcbDate: string;
  readonly tcbStatus: IdentityLevelStatus;
  readonly advisoryIds: readonly string[];
}

/** `tdxModule`: the expected MRSIGNERSEAM and SEAMATTRIBUTES of a TDX module of version 0. */
export interface TdxModule {
  /** 48 bytes. */
  readonly mrSigner: Uint8Array;
  /** 8 bytes. */
  readonly attributes: Uint8Array;
  /** 8 bytes. */
  readonly attributesMask: Uint8Array;
}

/** An entry of `tdxModuleIdentities` (e.g. `TDX_01`). */
export interface TdxModuleIdentity extends TdxModule {
  readonly id: string;
  readonly tcbLevels: readonly IdentityTcbLevel[];
}

/** A parsed TCB info document. */
export interface TcbInfo {
  /** `SGX` or `TDX` (v2 has no `id`: SGX). */
  readonly id: TeeKind;
  readonly version: 2 | 3;
  readonly issueDate: string;
  readonly nextUpdate: string;
  /** `issueDate` in ms since the epoch. */
  readonly issueDateMs: number;
  /** `nextUpdate` in ms since the epoch. */
  readonly nextUpdateMs: number;
  /** Uppercase hex, 6 bytes. */
  readonly fmspc: string;
  /** Uppercase hex, 2 bytes. */
  readonly pceId: string;
  readonly tcbType: number;
  readonly tcbEvaluationDataNumber: number;
  readonly tdxModule?: TdxModule;
  readonly tdxModuleIdentities?: readonly TdxModuleIdentity[];
  readonly tcbLevels: readonly TcbLevel[];
}

const PATH = 'tcbInfo';
const COMPONENTS = 16;
const SVN_MAX = 0xff;
const PCESVN_MAX = 0xffff;

function unsupported(message: string): never {
  throw new VerificationError('ERR_COLLATERAL_UNSUPPORTED_VERSION', message);
}

function parseStatus<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    formatError(field, `unknown TCB status ${JSON.stringify(value)}`);
  }
  return value as T;
}

function parseComponents(value: unknown, field: string): readonly TcbComponent[] {
  const arr = asArray(value, field);
  if (arr.length !== COMPONENTS) formatError(field, `expected ${COMPONENTS} components, got ${arr.length}`);
  return Object.freeze(
    arr.map((c, i) => {
      const o = asObject(c, `${field}[${i}]`);
      const comp: { svn: number; category?: string; type?: string } = {
        svn: getUint(o, 'svn', `${field}[${i}]`, SVN_MAX),
      };
      if (o.category !== undefined) comp.category = getString(o, 'category', `${field}[${i}]`);
      if (o.type !== undefined) comp.type = getString(o, 'type', `${field}[${i}]`);
      return Object.freeze(comp);
    }),
  );
}

function dateString(obj: JsonObject, key: string, path: string): string {
  parseIsoDate(obj[key], `${path}.${key}`);
  return obj[key] as string;
}

/** Parses `tcbLevels` entries of a TDX module identity or QE identity. */
export function parseIdentityTcbLevels(value: unknown, field: string): readonly IdentityTcbLevel[] {
  const arr = asArray(value, field);
  if (arr.length === 0) formatError(field, 'no TCB levels');
  return Object.freeze(
    arr.map((l, i) => {
      const p = `${field}[${i}]`;
      const o = asObject(l, p);
      const tcb = asObject(o.tcb, `${p}.tcb`);
      return Object.freeze({
        isvSvn: getUint(tcb, 'isvsvn', `${p}.tcb`, 0xffff),
        tcbDate: dateString(o, 'tcbDate', p),
        tcbStatus: parseStatus(o.tcbStatus, IDENTITY_LEVEL_STATUSES, `${p}.tcbStatus`),
        advisoryIds: getOptionalStringArray(o, 'advisoryIDs', p),
      });
    }),
  );
}

function parseTdxModule(value: unknown, field: string): TdxModule {
  const o = asObject(value, field);
  return Object.freeze({
    mrSigner: getHexBytes(o, 'mrsigner', field, 48),
    attributes: getHexBytes(o, 'attributes', field, 8),
    attributesMask: getHexBytes(o, 'attributesMask', field, 8),
  });
}

function parseLevel(value: unknown, field: string, version: 2 | 3, tee: TeeKind): TcbLevel {
  const o = asObject(value, field);
  const tcb = asObject(o.tcb, `${field}.tcb`);
  let sgx: readonly TcbComponent[];
  let tdx: readonly TcbComponent[] | undefined;
  if (version === 2) {
    const comps: TcbComponent[] = [];
    for (let i = 1; i <= COMPONENTS; i++) {
      const key = `sgxtcbcomp${String(i).padStart(2, '0')}svn`;
      comps.push(Object.freeze({ svn: getUint(tcb, key, `${field}.tcb`, SVN_MAX) }));
    }
    sgx = Object.freeze(comps);
  } else {
    sgx = parseComponents(tcb.sgxtcbcomponents, `${field}.tcb.sgxtcbcomponents`);
    if (tee === 'TDX') tdx = parseComponents(tcb.tdxtcbcomponents, `${field}.tcb.tdxtcbcomponents`);
  }
  const level = {
    sgxTcbComponents: sgx,
    pceSvn: getUint(tcb, 'pcesvn', `${field}.tcb`, PCESVN_MAX),
    ...(tdx === undefined ? {} : { tdxTcbComponents: tdx }),
    tcbDate: dateString(o, 'tcbDate', field),
    tcbStatus: parseStatus(o.tcbStatus, TCB_LEVEL_STATUSES, `${field}.tcbStatus`),
    advisoryIds: getOptionalStringArray(o, 'advisoryIDs', field),
  };
  return Object.freeze(level);
}

/**
 * Parses the exact signed text of a TCB info (the value of `tcbInfo` in a PCS response).
 *
 * @throws ParseError `ERR_JSON_INVALID` (not JSON), `ERR_COLLATERAL_FORMAT` (a field missing or of
 *   the wrong type or length, an unknown status); VerificationError `ERR_COLLATERAL_UNSUPPORTED_VERSION`
 *   (a version other than 2/3, or an `id` other than SGX/TDX).
 */
export function parseTcbInfo(text: string): TcbInfo {
  const o = asObject(parseJson(text, PATH), PATH);
  const version = o.version;
  if (version !== 2 && version !== 3)
    unsupported(`TCB info version ${JSON.stringify(version)} is not supported`);
  let id: TeeKind;
  if (version === 2) {
    if (o.id !== undefined && o.id !== 'SGX') unsupported(`TCB info v2 id ${JSON.stringify(o.id)}`);
    id = 'SGX';
  } else {
    if (o.id !== 'SGX' && o.id !== 'TDX') unsupported(`TCB info id ${JSON.stringify(o.id)} is not supported`);
    id = o.id;
  }
  const issueDateMs = parseIsoDate(o.issueDate, `${PATH}.issueDate`);
  const nextUpdateMs = parseIsoDate(o.nextUpdate, `${PATH}.nextUpdate`);
  const fmspc = toHex(getHexBytes(o, 'fmspc', PATH, 6)).toUpperCase();
  const pceId = toHex(getHexBytes(o, 'pceId', PATH, 2)).toUpperCase();
  const tcbType = getUint(o, 'tcbType', PATH);
  const tcbEvaluationDataNumber = getUint(o, 'tcbEvaluationDataNumber', PATH);
  const levelsRaw = asArray(o.tcbLevels, `${PATH}.tcbLevels`);
  if (levelsRaw.length === 0) formatError(`${PATH}.tcbLevels`, 'no TCB levels');
  const tcbLevels = Object.freeze(
    levelsRaw.map((l, i) => parseLevel(l, `${PATH}.tcbLevels[${i}]`, version, id)),
  );
  const info: {
    -readonly [K in keyof TcbInfo]: TcbInfo[K];
  } = {
    id,
    version,
    issueDate: o.issueDate as string,
    nextUpdate: o.nextUpdate as string,
    issueDateMs,
    nextUpdateMs,
    fmspc,
    pceId,
    tcbType,
    tcbEvaluationDataNumber,
    tcbLevels,
  };
  if (id === 'TDX') {
    info.tdxModule = parseTdxModule(o.tdxModule, `${PATH}.tdxModule`);
    if (o.tdxModuleIdentities !== undefined) {
      const arr = asArray(o.tdxModuleIdentities, `${PATH}.tdxModuleIdentities`);
      info.tdxModuleIdentities = Object.freeze(
        arr.map((m, i) => {
          const p = `${PATH}.tdxModuleIdentities[${i}]`;
          const mo = asObject(m, p);
          return Object.freeze({
            id: getString(mo, 'id', p),
            ...parseTdxModule(mo, p),
            tcbLevels: parseIdentityTcbLevels(mo.tcbLevels, `${p}.tcbLevels`),
          });
        }),
      );
    }
  }
  return Object.freeze(info);
}
