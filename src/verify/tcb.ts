/**
 * The TCB steps of DCAP verification, as pure functions over parsed collateral
 * (DCAP-VERIFICATION.md §1.2 F, H, I, J): the QE TCB level, the platform TCB level, the TDX module
 * identity and its level, and the convergence of their statuses.
 *
 * @module
 */
import type {
  IdentityLevelStatus,
  IdentityTcbLevel,
  QeIdentity,
  TcbInfo,
  TcbLevel,
  TcbLevelStatus,
} from '../collateral/index.ts';
import { VerificationError } from '../errors.ts';
import { bytesEqual, toHex } from '../wire/hex.ts';
import type { TcbStatus } from './types.ts';

/** The platform TCB a quote claims: the PCK certificate's TCB and, for TDX, the TD report's TEE TCB SVN. */
export interface PlatformTcb {
  /** The 16 CPUSVN components from the PCK certificate's SGX extension (.2.1–.2.16). */
  readonly sgxTcbComponents: ArrayLike<number>;
  /** PCESVN from the PCK certificate (.2.17). */
  readonly pceSvn: number;
  /** TDX only: the 16-byte `tee_tcb_svn` of the TD report. */
  readonly teeTcbSvn?: Uint8Array;
}

interface Shortfall {
  readonly kind: 'sgx' | 'tdx' | 'pcesvn';
  readonly index: number;
  readonly have: number;
  readonly need: number;
}

function describe(s: Shortfall): string {
  if (s.kind === 'pcesvn') return 'PCESVN';
  return `${s.kind === 'sgx' ? 'SGX' : 'TDX'} TCB component ${s.index + 1} (${s.kind}tcbcomponents[${s.index}])`;
}

/** The first requirement of `level` that `tcb` misses, or undefined when the level matches. */
function shortfall(level: TcbLevel, tcb: PlatformTcb, tdxStart: number): Shortfall | undefined {
  for (let i = 0; i < 16; i++) {
    const have = tcb.sgxTcbComponents[i] ?? 0;
    const need = level.sgxTcbComponents[i]!.svn;
    if (have < need) return { kind: 'sgx', index: i, have, need };
  }
  if (tcb.pceSvn < level.pceSvn) return { kind: 'pcesvn', index: 0, have: tcb.pceSvn, need: level.pceSvn };
  if (tcb.teeTcbSvn !== undefined) {
    const comps = level.tdxTcbComponents;
    if (comps === undefined) return { kind: 'tdx', index: 0, have: tcb.teeTcbSvn[0] ?? 0, need: 0 };
    for (let i = tdxStart; i < 16; i++) {
      const have = tcb.teeTcbSvn[i] ?? 0;
      const need = comps[i]!.svn;
      if (have < need) return { kind: 'tdx', index: i, have, need };
    }
  }
  return undefined;
}

/**
 * Step H (QVL 4.1.2.4.17): the first TCB level, in the order the TCB info lists them (highest
 * first), whose 16 SGX components and PCESVN are all ≤ the platform's and, for TDX, whose 16
 * `tdxtcbcomponents` are ≤ `tee_tcb_svn` — skipping components 0 and 1 when the TDX module version
 * `tee_tcb_svn[1]` is non-zero (Intel `TcbLevelCheck.cpp::isTdxTcbHigherOrEqual`).
 *
 * @throws VerificationError `ERR_VERIFY_TCB_NO_MATCH` ("TCB not supported"), naming the component
 *   that falls short.
 */
export function selectTcbLevel(tcbInfo: TcbInfo, tcb: PlatformTcb): TcbLevel {
  if (tcbInfo.id === 'TDX' && tcb.teeTcbSvn === undefined) {
    throw new VerificationError('ERR_VERIFY_TEE_MISMATCH', 'TDX TCB info needs the TD report TEE TCB SVN');
  }
  const tdxStart = tcb.teeTcbSvn !== undefined && (tcb.teeTcbSvn[1] ?? 0) !== 0 ? 2 : 0;
  const misses: Shortfall[] = [];
  for (const level of tcbInfo.tcbLevels) {
    const s = shortfall(level, tcb, tdxStart);
    if (s === undefined) return level;
    misses.push(s);
  }
  throw new VerificationError(
    'ERR_VERIFY_TCB_NO_MATCH',
    `no TCB level matches the platform: ${explain(misses)}`,
  );
}

