/**
 * Output shared by the commands: exit codes from error codes, the `--json` objects of `verify`,
 * `sp` and `demo` (DESIGN.md "JSON output": hex lowercase except FMSPC, ISO-8601 UTC times, DCAP
 * status names), and the human report (each check with ✓/✗, a hint for the first failure; colours
 * only on a TTY).
 *
 * @module
 */
import pc from 'picocolors';
import { type AttestError, type ErrorCode, isAttestError } from '../errors.ts';
import type { RuleOutcome } from '../policy/appraise.ts';
import type { SpResult } from '../protocol/types.ts';
import type { QuoteFacts, QuoteInspection } from '../verify/dcap.ts';
import type { VerificationStep, VerifiedEvidence } from '../verify/types.ts';

/** Exit codes of every command (DESIGN.md "The user's surface"). */
export const EXIT = { OK: 0, REFUSED: 1, USAGE: 2, NETWORK: 3 } as const;

/** One of the {@link EXIT} codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Parse codes that mean "a quote, but not one attestkit verifies": refused (1), not unusable input
 * (2). DESIGN.md: "unknown quote version or TEE type" is a refusal.
 */
const UNSUPPORTED_QUOTE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_QUOTE_UNSUPPORTED_VERSION',
  'ERR_QUOTE_UNSUPPORTED_TEE_TYPE',
  'ERR_QUOTE_UNSUPPORTED_BODY_TYPE',
  'ERR_QUOTE_UNSUPPORTED_KEY_TYPE',
  'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
]);

/**
 * The exit code for an error. `source` says where parsed input came from: `'input'` (a file the
 * user gave: unparseable → 2) or `'peer'` (a network peer: unparseable → 3, a peer failure).
 * Unforeseen errors (not AttestErrors) are 2 ("unusable input") so that no crash reads as success.
 */
export function exitCodeFor(error: unknown, source: 'input' | 'peer' = 'input'): ExitCode {
  if (!isAttestError(error)) return EXIT.USAGE;
  if (UNSUPPORTED_QUOTE_CODES.has(error.code)) return EXIT.REFUSED;
  if (error.code === 'ERR_POLICY_INVALID') return EXIT.USAGE; // a bad policy file is configuration
  switch (error.stage) {
    case 'parse':
      return source === 'peer' ? EXIT.NETWORK : EXIT.USAGE;
    case 'config':
      return EXIT.USAGE;
    case 'network':
      return EXIT.NETWORK;
    default:
      return EXIT.REFUSED; // crypto, verify, policy, protocol
  }
}

/** Hints for codes whose error carries none: what a person can do next. */
const DEFAULT_HINTS: Partial<Record<ErrorCode, string>> = {
  ERR_WIRE_TRUNCATED:
    'the input is shorter than a quote: check that the file is a complete quote (binary or hex text)',
  ERR_HEX_INVALID: 'the file is neither a binary quote nor hex text',
  ERR_QUOTE_UNSUPPORTED_VERSION:
    'attestkit verifies quote versions 3, 4 and 5 here (version 2 EPID quotes go to IAS)',
  ERR_QUOTE_UNSUPPORTED_TEE_TYPE: 'only SGX (0x00) and TDX (0x81) quotes are supported',
  ERR_JSON_INVALID: 'the collateral file must be dcap-qvl QuoteCollateralV3 JSON',
  ERR_COLLATERAL_FORMAT:
    'the collateral file must be dcap-qvl QuoteCollateralV3 JSON with every member present',
  ERR_COLLATERAL_EXPIRED:
    'fetch fresh collateral (--pccs-url) or judge the quote at a time inside the validity window (--at)',
  ERR_COLLATERAL_NOT_YET_VALID:
    'the collateral was issued after the verification time: check --at and the clock',
  ERR_PKI_CRL_MISSING:
    'supply collateral with both CRLs (root_ca_crl, pck_crl), e.g. from a PCCS (--pccs-url)',
  ERR_PKI_CRL_EXPIRED: 'fetch a current CRL (--pccs-url) or verify at a time inside its validity (--at)',
  ERR_PKI_REVOKED: 'the platform or one of its CAs is revoked: this platform cannot be trusted',
  ERR_PKI_UNTRUSTED_ROOT:
    'the chain does not end at the trust anchor: simulated quotes need --trust-anchor DIR/sim-root.pem',
  ERR_PKI_CERT_EXPIRED: 'a certificate has expired at the verification time (--at)',
  ERR_VERIFY_NO_PCK_CHAIN: 'the quote carries no PCK certificate chain (certification data type 5)',
  ERR_VERIFY_TCB_NO_MATCH:
    'the platform TCB is below every level of the TCB info: update microcode / BIOS / TDX module',
  ERR_VERIFY_NONZERO_TRAILING:
    'the quote has non-zero bytes after its end: it was truncated or corrupted in transit',
  ERR_POLICY_MR_ENCLAVE: 'the enclave is not the one the policy names (--mr-enclave)',
  ERR_POLICY_MR_SIGNER: 'the enclave signer is not the one the policy names (--mr-signer)',
  ERR_POLICY_DEBUG: 'a debug enclave is refused; pass --allow-debug only for development',
  ERR_POLICY_TCB_STATUS: 'accept this status with --accept-tcb only if the relying party accepts the risk',
  ERR_POLICY_ADVISORY: 'allow the advisory with --allow-advisory only after reviewing it',
  ERR_POLICY_COLLATERAL_AGE: 'fetch fresher collateral or raise --max-collateral-age',
  ERR_CONFIG_NO_IDENTITY:
    'name the enclave: --policy F, --mr-enclave HEX or --mr-signer HEX (or --dangerously-accept-any-enclave)',
  ERR_NET_UNREACHABLE: 'check the host and port, and that the service is running',
  ERR_NET_TIMEOUT: 'the peer did not answer in time',
  ERR_NET_TLS: 'check that --tls-ca holds the certificate the App serves',
  ERR_NET_CLOSED: 'the peer closed the connection: see its log for the reason',
};

