/**
 * The appraisal policy: which enclaves and trust domains a relying party accepts, and on which
 * platforms (DESIGN.md "Security posture", DCAP-VERIFICATION.md §2 and step K).
 *
 * Defaults fail closed: debug enclaves are refused, only `UpToDate` and `SWHardeningNeeded` are
 * accepted, and `Revoked` can never be accepted. Identity lists that are empty impose no rule; a
 * relying party that names no identity at all must opt in to that explicitly
 * ({@link hasIdentityRule}).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PolicyError } from '../errors.ts';
import { TCB_STATUSES, type TcbStatus } from '../verify/types.ts';

/** The TDX part of a {@link Policy}: allowed values per measurement; an empty list imposes no rule. */
export interface TdPolicy {
  /** Allowed MRTD values (48-byte hex, lowercase). */
  readonly mrTd: readonly string[];
  readonly rtmr0: readonly string[];
  readonly rtmr1: readonly string[];
  readonly rtmr2: readonly string[];
  readonly rtmr3: readonly string[];
  /** 8-byte hex mask over TDATTRIBUTES; the masked bits must equal {@link TdPolicy.tdAttributesValue}. */
  readonly tdAttributesMask?: string;
  /** 8-byte hex; the required value of the masked TDATTRIBUTES bits (zeros when only the mask is given). */
  readonly tdAttributesValue?: string;
  /** Allowed MRSEAM values (the TDX module). */
  readonly mrSeam: readonly string[];
  /** Allowed MRSIGNERSEAM values. */
  readonly mrSignerSeam: readonly string[];
}

/** A validated, normalised, frozen appraisal policy (see {@link parsePolicy}). */
export interface Policy {
  /** Allowed MRENCLAVE values (32-byte hex, lowercase); empty: any. */
  readonly mrEnclave: readonly string[];
  /** Allowed MRSIGNER values (32-byte hex, lowercase); empty: any. */
  readonly mrSigner: readonly string[];
  /** The required ISVPRODID, if any. */
  readonly isvProdId?: number;
  /** The lowest ISVSVN accepted, if any. */
  readonly minIsvSvn?: number;
  /** Accept debug enclaves and TDs (default false: never in production). */
  readonly allowDebug: boolean;
  /** TCB statuses accepted (default `UpToDate`, `SWHardeningNeeded`); never `Revoked`. */
  readonly acceptTcb: readonly TcbStatus[];
  /** When set, every advisory ID the evidence reports must be in this list. */
  readonly allowedAdvisoryIds?: readonly string[];
  /** When set, the collateral (or the IAS report) may be at most this many days old. */
  readonly maxCollateralAgeDays?: number;
  readonly td: TdPolicy;
}

/** The TDX part of a policy as written in a policy file (hex in either case, optional `0x`). */
export interface TdPolicyInput {
  readonly mrTd?: readonly string[] | undefined;
  readonly rtmr0?: readonly string[] | undefined;
  readonly rtmr1?: readonly string[] | undefined;
  readonly rtmr2?: readonly string[] | undefined;
  readonly rtmr3?: readonly string[] | undefined;
  readonly tdAttributesMask?: string | undefined;
  readonly tdAttributesValue?: string | undefined;
  readonly mrSeam?: readonly string[] | undefined;
  readonly mrSignerSeam?: readonly string[] | undefined;
}

/** A policy as written in a policy file or given as flags; every key optional. */
export interface PolicyInput {
  readonly mrEnclave?: readonly string[] | undefined;
  readonly mrSigner?: readonly string[] | undefined;
  readonly isvProdId?: number | undefined;
  readonly minIsvSvn?: number | undefined;
  readonly allowDebug?: boolean | undefined;
  readonly acceptTcb?: readonly string[] | undefined;
  readonly allowedAdvisoryIds?: readonly string[] | undefined;
  readonly maxCollateralAgeDays?: number | undefined;
  readonly td?: TdPolicyInput | undefined;
}

/** The TCB statuses accepted when a policy names none (DESIGN.md "Security posture"). */
export const DEFAULT_ACCEPT_TCB: readonly TcbStatus[] = Object.freeze([
  'UpToDate',
  'SWHardeningNeeded',
] as const);

