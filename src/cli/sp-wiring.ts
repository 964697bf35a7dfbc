/**
 * What the CLI injects into the protocol's ServiceProvider: a quote verifier (IAS for EPID quotes,
 * local DCAP verification against collateral for v3/v4/v5) and an appraiser (the policy). Both
 * remember what they saw, so the command can print every check of a failed verification too.
 *
 * @module
 */
import type { IasClient } from '../collateral/ias-client.ts';
import { appraise, type Verdict } from '../policy/appraise.ts';
import type { Policy } from '../policy/schema.ts';
import type { Appraiser, QuoteVerifier } from '../protocol/types.ts';
import { inspectQuote, type QuoteInspection } from '../verify/dcap.ts';
import { verifyIasReport } from '../verify/ias.ts';
import type { VerifiedIasReport } from '../verify/types.ts';
import type { CollateralGetter } from './evidence.ts';

/** Options of {@link createSpWiring}. */
export interface SpWiringOptions {
  /** The relying party's policy. */
  readonly policy: Policy;
  /** The clock (default: the system clock). */
  readonly now?: () => Date;
  /** DCAP: where collateral comes from, and the trust anchors (default: Intel SGX Root CA). */
  readonly dcap?: {
    readonly getCollateral: CollateralGetter;
    readonly trustAnchors?: readonly string[] | undefined;
  };
  /** EPID: the IAS client and the report-signing trust anchors (default: Intel's, embedded). */
  readonly ias?: { readonly client: IasClient; readonly trustAnchors?: readonly string[] | undefined };
}

/** The injected dependencies and what they observed. */
export interface SpWiring {
  readonly verifier: QuoteVerifier;
  readonly appraise: Appraiser;
  /** The DCAP inspection of the last quote (also for a quote that failed verification). */
  lastInspection(): QuoteInspection | undefined;
  /** The last verdict (the policy layer's, with its policy id, for an EAR). */
  lastVerdict(): Verdict | undefined;
}

/** Builds the verifier and appraiser (see the module comment). */
export function createSpWiring(o: SpWiringOptions): SpWiring {
  const now = o.now ?? (() => new Date());
  let inspection: QuoteInspection | undefined;
  let verdict: Verdict | undefined;
  const verifier: { -readonly [K in keyof QuoteVerifier]: QuoteVerifier[K] } = {};
  const dcap = o.dcap;
  if (dcap !== undefined) {
    verifier.verifyDcap = async (quote) => {
      const collateral = await dcap.getCollateral(quote);
      const anchors = dcap.trustAnchors;
      inspection = inspectQuote(quote, collateral, {
        now: now(),
        ...(anchors === undefined ? {} : { trustAnchors: anchors }),
      });
      if (inspection.result === undefined) throw inspection.error;
      return inspection.result;
    };
  }
  const ias = o.ias;
  if (ias !== undefined) {
    verifier.getSigRl = (gid) => ias.client.getSigRl(gid);
    verifier.verifyEpid = async (quote, { nonce }): Promise<VerifiedIasReport> => {
      const report = await ias.client.getReport(quote, { nonce });
      const anchors = ias.trustAnchors;
      return verifyIasReport(
        { body: report.body, signatureB64: report.signatureB64, signingCertChain: report.signingCertChain },
        {
          now: now(),
          expectedQuote: quote,
          expectedNonce: nonce,
          ...(anchors === undefined ? {} : { trustAnchors: anchors }),
        },
      );
    };
  }
  return {
    verifier,
    appraise: (evidence) => {
      verdict = appraise(evidence, o.policy, { now: now() });
      return verdict;
    },
    lastInspection: () => inspection,
    lastVerdict: () => verdict,
  };
}