function explain(misses: readonly Shortfall[]): string {
  const first = misses[0]!;
  const same = misses.every((m) => m.kind === first.kind && m.index === first.index);
  if (same) {
    const need = Math.min(...misses.map((m) => m.need));
    return `${describe(first)} is ${first.have}, every level needs at least ${need}`;
  }
  const last = misses[misses.length - 1]!;
  return `even the lowest level needs ${describe(last)} ≥ ${last.need}, the platform has ${last.have}`;
}

/**
 * Step D (QVL 4.1.2.4.10): the TCB info's FMSPC and PCE-ID must equal the PCK certificate's
 * (hex, compared case-insensitively). dcap-qvl skips the PCE-ID (DCAP-VERIFICATION.md §7.3 G7).
 *
 * @throws VerificationError `ERR_COLLATERAL_FMSPC_MISMATCH`, `ERR_COLLATERAL_PCEID_MISMATCH`.
 */
export function matchTcbInfoPlatform(
  tcbInfo: TcbInfo,
  pck: { readonly fmspc: string; readonly pceId: string },
): void {
  if (tcbInfo.fmspc.toUpperCase() !== pck.fmspc.toUpperCase()) {
    throw new VerificationError(
      'ERR_COLLATERAL_FMSPC_MISMATCH',
      `TCB info FMSPC ${tcbInfo.fmspc} differs from the PCK certificate's ${pck.fmspc.toUpperCase()}`,
    );
  }
  if (tcbInfo.pceId.toUpperCase() !== pck.pceId.toUpperCase()) {
    throw new VerificationError(
      'ERR_COLLATERAL_PCEID_MISMATCH',
      `TCB info PCE-ID ${tcbInfo.pceId} differs from the PCK certificate's ${pck.pceId.toUpperCase()}`,
    );
  }
}

/** The result of the TDX module step. */
export interface TdxModuleResult {
  /** `TDX_<version hex>` for a module identity, or `tdxModule` for module version 0. */
  readonly id: string;
  /** The module identity level (absent for module version 0, whose status is the platform's). */
  readonly level?: IdentityTcbLevel;
}

/** The TD report fields the TDX module step reads. */
export interface TdModuleFields {
  readonly teeTcbSvn: Uint8Array;
  readonly mrSignerSeam: Uint8Array;
  readonly seamAttributes: Uint8Array;
}

function maskedEqual(value: Uint8Array, expected: Uint8Array, mask: Uint8Array): boolean {
  if (value.length !== expected.length || mask.length !== expected.length) return false;
  for (let i = 0; i < value.length; i++) {
    if ((value[i]! & mask[i]!) !== (expected[i]! & mask[i]!)) return false;
  }
  return true;
}

/**
 * Step I (QVL 4.1.2.4.11, `Checks/TdxModuleCheck.cpp`): with module version `tee_tcb_svn[1]` = 0,
 * MRSIGNERSEAM and SEAMATTRIBUTES must match `tdxModule`; otherwise they must match the
 * `tdxModuleIdentities` entry `TDX_%02X`, whose level is the first with `isvsvn ≤ tee_tcb_svn[0]`.
 *
 * @throws VerificationError `ERR_VERIFY_TDX_MODULE_MISMATCH` (no identity for the version, wrong
 *   MRSIGNERSEAM or SEAMATTRIBUTES), `ERR_VERIFY_TCB_NO_MATCH` (module ISVSVN below every level).
 */