const SGX_MEASUREMENT_BYTES = 32;
const TDX_MEASUREMENT_BYTES = 48;
const TD_ATTRIBUTES_BYTES = 8;

function hex(bytes: number) {
  return z.string().transform((s, ctx) => {
    const t = s.trim().replace(/^0x/i, '');
    if (!/^[0-9a-fA-F]*$/.test(t) || t.length !== bytes * 2) {
      ctx.addIssue({ code: 'custom', message: `expected ${bytes} bytes of hex (${bytes * 2} digits)` });
      return z.NEVER;
    }
    return t.toLowerCase();
  });
}

const hexList = (bytes: number) => z.array(hex(bytes)).max(10_000).default([]);

const TdSchema = z
  .strictObject({
    mrTd: hexList(TDX_MEASUREMENT_BYTES),
    rtmr0: hexList(TDX_MEASUREMENT_BYTES),
    rtmr1: hexList(TDX_MEASUREMENT_BYTES),
    rtmr2: hexList(TDX_MEASUREMENT_BYTES),
    rtmr3: hexList(TDX_MEASUREMENT_BYTES),
    tdAttributesMask: hex(TD_ATTRIBUTES_BYTES).optional(),
    tdAttributesValue: hex(TD_ATTRIBUTES_BYTES).optional(),
    mrSeam: hexList(TDX_MEASUREMENT_BYTES),
    mrSignerSeam: hexList(TDX_MEASUREMENT_BYTES),
  })
  .superRefine((td, ctx) => {
    if (td.tdAttributesValue !== undefined && td.tdAttributesMask === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tdAttributesMask'],
        message: 'required when tdAttributesValue is given',
      });
    }
  });

const u16 = z.number().int().min(0).max(0xffff);

const PolicySchema = z.strictObject({
  mrEnclave: hexList(SGX_MEASUREMENT_BYTES),
  mrSigner: hexList(SGX_MEASUREMENT_BYTES),
  isvProdId: u16.optional(),
  minIsvSvn: u16.optional(),
  allowDebug: z.boolean().default(false),
  acceptTcb: z
    .array(
      z.enum(TCB_STATUSES as [TcbStatus, ...TcbStatus[]]).refine((s): boolean => s !== 'Revoked', {
        message: "'Revoked' can never be accepted",
      }),
    )
    .default(() => ['UpToDate' as const, 'SWHardeningNeeded' as const]),
  allowedAdvisoryIds: z.array(z.string().trim().min(1).max(64)).max(10_000).optional(),
  maxCollateralAgeDays: z.number().positive().max(36_500).optional(),
  td: TdSchema.default({
    mrTd: [],
    rtmr0: [],
    rtmr1: [],
    rtmr2: [],
    rtmr3: [],
    mrSeam: [],
    mrSignerSeam: [],
  }),
});

type ParsedPolicy = z.output<typeof PolicySchema>;

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const path = i.path.map((p, n) =>
        typeof p === 'number' ? `[${p}]` : `${n === 0 ? '' : '.'}${String(p)}`,
      );
      const at = path.join('') || '(policy)';
      if (i.code === 'unrecognized_keys') {
        const prefix = path.join('');
        return i.keys.map((k) => `${prefix === '' ? k : `${prefix}.${k}`}: unknown key`).join('; ');
      }
      return `${at}: ${i.message}`;
    })
    .join('; ');
}

function freezeList<T>(list: readonly T[]): readonly T[] {
  return Object.freeze([...new Set(list)]);
}

