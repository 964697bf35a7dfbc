/**
 * `attestkit verify QUOTE`: verifies a DCAP quote (SGX v3, SGX/TDX v4/v5) against collateral at a
 * time, appraises it against a policy, and reports every check (issue 4 "CLI", issue 5 "policy/").
 *
 * Exit codes: 0 verified and accepted; 1 refused (verification failed, verified but not accepted,
 * unknown version or TEE type); 2 unusable input (not a quote, unreadable collateral, bad
 * settings); 3 PCCS/PCS unreachable or answering garbage.
 *
 * @module
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from '../../errors.ts';
import { appraise, type Verdict } from '../../policy/appraise.ts';
import { inspectQuote, type QuoteInspection } from '../../verify/dcap.ts';
import { addCommonOptions, COMMON_SETTINGS, type CommandContext, runAction } from '../common.ts';
import { collateralGetter, maybeEar, trustAnchorsOf } from '../evidence.ts';
import { decodeQuoteFile, parseHexSetting, parseTime, readFileOrThrow } from '../io.ts';
import {
  EXIT,
  type ExitCode,
  exitCodeFor,
  jsonLine,
  painter,
  renderChecks,
  renderEar,
  renderFacts,
  type VerifyJson,
  verifyJson,
} from '../output.ts';
import { addPolicyOptions, buildPolicy, POLICY_SETTINGS } from '../policy-options.ts';
import { loadCommandSettings } from './names.ts';

const VerifySettings = z.object({
  ...COMMON_SETTINGS,
  ...POLICY_SETTINGS,
  collateral: z.string().min(1).optional(),
  pccsUrl: z.string().min(1).optional(),
  at: z.string().min(1).optional(),
  trustAnchor: z.string().min(1).optional(),
  earKey: z.string().min(1).optional(),
  earOut: z.string().min(1).optional(),
  nonce: z.string().min(1).optional(),
});

/** Registers `verify` on the program. */
export function registerVerify(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('verify')
    .description('verify a DCAP quote (SGX or TDX) against collateral, then appraise it against a policy')
    .argument('<quote>', 'the quote: a binary file or hex text')
    .option('--collateral <file>', 'collateral as dcap-qvl QuoteCollateralV3 JSON')
    .option('--pccs-url <url>', 'fetch collateral from this PCCS / PCS (default: Intel PCS)')
    .option('--at <time>', 'verification time: ISO-8601 or Unix seconds (default: now)')
    .option(
      '--trust-anchor <pem>',
      'trust this root instead of the Intel SGX Root CA (e.g. DIR/sim-root.pem)',
    );
  addPolicyOptions(cmd);
  cmd
    .option('--ear-key <file>', 'sign an attestation result (EAR JWT) with this PEM private key')
    .option('--ear-out <file>', 'write the EAR to this file')
    .option('--nonce <hex>', "the relying party's nonce, carried in the EAR as eat_nonce");
  addCommonOptions(cmd);
  cmd.action(async (quote: string, flags: Record<string, unknown>) => {
    const json = flags.json === true;
    await runAction(
      ctx,
      json,
      () => runVerify(quote, flags, ctx),
      (error) => verifyJson({ error }),
    );
  });
}

async function runVerify(
  quotePath: string,
  flags: Record<string, unknown>,
  ctx: CommandContext,
): Promise<ExitCode> {
  const { io } = ctx;
  const s = loadCommandSettings(VerifySettings, 'verify', flags, io.env);
  const quote = decodeQuoteFile(readFileOrThrow(quotePath, 'quote file'));
  const now = parseTime(s.at);
  if (s.nonce !== undefined) parseHexSetting(s.nonce, 'nonce');
  if (s.earOut !== undefined && s.earKey === undefined) {
    throw new ConfigError('ERR_CONFIG_INVALID', '--ear-out needs --ear-key');
  }
  const policy = buildPolicy(s);
  const trustAnchors = trustAnchorsOf(s.trustAnchor);
  const getCollateral = collateralGetter(s);

  let inspection: QuoteInspection | undefined;
  let verdict: Verdict | undefined;
  let error: unknown;
  let ear: string | undefined;
  try {
    const collateral = await getCollateral(quote);
    inspection = inspectQuote(quote, collateral, {
      now,
      ...(trustAnchors === undefined ? {} : { trustAnchors }),
    });
    if (inspection.result !== undefined) {
      verdict = appraise(inspection.result, policy, { now });
      error = verdict.error;
      // The EAR is issued now; `--at` is the time the evidence is judged at.
      ear = await maybeEar(s, verdict, inspection.result, new Date(), s.nonce?.toLowerCase());
    } else {
      error = inspection.error;
    }
  } catch (e) {
    // Collateral retrieval (network, a quote too broken to name its collateral) or the EAR.
    error = e;
  }
  const out = verifyJson({
    ...(inspection === undefined ? {} : { inspection }),
    ...(verdict === undefined ? {} : { verdict }),
    ...(error === undefined ? {} : { error }),
    ...(ear === undefined ? {} : { ear }),
  });
  if (s.json) io.stdout(jsonLine(out));
  else io.stdout(renderVerify(out, io.color));
  if (out.accepted) return EXIT.OK;
  if (out.verified) return EXIT.REFUSED;
  return error === undefined ? EXIT.REFUSED : exitCodeFor(error);
}

/** The human report of `verify`. */
export function renderVerify(out: VerifyJson, color: boolean): string {
  const p = painter(color);
  const verdict = out.accepted
    ? p.ok('ACCEPTED')
    : out.verified
      ? p.bad('REFUSED by policy')
      : p.bad('NOT VERIFIED');
  const lines = [
    `${p.bold('attestkit verify')}: ${verdict}`,
    renderChecks(p, out.steps, out.error),
    renderFacts(p, out),
  ];
  if (out.ear !== undefined) lines.push(renderEar(p, out.ear));
  return `${lines.filter((l) => l !== '').join('\n')}\n`;
}
