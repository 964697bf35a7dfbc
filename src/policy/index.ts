/**
 * `attestkit/policy`: appraisal of verified evidence against a policy, and attestation results
 * (EAR JWTs).
 *
 * @module
 */
export {
  type AppraiseOptions,
  appraise,
  type PolicyCode,
  type RuleOutcome,
  type Verdict,
} from './appraise.ts';
export {
  type CreateEarOptions,
  createEar,
  EAR_PROFILE,
  type EarClaims,
  type EarStatus,
  type EarSubmod,
  type TrustworthinessVector,
  type VerifyEarOptions,
  verifyEar,
} from './ear.ts';
export {
  DEFAULT_ACCEPT_TCB,
  hasIdentityRule,
  hasSgxIdentityRule,
  hasTdIdentityRule,
  mergePolicy,
  type Policy,
  type PolicyInput,
  parsePolicy,
  policyId,
  type TdPolicy,
  type TdPolicyInput,
} from './schema.ts';
