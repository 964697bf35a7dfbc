/**
 * The policy flags `verify` and `sp` share, one per policy key (issue 3 "Policy", issue 5
 * "policy/"), and how they combine with `--policy F`: the file's keys, then the flags' (flags
 * win, lists replace).
 *
 * @module
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { mergePolicy, type Policy, type PolicyInput, parsePolicy } from '../policy/schema.ts';
import { collect } from './common.ts';
import { zBool, zList } from './config.ts';
import { readTextOrThrow } from './io.ts';

const zUint = (max: number) => z.coerce.number().int().min(0).max(max);

/** The policy settings (zod), keyed by their flag's camelCase name. */
export const POLICY_SETTINGS: {
  readonly policy: z.ZodOptional<z.ZodString>;
  readonly mrEnclave: z.ZodOptional<z.ZodType<string[], unknown>>;
  readonly mrSigner: z.ZodOptional<z.ZodType<string[], unknown>>;
  readonly isvProdId: z.ZodOptional<z.ZodCoercedNumber<unknown>>;
  readonly minIsvSvn: z.ZodOptional<z.ZodCoercedNumber<unknown>>;
  readonly allowDebug: z.ZodOptional<z.ZodType<boolean, unknown>>;
  readonly acceptTcb: z.ZodOptional<z.ZodType<string[], unknown>>;
  readonly allowAdvisory: z.ZodOptional<z.ZodType<string[], unknown>>;
  readonly maxCollateralAge: z.ZodOptional<z.ZodCoercedNumber<unknown>>;
  readonly mrTd: z.ZodOptional<z.ZodType<string[], unknown>>;
  readonly rtmr: z.ZodOptional<z.ZodType<string[], unknown>>;
  readonly mrSeam: z.ZodOptional<z.ZodType<string[], unknown>>;
} = {
  policy: z.string().min(1).optional(),
  mrEnclave: zList.optional(),
  mrSigner: zList.optional(),
  isvProdId: zUint(0xffff).optional(),
  minIsvSvn: zUint(0xffff).optional(),
  allowDebug: zBool.optional(),
  acceptTcb: zList.optional(),
  allowAdvisory: zList.optional(),
  maxCollateralAge: z.coerce.number().positive().optional(),
  mrTd: zList.optional(),
  rtmr: zList.optional(),
  mrSeam: zList.optional(),
};

/** The parsed policy settings. */
export interface PolicySettings {
  readonly policy?: string | undefined;
  readonly mrEnclave?: string[] | undefined;
  readonly mrSigner?: string[] | undefined;
  readonly isvProdId?: number | undefined;
  readonly minIsvSvn?: number | undefined;
  readonly allowDebug?: boolean | undefined;
  readonly acceptTcb?: string[] | undefined;
  readonly allowAdvisory?: string[] | undefined;
  readonly maxCollateralAge?: number | undefined;
  readonly mrTd?: string[] | undefined;
  readonly rtmr?: string[] | undefined;
  readonly mrSeam?: string[] | undefined;
}

/** Adds the policy flags to a command. */
export function addPolicyOptions(cmd: Command): Command {
  return cmd
    .option('--policy <file>', 'policy file (JSON; keys as the flags below, e.g. mrEnclave, acceptTcb)')
    .option('--mr-enclave <hex,...>', 'allowed MRENCLAVE values')
    .option('--mr-signer <hex,...>', 'allowed MRSIGNER values')
    .option('--isv-prod-id <n>', 'required ISVPRODID')
    .option('--min-isv-svn <n>', 'lowest ISVSVN accepted')
    .option('--allow-debug', 'accept debug enclaves and TDs (development only)')
    .option(
      '--accept-tcb <status,...>',
      'TCB statuses accepted (default UpToDate,SWHardeningNeeded; never Revoked)',
    )
    .option('--allow-advisory <id,...>', 'when given, every reported advisory must be in this list')
    .option('--max-collateral-age <days>', 'refuse collateral issued more than this many days ago')
    .option('--mr-td <hex,...>', 'TDX: allowed MRTD values')
    .option('--rtmr <n=hex>', 'TDX: allowed value of RTMR n (0..3); repeatable', collect)
    .option('--mr-seam <hex,...>', 'TDX: allowed MRSEAM values');
}

function rtmrLists(
  values: readonly string[],
): Pick<NonNullable<PolicyInput['td']>, 'rtmr0' | 'rtmr1' | 'rtmr2' | 'rtmr3'> {
  const lists: [string[], string[], string[], string[]] = [[], [], [], []];
  for (const v of values) {
    const m = /^([0-3])=(.+)$/.exec(v.trim());
    if (m === null) {
      throw new ConfigError(
        'ERR_CONFIG_INVALID',
        `setting "rtmr": expected N=HEX with N in 0..3, got ${JSON.stringify(v)}`,
      );
    }
    lists[Number(m[1])]!.push(m[2]!);
  }
  const out: { rtmr0?: string[]; rtmr1?: string[]; rtmr2?: string[]; rtmr3?: string[] } = {};
  lists.forEach((l, i) => {
    if (l.length > 0) out[`rtmr${i}` as 'rtmr0'] = l;
  });
  return out;
}

/** True when the settings name an identity by flag (before looking at the policy file). */
export function flagsNameIdentity(s: PolicySettings): boolean {
  return (s.mrEnclave?.length ?? 0) > 0 || (s.mrSigner?.length ?? 0) > 0 || (s.mrTd?.length ?? 0) > 0;
}

/**
 * The policy: the `--policy` file (validated by `policy/`) with the flags merged over it.
 *
 * @throws PolicyError `ERR_POLICY_INVALID` (a bad key or value; exit 2), ConfigError `ERR_CONFIG_FILE`.
 */
export function buildPolicy(s: PolicySettings): Policy {
  const file = s.policy === undefined ? undefined : parsePolicy(readTextOrThrow(s.policy, 'policy file'));
  const td: Record<string, unknown> = {
    ...(s.mrTd === undefined ? {} : { mrTd: s.mrTd }),
    ...(s.rtmr === undefined ? {} : rtmrLists(s.rtmr)),
    ...(s.mrSeam === undefined ? {} : { mrSeam: s.mrSeam }),
  };
  const flags: PolicyInput = {
    mrEnclave: s.mrEnclave,
    mrSigner: s.mrSigner,
    isvProdId: s.isvProdId,
    minIsvSvn: s.minIsvSvn,
    allowDebug: s.allowDebug,
    acceptTcb: s.acceptTcb,
    allowedAdvisoryIds: s.allowAdvisory,
    maxCollateralAgeDays: s.maxCollateralAge,
    ...(Object.keys(td).length === 0 ? {} : { td: td as PolicyInput['td'] }),
  };
  return mergePolicy(file, flags);
}