/** The `error` member of every JSON object. */
export interface ErrorJson {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

/** `{ code, message, hint? }` for an error (its own hint, else a default for its code). */
export function errorJson(error: unknown): ErrorJson {
  if (!isAttestError(error)) {
    return { code: 'ERR_INTERNAL', message: error instanceof Error ? error.message : String(error) };
  }
  const hint = error.hint ?? DEFAULT_HINTS[error.code];
  return { code: error.code, message: error.message, ...(hint === undefined ? {} : { hint }) };
}

/** The `enclave` member: the identity a relying party checks. */
export interface EnclaveJson {
  readonly mrEnclave: string;
  readonly mrSigner: string;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly debug: boolean;
  readonly reportData: string;
}

/** The `td` member. */
export interface TdJson {
  readonly mrTd: string;
  readonly rtmr: readonly string[];
  readonly mrSeam: string;
  readonly mrSignerSeam: string;
  readonly seamAttributes: string;
  readonly tdAttributes: string;
  readonly xfam: string;
  readonly mrConfigId: string;
  readonly mrOwner: string;
  readonly mrOwnerConfig: string;
  readonly reportData: string;
  readonly debug: boolean;
}

/** The object `verify --json` prints (issue 4, "CLI"). */
export interface VerifyJson {
  verified: boolean;
  accepted: boolean;
  teeType?: 'SGX' | 'TDX';
  quoteVersion?: number;
  tcbStatus?: string;
  qeTcbStatus?: string;
  advisoryIds: string[];
  fmspc?: string;
  tcbDate?: string;
  collateralIssuedAt?: string;
  collateralExpiresAt?: string;
  paddingBytes?: number;
  enclave?: EnclaveJson;
  td?: TdJson;
  steps: { check: string; ok: boolean; detail?: string }[];
  error?: ErrorJson;
  ear?: string;
}

function lower(hex: string): string {
  return hex.toLowerCase();
}

function isoTime(t: string | undefined): string | undefined {
  if (t === undefined) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : new Date(ms).toISOString();
}

function enclaveJson(e: NonNullable<QuoteFacts['enclave']>): EnclaveJson {
  return {
    mrEnclave: lower(e.mrEnclave),
    mrSigner: lower(e.mrSigner),
    isvProdId: e.isvProdId,
    isvSvn: e.isvSvn,
    debug: e.debug,
    reportData: lower(e.reportData),
  };
}

function tdJson(t: NonNullable<QuoteFacts['td']>): TdJson {
  return {
    mrTd: lower(t.mrTd),
    rtmr: t.rtmr.map(lower),
    mrSeam: lower(t.mrSeam),
    mrSignerSeam: lower(t.mrSignerSeam),
    seamAttributes: lower(t.seamAttributes),
    tdAttributes: lower(t.tdAttributes),
    xfam: lower(t.xfam),
    mrConfigId: lower(t.mrConfigId),
    mrOwner: lower(t.mrOwner),
    mrOwnerConfig: lower(t.mrOwnerConfig),
    reportData: lower(t.reportData),
    debug: t.debug,
  };
}

function stepJson(s: VerificationStep): { check: string; ok: boolean; detail?: string } {
  return { check: s.check, ok: s.ok, ...(s.detail === undefined ? {} : { detail: s.detail }) };
}

/** Policy rules as steps named `policy.<rule>`, after the verification steps. */
export function policySteps(rules: readonly RuleOutcome[]): { check: string; ok: boolean; detail: string }[] {
  return rules.map((r) => ({ check: `policy.${r.rule}`, ok: r.ok, detail: r.detail }));
}

/** Facts (of a full or partial DCAP verification) as the `verify --json` members. */
export function factsJson(facts: QuoteFacts): Omit<VerifyJson, 'verified' | 'accepted' | 'steps'> {
  const out: Omit<VerifyJson, 'verified' | 'accepted' | 'steps'> = {
    advisoryIds: [...(facts.advisoryIds ?? [])],
  };
  if (facts.teeType !== undefined) out.teeType = facts.teeType;
  if (facts.quoteVersion !== undefined) out.quoteVersion = facts.quoteVersion;
  if (facts.tcbStatus !== undefined) out.tcbStatus = facts.tcbStatus;
  if (facts.qeTcbStatus !== undefined) out.qeTcbStatus = facts.qeTcbStatus;
  if (facts.fmspc !== undefined) out.fmspc = facts.fmspc.toUpperCase();
  const tcbDate = isoTime(facts.tcbDate);
  if (tcbDate !== undefined) out.tcbDate = tcbDate;
  const issued = isoTime(facts.collateralIssuedAt);
  if (issued !== undefined) out.collateralIssuedAt = issued;
  const expires = isoTime(facts.collateralExpiresAt);
  if (expires !== undefined) out.collateralExpiresAt = expires;
  if (facts.paddingBytes !== undefined) out.paddingBytes = facts.paddingBytes;
  if (facts.enclave !== undefined) out.enclave = enclaveJson(facts.enclave);
  if (facts.td !== undefined) out.td = tdJson(facts.td);
  return out;
}

/** The inputs of {@link verifyJson}. */
export interface VerifyOutcome {
  /** The DCAP inspection, when verification ran. */
  readonly inspection?: QuoteInspection;
  /** The appraisal, when the quote verified. */
  readonly verdict?: { readonly accepted: boolean; readonly rules: readonly RuleOutcome[] };
  /** Why the command did not end accepted (verification, policy, or an earlier failure). */
  readonly error?: unknown;
  /** The signed EAR, when one was made. */
  readonly ear?: string;
}

/** The `verify --json` object. */
export function verifyJson(o: VerifyOutcome): VerifyJson {
  const facts: QuoteFacts = o.inspection?.result ?? o.inspection?.facts ?? {};
  const verified = o.inspection?.verified === true;
  const accepted = verified && o.verdict?.accepted === true;
  const steps = [
    ...(o.inspection?.steps ?? []).map(stepJson),
    ...(o.verdict === undefined ? [] : policySteps(o.verdict.rules)),
  ];
  return {
    verified,
    accepted,
    ...factsJson(facts),
    steps,
    ...(o.error === undefined || accepted ? {} : { error: errorJson(o.error) }),
    ...(o.ear === undefined ? {} : { ear: o.ear }),
  };
}

/** The object `sp --json` prints (issue 3 "CLI", plus every `verify --json` member, plus `ear`). */
export interface SpJson extends Omit<VerifyJson, 'error' | 'ear'> {
  trusted: boolean;
  secretDelivered: boolean;
  quoteType?: 'epid' | 'dcap';
  status?: string;
  iasStatus?: string;
  error?: ErrorJson;
  ear?: string;
}

/** The inputs of {@link spJson}. */
export interface SpOutcome {
  /** The SP's result (absent when the session could not even be set up). */
  readonly result?: SpResult;
  /** The DCAP inspection the SP's verifier made, when there was a DCAP quote. */
  readonly inspection?: QuoteInspection;
  /** An error that ended the command outside the session (configuration, setup). */
  readonly error?: unknown;
  /** The signed EAR, when one was made. */
  readonly ear?: string;
}

/** The underlying error of an SP result: a refusal's cause, else the error itself. */
export function spError(result: SpResult | undefined): AttestError | undefined {
  const e = result?.error;
  if (e === undefined) return undefined;
  if (e.code === 'ERR_PROTOCOL_REFUSED' && isAttestError(e.cause)) return e.cause;
  return e;
}

function evidenceFacts(e: VerifiedEvidence | undefined): QuoteFacts {
  if (e === undefined) return {};
  if (e.kind === 'dcap') return e;
  return {
    teeType: 'SGX',
    quoteVersion: 2,
    ...(e.tcbStatus === undefined ? {} : { tcbStatus: e.tcbStatus }),
    advisoryIds: e.advisoryIds,
    collateralIssuedAt: e.timestamp,
    enclave: e.enclave,
  };
}

/** The `sp --json` object. */
export function spJson(o: SpOutcome): SpJson {
  const r = o.result;
  const evidence = r?.evidence;
  const facts: QuoteFacts = evidence !== undefined ? evidenceFacts(evidence) : (o.inspection?.facts ?? {});
  const verified = evidence !== undefined;
  const accepted = verified && r?.verdict?.accepted === true;
  const verifySteps =
    evidence !== undefined ? evidence.steps : o.inspection !== undefined ? o.inspection.steps : [];
  const steps = [
    ...verifySteps.map(stepJson),
    ...(r?.verdict === undefined ? [] : policySteps(r.verdict.rules)),
  ];
  const error = o.error ?? spError(r);
  const ok = r?.trusted === true && r.secretDelivered;
  const f = factsJson(facts);
  return {
    trusted: r?.trusted ?? false,
    secretDelivered: r?.secretDelivered ?? false,
    ...(r?.quoteType === undefined ? {} : { quoteType: r.quoteType }),
    ...(r?.status === undefined ? {} : { status: r.status }),
    ...(r?.iasStatus === undefined ? {} : { iasStatus: r.iasStatus }),
    verified,
    accepted,
    ...f,
    steps,
    ...(error === undefined || ok ? {} : { error: errorJson(error) }),
    ...(o.ear === undefined ? {} : { ear: o.ear }),
  };
}

/** Serialises a result object as one line of JSON. */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** Human rendering helpers bound to a colour choice. */
export interface Painter {
  readonly ok: (s: string) => string;
  readonly bad: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

/** Colours via picocolors, only when `color` (stdout is a TTY). */
export function painter(color: boolean): Painter {
  const c = pc.createColors(color);
  return { ok: c.green, bad: c.red, dim: c.dim, bold: c.bold };
}

/**
 * The human report: one line per check with ✓/✗ and its detail, the first failure's hint, then
 * the key facts and the verdict line.
 */
export function renderChecks(
  p: Painter,
  steps: readonly { check: string; ok: boolean; detail?: string }[],
  error: ErrorJson | undefined,
): string {
  const lines: string[] = [];
  let hinted = false;
  for (const s of steps) {
    const mark = s.ok ? p.ok('✓') : p.bad('✗');
    lines.push(`  ${mark} ${s.check}${s.detail === undefined ? '' : p.dim(`  ${s.detail}`)}`);
    if (!s.ok && !hinted && error?.hint !== undefined) {
      lines.push(`      ${p.bold('hint:')} ${error.hint}`);
      hinted = true;
    }
  }
  if (error !== undefined) {
    lines.push(`  ${p.bad('✗')} ${error.code}: ${error.message}`);
    if (!hinted && error.hint !== undefined) lines.push(`      ${p.bold('hint:')} ${error.hint}`);
  }
  return lines.join('\n');
}

/** The facts block of the human report. */
export function renderFacts(p: Painter, j: Omit<VerifyJson, 'verified' | 'accepted' | 'steps'>): string {
  const rows: [string, string | undefined][] = [
    ['TEE', j.teeType === undefined ? undefined : `${j.teeType}, quote v${j.quoteVersion ?? '?'}`],
    ['TCB status', j.tcbStatus],
    ['QE TCB status', j.qeTcbStatus],
    ['advisories', j.advisoryIds.length === 0 ? undefined : j.advisoryIds.join(', ')],
    ['FMSPC', j.fmspc],
    ['TCB date', j.tcbDate],
    [
      'collateral',
      j.collateralIssuedAt === undefined
        ? undefined
        : `issued ${j.collateralIssuedAt}${j.collateralExpiresAt === undefined ? '' : `, expires ${j.collateralExpiresAt}`}`,
    ],
    [
      'padding',
      j.paddingBytes === undefined || j.paddingBytes === 0 ? undefined : `${j.paddingBytes} zero bytes`,
    ],
    ['MRENCLAVE', j.enclave?.mrEnclave],
    ['MRSIGNER', j.enclave?.mrSigner],
    ['ISVPRODID/SVN', j.enclave === undefined ? undefined : `${j.enclave.isvProdId} / ${j.enclave.isvSvn}`],
    [
      'debug',
      j.enclave === undefined && j.td === undefined ? undefined : String(j.enclave?.debug ?? j.td?.debug),
    ],
    ['MRTD', j.td?.mrTd],
    ['MRSEAM', j.td?.mrSeam],
  ];
  return rows
    .filter((r): r is [string, string] => r[1] !== undefined)
    .map(([k, v]) => `  ${p.dim(k.padEnd(14))} ${v}`)
    .join('\n');
}

/** An EAR for people: its start and size (the whole token is in `--json` and `--ear-out`). */
export function renderEar(p: Painter, ear: string): string {
  return `  ${p.dim('EAR'.padEnd(14))} ${ear.slice(0, 24)}… (${ear.length} characters; see --json or --ear-out)`;
}