function toPolicy(p: ParsedPolicy): Policy {
  const td: TdPolicy = Object.freeze({
    mrTd: freezeList(p.td.mrTd),
    rtmr0: freezeList(p.td.rtmr0),
    rtmr1: freezeList(p.td.rtmr1),
    rtmr2: freezeList(p.td.rtmr2),
    rtmr3: freezeList(p.td.rtmr3),
    ...(p.td.tdAttributesMask === undefined ? {} : { tdAttributesMask: p.td.tdAttributesMask }),
    ...(p.td.tdAttributesMask === undefined
      ? {}
      : { tdAttributesValue: p.td.tdAttributesValue ?? '0'.repeat(TD_ATTRIBUTES_BYTES * 2) }),
    mrSeam: freezeList(p.td.mrSeam),
    mrSignerSeam: freezeList(p.td.mrSignerSeam),
  });
  return Object.freeze({
    mrEnclave: freezeList(p.mrEnclave),
    mrSigner: freezeList(p.mrSigner),
    ...(p.isvProdId === undefined ? {} : { isvProdId: p.isvProdId }),
    ...(p.minIsvSvn === undefined ? {} : { minIsvSvn: p.minIsvSvn }),
    allowDebug: p.allowDebug,
    acceptTcb: freezeList(p.acceptTcb),
    ...(p.allowedAdvisoryIds === undefined ? {} : { allowedAdvisoryIds: freezeList(p.allowedAdvisoryIds) }),
    ...(p.maxCollateralAgeDays === undefined ? {} : { maxCollateralAgeDays: p.maxCollateralAgeDays }),
    td,
  });
}

/**
 * Validates and normalises a policy (JSON text, a {@link PolicyInput} or a {@link Policy}): unknown keys are errors, hex is
 * lowercased and length-checked (32 bytes for MRENCLAVE/MRSIGNER, 48 for TDX measurements, 8 for
 * TD attribute masks), defaults are filled in. Returns a frozen {@link Policy}.
 *
 * @throws PolicyError `ERR_POLICY_INVALID`, naming every offending key path.
 */
export function parsePolicy(input: unknown): Policy {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new PolicyError('ERR_POLICY_INVALID', 'policy: not valid JSON', { cause });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PolicyError('ERR_POLICY_INVALID', 'policy: must be a JSON object');
  }
  const r = PolicySchema.safeParse(value);
  if (!r.success) {
    throw new PolicyError('ERR_POLICY_INVALID', `policy: ${describeIssues(r.error.issues)}`, {
      hint: 'fix the named keys of the policy (hex in either case, TCB statuses by their DCAP names)',
    });
  }
  return toPolicy(r.data);
}

function plain(p: Policy | PolicyInput | undefined): Record<string, unknown> {
  return p === undefined ? {} : { ...(p as Record<string, unknown>) };
}

/**
 * Merges flag overrides onto a policy file's policy: every key the flags set replaces the file's
 * (flags win; lists are replaced, not joined; `td` is merged key by key). The result is
 * re-validated with {@link parsePolicy}.
 *
 * @throws PolicyError `ERR_POLICY_INVALID`.
 */
export function mergePolicy(
  filePolicy: Policy | PolicyInput | undefined,
  flagOverrides: PolicyInput,
): Policy {
  const merged = plain(filePolicy);
  for (const [key, value] of Object.entries(flagOverrides)) {
    if (value === undefined) continue;
    if (key === 'td' && typeof value === 'object' && value !== null) {
      const td: Record<string, unknown> = { ...((merged.td as Record<string, unknown> | undefined) ?? {}) };
      for (const [k, v] of Object.entries(value)) if (v !== undefined) td[k] = v;
      merged.td = td;
    } else {
      merged[key] = value;
    }
  }
  return parsePolicy(merged);
}

/** True when the policy names an SGX enclave identity (MRENCLAVE or MRSIGNER). */
export function hasSgxIdentityRule(policy: Policy): boolean {
  return policy.mrEnclave.length > 0 || policy.mrSigner.length > 0;
}

/** True when the policy names a TD identity (MRTD or an RTMR). */
export function hasTdIdentityRule(policy: Policy): boolean {
  const td = policy.td;
  return (
    td.mrTd.length > 0 ||
    td.rtmr0.length > 0 ||
    td.rtmr1.length > 0 ||
    td.rtmr2.length > 0 ||
    td.rtmr3.length > 0
  );
}

/**
 * True when the policy names at least one workload identity (SGX or TDX). DESIGN.md: "no enclave
 * identity is trusted by default" — a relying party without one must opt in with
 * `--dangerously-accept-any-enclave`.
 */
export function hasIdentityRule(policy: Policy): boolean {
  return hasSgxIdentityRule(policy) || hasTdIdentityRule(policy);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A stable identifier of a policy's content: `sha256:` and the hex digest of its canonical JSON. */
export function policyId(policy: Policy): string {
  return `sha256:${createHash('sha256').update(canonicalJson(policy)).digest('hex')}`;
}