export function checkTdxModule(tcbInfo: TcbInfo, td: TdModuleFields): TdxModuleResult {
  const module = tcbInfo.tdxModule;
  if (tcbInfo.id !== 'TDX' || module === undefined) {
    throw new VerificationError(
      'ERR_VERIFY_TEE_MISMATCH',
      'the TCB info has no TDX module (not TDX collateral)',
    );
  }
  const isvSvn = td.teeTcbSvn[0] ?? 0;
  const version = td.teeTcbSvn[1] ?? 0;
  if (version === 0) {
    if (!bytesEqual(td.mrSignerSeam, module.mrSigner)) {
      throw new VerificationError(
        'ERR_VERIFY_TDX_MODULE_MISMATCH',
        `MRSIGNERSEAM ${toHex(td.mrSignerSeam)} differs from tdxModule.mrsigner`,
      );
    }
    if (!maskedEqual(td.seamAttributes, module.attributes, module.attributesMask)) {
      throw new VerificationError(
        'ERR_VERIFY_TDX_MODULE_MISMATCH',
        'SEAMATTRIBUTES differ from tdxModule.attributes',
      );
    }
    return Object.freeze({ id: 'tdxModule' });
  }
  const id = `TDX_${version.toString(16).toUpperCase().padStart(2, '0')}`;
  const identity = tcbInfo.tdxModuleIdentities?.find((m) => m.id.toUpperCase() === id);
  if (identity === undefined) {
    throw new VerificationError(
      'ERR_VERIFY_TDX_MODULE_MISMATCH',
      `the TCB info has no TDX module identity ${id} (tee_tcb_svn[1] = ${version})`,
    );
  }
  if (!bytesEqual(td.mrSignerSeam, identity.mrSigner)) {
    throw new VerificationError(
      'ERR_VERIFY_TDX_MODULE_MISMATCH',
      `MRSIGNERSEAM ${toHex(td.mrSignerSeam)} differs from ${id}.mrsigner`,
    );
  }
  if (!maskedEqual(td.seamAttributes, identity.attributes, identity.attributesMask)) {
    throw new VerificationError(
      'ERR_VERIFY_TDX_MODULE_MISMATCH',
      `SEAMATTRIBUTES differ from ${id}.attributes`,
    );
  }
  const level = identity.tcbLevels.find((l) => l.isvSvn <= isvSvn);
  if (level === undefined) {
    throw new VerificationError(
      'ERR_VERIFY_TCB_NO_MATCH',
      `TDX module ${id} ISVSVN ${isvSvn} is below every level (lowest needs ${Math.min(...identity.tcbLevels.map((l) => l.isvSvn))})`,
    );
  }
  return Object.freeze({ id, level });
}

/** The QE report fields the QE identity step reads. */
export interface QeReportFields {
  readonly miscSelect: number;
  readonly attributes: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  readonly isvSvn: number;
}

/**
 * Step F (QVL 4.1.2.4.15): MRSIGNER and ISVPRODID equal, `MISCSELECT & mask == miscselect`,
 * `ATTRIBUTES & mask == attributes`; then the QE TCB level is the first with `isvsvn ≤` the QE's.
 *
 * @throws VerificationError `ERR_VERIFY_QE_IDENTITY_MISMATCH`, `ERR_VERIFY_TCB_NO_MATCH` (the QE
 *   ISVSVN is below every level).
 */
export function matchQeIdentity(identity: QeIdentity, qe: QeReportFields): IdentityTcbLevel {
  const mismatch = (what: string): never => {
    throw new VerificationError(
      'ERR_VERIFY_QE_IDENTITY_MISMATCH',
      `QE report ${what} differs from the QE identity`,
    );
  };
  if (!bytesEqual(qe.mrSigner, identity.mrSigner)) mismatch('MRSIGNER');
  if (qe.isvProdId !== identity.isvProdId) mismatch('ISVPRODID');
  if (
    (qe.miscSelect & identity.miscSelectMask) >>> 0 !==
    (identity.miscSelect & identity.miscSelectMask) >>> 0
  ) {
    mismatch('MISCSELECT (masked)');
  }
  if (!maskedEqual(qe.attributes, identity.attributes, identity.attributesMask))
    mismatch('ATTRIBUTES (masked)');
  const level = identity.tcbLevels.find((l) => l.isvSvn <= qe.isvSvn);
  if (level === undefined) {
    throw new VerificationError(
      'ERR_VERIFY_TCB_NO_MATCH',
      `QE ISVSVN ${qe.isvSvn} is below every QE identity level`,
    );
  }
  return level;
}

/**
 * Step J (`TcbLevelCheck.cpp::convergeTcbStatusWithQeTcbStatus`, and the same rule for the TDX
 * module): an OutOfDate QE or module turns UpToDate/SWHardeningNeeded into OutOfDate and
 * Configuration* into OutOfDateConfigurationNeeded; Revoked anywhere gives Revoked.
 */
export function convergeTcbStatus(
  platform: TcbLevelStatus,
  ...others: readonly IdentityLevelStatus[]
): TcbStatus {
  let status: TcbStatus = platform;
  for (const other of others) {
    if (other === 'Revoked') return 'Revoked';
    if (other !== 'OutOfDate') continue;
    if (status === 'UpToDate' || status === 'SWHardeningNeeded') status = 'OutOfDate';
    else if (status === 'ConfigurationNeeded' || status === 'ConfigurationAndSWHardeningNeeded') {
      status = 'OutOfDateConfigurationNeeded';
    }
  }
  return status;
}

/** Sorted, de-duplicated union of advisory ID lists (§2.2). */
export function mergeAdvisoryIds(...lists: readonly (readonly string[])[]): readonly string[] {
  const set = new Set<string>();
  for (const l of lists) for (const a of l) set.add(a);
  return Object.freeze([...set].sort());
}
