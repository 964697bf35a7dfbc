/**
 * Appraisal: verified evidence + policy + time → a verdict (the third pure stage, STYLE.md §2.2).
 *
 * Every rule is judged and reported, in a fixed order (identity, debug, TCB status, advisories,
 * collateral age); the verdict's error carries the code of the first rule that failed.
 *
 * @module
 */
import { type CodeOf, PolicyError } from '../errors.ts';
import type { EnclaveIdentity, TdIdentity, VerifiedEvidence } from '../verify/types.ts';
import { hasSgxIdentityRule, hasTdIdentityRule, type Policy, policyId } from './schema.ts';

/** A policy-stage error code. */
export type PolicyCode = CodeOf<'policy'>;

/** The outcome of one policy rule. */
export interface RuleOutcome {
  /** A stable rule name, e.g. `mrEnclave`, `debug`, `tcbStatus`, `td.mrTd`. */
  readonly rule: string;
  readonly ok: boolean;
  /** What was required and what the evidence holds. */
  readonly detail: string;
  /** The code this rule fails with. */
  readonly code: PolicyCode;
}

/** The result of {@link appraise}: frozen. */
export interface Verdict {
  readonly accepted: boolean;
  /** Every rule, in the order judged. */
  readonly rules: readonly RuleOutcome[];
  /** When refused: a PolicyError with the first failing rule's code (the message lists all failures). */
  readonly error?: PolicyError;
  /** {@link policyId} of the policy applied. */
  readonly policyId: string;
  /** The time the appraisal was made at (ISO-8601 UTC). */
  readonly appraisedAt: string;
}

/** Options of {@link appraise}. */
export interface AppraiseOptions {
  /** The time of the appraisal (collateral age is measured to it). */
  readonly now: Date;
}

const MS_PER_DAY = 86_400_000;

function listRule(
  rule: string,
  code: PolicyCode,
  allowed: readonly string[],
  actual: string | undefined,
  what: string,
): RuleOutcome {
  if (allowed.length === 0) return { rule, ok: true, detail: `any ${what} (no rule)`, code };
  if (actual === undefined) return { rule, ok: false, detail: `the evidence carries no ${what}`, code };
  const ok = allowed.includes(actual);
  return {
    rule,
    ok,
    detail: ok
      ? `${what} ${actual} is allowed`
      : `${what} ${actual} is not in the allowed list (${allowed.length})`,
    code,
  };
}

function sgxIdentityRules(enclave: EnclaveIdentity | undefined, policy: Policy): RuleOutcome[] {
  const out: RuleOutcome[] = [];
  if (!hasSgxIdentityRule(policy) && hasTdIdentityRule(policy)) {
    // The policy names only TD identities: no SGX enclave is trusted by it (fail closed).
    out.push({
      rule: 'mrEnclave',
      ok: false,
      detail: 'the policy names TD identities only; no SGX enclave is allowed',
      code: 'ERR_POLICY_MR_ENCLAVE',
    });
  } else {
    out.push(
      listRule('mrEnclave', 'ERR_POLICY_MR_ENCLAVE', policy.mrEnclave, enclave?.mrEnclave, 'MRENCLAVE'),
    );
  }
  out.push(listRule('mrSigner', 'ERR_POLICY_MR_SIGNER', policy.mrSigner, enclave?.mrSigner, 'MRSIGNER'));
  const prod = policy.isvProdId;
  if (prod === undefined) {
    out.push({
      rule: 'isvProdId',
      ok: true,
      detail: 'any ISVPRODID (no rule)',
      code: 'ERR_POLICY_ISV_PROD_ID',
    });
  } else {
    const ok = enclave !== undefined && enclave.isvProdId === prod;
    out.push({
      rule: 'isvProdId',
      ok,
      detail: `ISVPRODID ${enclave?.isvProdId ?? '(none)'}, required ${prod}`,
      code: 'ERR_POLICY_ISV_PROD_ID',
    });
  }
  const min = policy.minIsvSvn;
  if (min === undefined) {
    out.push({ rule: 'minIsvSvn', ok: true, detail: 'any ISVSVN (no rule)', code: 'ERR_POLICY_ISV_SVN' });
  } else {
    const ok = enclave !== undefined && enclave.isvSvn >= min;
    out.push({
      rule: 'minIsvSvn',
      ok,
      detail: `ISVSVN ${enclave?.isvSvn ?? '(none)'}, required at least ${min}`,
      code: 'ERR_POLICY_ISV_SVN',
    });
  }
  return out;
}

function tdIdentityRules(td: TdIdentity | undefined, policy: Policy): RuleOutcome[] {
  const code: PolicyCode = 'ERR_POLICY_TD_IDENTITY';
  const p = policy.td;
  const out: RuleOutcome[] = [];
  if (!hasTdIdentityRule(policy) && hasSgxIdentityRule(policy)) {
    out.push({
      rule: 'td.mrTd',
      ok: false,
      detail: 'the policy names SGX enclave identities only; no TD is allowed',
      code,
    });
  } else {
    out.push(listRule('td.mrTd', code, p.mrTd, td?.mrTd, 'MRTD'));
  }
  const rtmrs = [p.rtmr0, p.rtmr1, p.rtmr2, p.rtmr3] as const;
  rtmrs.forEach((allowed, i) => {
    out.push(listRule(`td.rtmr${i}`, code, allowed, td?.rtmr[i], `RTMR${i}`));
  });
  if (p.tdAttributesMask === undefined) {
    out.push({ rule: 'td.tdAttributes', ok: true, detail: 'any TDATTRIBUTES (no rule)', code });
  } else {
    const mask = BigInt(`0x${p.tdAttributesMask}`);
    const want = BigInt(`0x${p.tdAttributesValue ?? '0'}`);
    const have = td === undefined ? undefined : BigInt(`0x${td.tdAttributes}`);
    const ok = have !== undefined && (have & mask) === (want & mask);
    out.push({
      rule: 'td.tdAttributes',
      ok,
      detail: `TDATTRIBUTES ${td?.tdAttributes ?? '(none)'} & ${p.tdAttributesMask} must be ${p.tdAttributesValue}`,
      code,
    });
  }
  out.push(listRule('td.mrSeam', code, p.mrSeam, td?.mrSeam, 'MRSEAM'));
  out.push(listRule('td.mrSignerSeam', code, p.mrSignerSeam, td?.mrSignerSeam, 'MRSIGNERSEAM'));
  return out;
}

