/**
 * Case 1: DCAP quote verification, attestkit beside `@phala/dcap-qvl`, same inputs, same run.
 *
 * - `warm`: one {@link VerifierCache} shared by every call, platform caches off (DESIGN.md
 *   "Performance targets": collateral parsed and verified once; each call parses the quote and
 *   checks the PCK leaf, the QE report signature, the binding, the quote signature and the TCB level);
 * - `cold`: a fresh {@link VerifierCache} for every call;
 * - `platformSeenBefore`: one shared cache with `cachePlatform: true` (QE report signature and
 *   attestation key remembered per platform).
 *
 * The peer has no caches: one figure per quote. Rounds are interleaved (see `timeSyncInterleaved`),
 * so each ratio is taken round by round.
 *
 * @module
 */
import { VerifierCache, verifyQuote } from '../../src/verify/index.ts';
import {
  deriveFigure,
  type Figure,
  figure,
  perSecond,
  type RoundPlan,
  type Row,
  timeSyncInterleaved,
} from '../lib/harness.ts';
import { genuineQuotes, loadPeer, type QuoteInput } from '../lib/inputs.ts';

/** Per-quote results of case 1. */
export interface VerifyQuoteResult {
  readonly quote: string;
  readonly nowSecs: number;
  readonly status: {
    readonly attestkit: string;
    readonly peer: string;
    readonly advisoryIds: readonly string[];
  };
  /** µs per verification. */
  readonly attestkit: { readonly warm: Figure; readonly cold: Figure; readonly platformSeenBefore: Figure };
  readonly peer: Figure;
  /** Verifications per second (from each round's time). */
  readonly perSecond: {
    readonly attestkitWarm: Figure;
    readonly attestkitCold: Figure;
    readonly attestkitPlatformSeenBefore: Figure;
    readonly peer: Figure;
  };
  /** Peer time ÷ attestkit time: how many times faster attestkit is. */
  readonly ratio: { readonly warm: Figure; readonly cold: Figure; readonly platformSeenBefore: Figure };
}

/** The JSON of case 1. */
export interface VerifyCaseResult {
  readonly peer: { readonly package: string; readonly version: string };
  readonly definition: string;
  readonly quotes: Readonly<Record<string, VerifyQuoteResult>>;
}

function checkAgreement(q: QuoteInput, peerStatus: string, ourStatus: string): void {
  if (peerStatus !== ourStatus) {
    throw new Error(
      `${q.id}: attestkit says ${ourStatus}, @phala/dcap-qvl says ${peerStatus}; refusing to compare`,
    );
  }
}

function perSec(values: readonly number[]): Figure {
  return figure(
    values.map((v) => perSecond(v)),
    'per s',
  );
}

/** Runs case 1. */
export function runVerifyCase(plan: RoundPlan): { readonly json: VerifyCaseResult; readonly rows: Row[] } {
  const peer = loadPeer();
  const rows: Row[] = [];
  const quotes: Record<string, VerifyQuoteResult> = {};
  for (const q of genuineQuotes()) {
    const ours = verifyQuote(q.quote, q.collateral, { now: q.now, cache: new VerifierCache() });
    const theirs = peer.module.verify(q.quoteBuffer, q.peerCollateral, q.nowSecs);
    checkAgreement(q, theirs.status, ours.tcbStatus);

    const warmCache = new VerifierCache();
    const platformCache = new VerifierCache({ cachePlatform: true });
    const times = timeSyncInterleaved(
      {
        warm: () => verifyQuote(q.quote, q.collateral, { now: q.now, cache: warmCache }),
        cold: () => verifyQuote(q.quote, q.collateral, { now: q.now, cache: new VerifierCache() }),
        platform: () => verifyQuote(q.quote, q.collateral, { now: q.now, cache: platformCache }),
        peer: () => peer.module.verify(q.quoteBuffer, q.peerCollateral, q.nowSecs),
      },
      // The peer takes 15–40 ms a call: keep its warm-up short.
      { ...plan, warmup: Math.min(plan.warmup, 5) },
    );
    const warm = times.warm!;
    const cold = times.cold!;
    const platform = times.platform!;
    const peerT = times.peer!;
    const ratio = (x: number, y: number): number => y / x;
    const r: VerifyQuoteResult = {
      quote: `test/vectors/phala-dcap-qvl/${q.file}`,
      nowSecs: q.nowSecs,
      status: { attestkit: ours.tcbStatus, peer: theirs.status, advisoryIds: ours.advisoryIds },
      attestkit: {
        warm: figure(warm, 'us'),
        cold: figure(cold, 'us'),
        platformSeenBefore: figure(platform, 'us'),
      },
      peer: figure(peerT, 'us'),
      perSecond: {
        attestkitWarm: perSec(warm),
        attestkitCold: perSec(cold),
        attestkitPlatformSeenBefore: perSec(platform),
        peer: perSec(peerT),
      },
      ratio: {
        warm: deriveFigure(warm, peerT, ratio, 'x'),
        cold: deriveFigure(cold, peerT, ratio, 'x'),
        platformSeenBefore: deriveFigure(platform, peerT, ratio, 'x'),
      },
    };
    quotes[q.id] = r;
    const c = `1 verify ${q.id}`;
    rows.push(
      {
        case: c,
        what: 'attestkit warm',
        figure: r.perSecond.attestkitWarm,
        note: `${fmtMs(r.attestkit.warm)}; target ≥1,000/s`,
      },
      { case: c, what: 'attestkit cold', figure: r.perSecond.attestkitCold, note: fmtMs(r.attestkit.cold) },
      {
        case: c,
        what: 'attestkit platform seen before',
        figure: r.perSecond.attestkitPlatformSeenBefore,
        note: fmtMs(r.attestkit.platformSeenBefore),
      },
      { case: c, what: `@phala/dcap-qvl ${peer.version}`, figure: r.perSecond.peer, note: fmtMs(r.peer) },
      { case: c, what: 'ratio peer/attestkit warm', figure: r.ratio.warm, note: 'target ≥15x' },
      { case: c, what: 'ratio peer/attestkit cold', figure: r.ratio.cold },
    );
  }
  return {
    json: {
      peer: { package: '@phala/dcap-qvl', version: peer.version },
      definition:
        'warm: shared VerifierCache, cachePlatform off; cold: new VerifierCache per call; platformSeenBefore: shared VerifierCache with cachePlatform on. Times in µs per verification; ratio = peer time / attestkit time, per interleaved round.',
      quotes,
    },
    rows,
  };
}

function fmtMs(f: Figure): string {
  return `${(f.median / 1000).toFixed(3)} ms/quote`;
}