/**
 * Appraises verified evidence against a policy at `now`. Judges every rule and reports each; the
 * evidence is accepted only when all pass. For TDX, the MRENCLAVE/MRSIGNER/ISV rules do not apply
 * and the `td` rules do; debug is TDATTRIBUTES bit 0 (SGX: ATTRIBUTES.DEBUG). An EPID report whose
 * IAS status does not map onto a TCB status is refused; `Revoked` is always refused.
 */
export function appraise(evidence: VerifiedEvidence, policy: Policy, options: AppraiseOptions): Verdict {
  const now = options.now;
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw new TypeError('options.now must be a valid Date');
  const isTdx = evidence.kind === 'dcap' && evidence.teeType === 'TDX';
  const rules: RuleOutcome[] = [];

  // 1. Identity (DESIGN.md "Security posture": no identity is trusted by default).
  let debug: boolean | undefined;
  if (isTdx) {
    const td = evidence.kind === 'dcap' ? evidence.td : undefined;
    rules.push(...tdIdentityRules(td, policy));
    debug = td?.debug;
  } else {
    rules.push(...sgxIdentityRules(evidence.enclave, policy));
    debug = evidence.enclave?.debug;
  }

  // 2. Debug enclaves and TDs are refused unless allowed (STYLE.md §2.4, dcap-qvl `allow_debug`).
  rules.push({
    rule: 'debug',
    ok: debug === false || (debug === true && policy.allowDebug),
    detail:
      debug === undefined
        ? 'the evidence carries no debug attribute'
        : debug
          ? `a debug ${isTdx ? 'TD' : 'enclave'}; debug ${policy.allowDebug ? 'allowed' : 'not allowed'}`
          : `not a debug ${isTdx ? 'TD' : 'enclave'}`,
    code: 'ERR_POLICY_DEBUG',
  });

  // 3. TCB status (DCAP-VERIFICATION.md §2.1; Revoked is never acceptable).
  const status = evidence.tcbStatus;
  const raw = evidence.kind === 'epid' ? ` (IAS ${evidence.iasStatus})` : '';
  rules.push({
    rule: 'tcbStatus',
    ok: status !== undefined && status !== 'Revoked' && policy.acceptTcb.includes(status),
    detail:
      status === undefined
        ? `no TCB status${raw}: always refused`
        : `${status}${raw}; accepted: ${policy.acceptTcb.join(', ') || '(none)'}`,
    code: 'ERR_POLICY_TCB_STATUS',
  });

  // 4. Advisories (DCAP-VERIFICATION.md §2.2: an allow-list is the caller's policy).
  const allowedAdvisories = policy.allowedAdvisoryIds;
  if (allowedAdvisories === undefined) {
    rules.push({
      rule: 'advisories',
      ok: true,
      detail: `any advisory (no rule); reported: ${evidence.advisoryIds.join(', ') || 'none'}`,
      code: 'ERR_POLICY_ADVISORY',
    });
  } else {
    const bad = evidence.advisoryIds.filter((a) => !allowedAdvisories.includes(a));
    rules.push({
      rule: 'advisories',
      ok: bad.length === 0,
      detail: bad.length === 0 ? 'every advisory is allowed' : `not allowed: ${bad.join(', ')}`,
      code: 'ERR_POLICY_ADVISORY',
    });
  }

  // 5. Collateral age (DCAP-VERIFICATION.md §2.3; for EPID, the IAS report's timestamp).
  const maxDays = policy.maxCollateralAgeDays;
  const issued = evidence.kind === 'dcap' ? evidence.collateralIssuedAt : evidence.timestamp;
  if (maxDays === undefined) {
    rules.push({
      rule: 'collateralAge',
      ok: true,
      detail: `no limit; issued ${issued}`,
      code: 'ERR_POLICY_COLLATERAL_AGE',
    });
  } else {
    const t = Date.parse(issued);
    const ageDays = (now.getTime() - t) / MS_PER_DAY;
    rules.push({
      rule: 'collateralAge',
      ok: Number.isFinite(ageDays) && ageDays <= maxDays,
      detail: Number.isFinite(ageDays)
        ? `issued ${issued}, ${ageDays.toFixed(2)} days before ${now.toISOString()}; limit ${maxDays} days`
        : `unreadable issue time ${JSON.stringify(issued)}`,
      code: 'ERR_POLICY_COLLATERAL_AGE',
    });
  }

  const frozen = Object.freeze(rules.map((r) => Object.freeze(r)));
  const failed = frozen.filter((r) => !r.ok);
  const first = failed[0];
  const base = { rules: frozen, policyId: policyId(policy), appraisedAt: now.toISOString() };
  if (first === undefined) return Object.freeze({ accepted: true, ...base });
  const error = new PolicyError(
    first.code,
    `refused by policy: ${failed.map((r) => `${r.rule} (${r.detail})`).join('; ')}`,
    {
      hint: 'compare the evidence with the policy; widen the policy only if the relying party accepts the risk',
    },
  );
  return Object.freeze({ accepted: false, ...base, error });
}
