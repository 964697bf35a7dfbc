/**
 * Case 3: RA sessions over TLS on 127.0.0.1 between an attestkit ServiceProvider and an attestkit
 * Application with the simulated enclave, for EPID (through the IAS mock) and DCAP.
 *
 * - latency: sequential sessions, each timed by the SP from the TCP connect to the App's
 *   APP_ATT_OK (PROTOCOL-SEED.md §4.1); p50 and p99 per round;
 * - throughput: a closed loop of 1, 8 and 64 concurrent sessions, sessions per second per round,
 *   with each process's CPU utilisation over the round;
 * - the SP's per-session crypto bound, timed in the SP process on its CPU: ECDH key generation and
 *   derivation (with the KDF's CMACs), the msg2 ECDSA signature, the other CMACs/SHA-256/GCM, the
 *   quote verification's crypto (DCAP: the six operations of case 2 on a simulated quote; EPID: the
 *   RSA verification of the IAS report), and the SP's CPU time per full TLS handshake;
 * - throughput ÷ the bound's rate (sessions per second of one SP core if it did nothing else).
 *
 * @module
 */
import { deriveFigure, type Figure, figure, percentile, type RoundPlan, type Row } from '../lib/harness.ts';
import { cpuOf, type RaMode, type RaRig } from '../lib/ra-rig.ts';

/** Options of case 3. */
export interface SessionsCaseOptions {
  readonly quick: boolean;
  readonly plan: RoundPlan;
  readonly log: (s: string) => void;
}

/** Throughput at one concurrency. */
export interface ThroughputResult {
  readonly concurrency: number;
  readonly sessionsPerSecond: Figure;
  /** CPU time ÷ wall time over the round (1 = one core busy). */
  readonly cpuUtilisation: { readonly sp: Figure; readonly app: Figure; readonly iasMock?: Figure };
  readonly failed: number;
  /** sessionsPerSecond ÷ the bound's sessions per second. */
  readonly fractionOfBound: Figure;
}

/** Results of one mode. */
export interface SessionsModeResult {
  readonly sessionsPerRound: number;
  readonly latencyMs: {
    readonly p50: Figure;
    readonly p99: Figure;
    readonly pooledP50: number;
    readonly pooledP99: number;
  };
  readonly throughput: readonly ThroughputResult[];
  /**
   * One sequential session, gap by gap as the SP sees it (ms; each figure's median/min/max is over
   * the traced sessions, not rounds): a gap ending in `got X` is the App's work plus one network
   * trip, one ending in `sent X` is the SP's own work.
   */
  readonly steps: Readonly<Record<string, Figure>>;
  readonly spCryptoBound: {
    /** µs per session per component (tlsHandshake: SP CPU µs per full handshake). */
    readonly components: Readonly<Record<string, Figure>>;
    /** Sum of the component medians (min/max: sums of mins/maxes), µs per session. */
    readonly totalUs: Figure;
    readonly sessionsPerSecond: Figure;
  };
  readonly cpus: { readonly sp: number | null; readonly app: number | null; readonly iasMock: number | null };
}

/** The JSON of case 3. */
export interface SessionsCaseResult {
  readonly definition: string;
  readonly modes: Partial<Record<RaMode, SessionsModeResult>>;
}

const CONCURRENCY = [1, 8, 64] as const;

/** Runs case 3 for the mode of `rig`. */
export async function runSessionsMode(
  rig: RaRig,
  o: SessionsCaseOptions,
): Promise<{ readonly json: SessionsModeResult; readonly rows: Row[] }> {
  const mode = rig.mode;
  {
    const rounds = o.plan.rounds;
    const perRound = o.quick ? 2 : 60;
    const durationMs = o.quick ? 100 : 1500;

    // Warm-up, not measured: the JIT and the caches of both sides (the first sessions of a fresh
    // process run 30-50 % slower), then the rounds.
    const warmup = o.quick ? 1 : 200;
    o.log(`  ${mode}: warm-up, ${warmup} sequential sessions`);
    await rig.sp.call({ cmd: 'latency', n: warmup });
    o.log(`  ${mode}: latency, ${rounds} × ${perRound} sequential sessions`);
    const p50: number[] = [];
    const p99: number[] = [];
    const all: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const { ms, failed } = await rig.sp.call<{ ms: number[]; failed: number }>({
        cmd: 'latency',
        n: perRound,
      });
      if (failed > 0 || ms.length === 0)
        throw new Error(`${mode}: ${failed} sessions failed in the latency round`);
      p50.push(percentile(ms, 50));
      p99.push(percentile(ms, 99));
      all.push(...ms);
    }

    // Where one sequential session's time goes, as the SP sees it (frame timestamps from the
    // transport's diagnostics channel): medians per gap between consecutive events.
    const traced = o.quick ? 2 : 200;
    o.log(`  ${mode}: per-step breakdown, ${traced} sequential sessions`);
    const { gaps } = await rig.sp.call<{ gaps: Record<string, number[]> }>({ cmd: 'trace', n: traced });
    const steps = Object.fromEntries(Object.entries(gaps).map(([k, v]) => [k, figure(v, 'ms')]));

    o.log(`  ${mode}: SP crypto bound`);
    const comps = await rig.sp.call<Record<string, number[]>>({
      cmd: 'bound',
      rounds,
      roundMs: o.quick ? 1 : 300,
      warmup: o.quick ? 1 : 20,
    });
    const components = Object.fromEntries(Object.entries(comps).map(([k, v]) => [k, figure(v, 'us')]));
    const sumOf = (pick: (f: Figure) => number): number =>
      Object.values(components).reduce((a, f) => a + pick(f), 0);
    const total = Object.freeze({
      unit: 'us',
      median: sumOf((f) => f.median),
      min: sumOf((f) => f.min),
      max: sumOf((f) => f.max),
      rounds,
    });
    const boundRate = Object.freeze({
      unit: 'per s',
      median: 1e6 / total.median,
      min: 1e6 / total.max,
      max: 1e6 / total.min,
      rounds,
    });

    const throughput: ThroughputResult[] = [];
    for (const c of CONCURRENCY) {
      o.log(`  ${mode}: throughput at ${c} concurrent, ${rounds} × ${durationMs} ms`);
      const rate: number[] = [];
      const spU: number[] = [];
      const appU: number[] = [];
      const iasU: number[] = [];
      let failed = 0;
      for (let r = 0; r < rounds; r++) {
        const a0 = await cpuOf(rig.app);
        const i0 = await cpuOf(rig.ias);
        const t = await rig.sp.call<{ completed: number; failed: number; elapsedMs: number; cpuUs: number }>({
          cmd: 'throughput',
          concurrency: c,
          durationMs,
        });
        const a1 = await cpuOf(rig.app);
        const i1 = await cpuOf(rig.ias);
        failed += t.failed;
        rate.push((t.completed * 1000) / t.elapsedMs);
        spU.push(t.cpuUs / (t.elapsedMs * 1000));
        appU.push((a1 - a0) / (t.elapsedMs * 1000));
        iasU.push((i1 - i0) / (t.elapsedMs * 1000));
      }
      const boundRates = rate.map(() => boundRate.median);
      throughput.push({
        concurrency: c,
        sessionsPerSecond: figure(rate, 'per s'),
        cpuUtilisation: {
          sp: figure(spU, 'cores'),
          app: figure(appU, 'cores'),
          ...(rig.ias === undefined ? {} : { iasMock: figure(iasU, 'cores') }),
        },
        failed,
        fractionOfBound: deriveFigure(rate, boundRates, (x, b) => x / b, 'fraction'),
      });
    }

    const json: SessionsModeResult = {
      sessionsPerRound: perRound,
      latencyMs: {
        p50: figure(p50, 'ms'),
        p99: figure(p99, 'ms'),
        pooledP50: percentile(all, 50),
        pooledP99: percentile(all, 99),
      },
      throughput,
      steps,
      spCryptoBound: { components, totalUs: total, sessionsPerSecond: boundRate },
      cpus: { sp: rig.sp.cpu, app: rig.app.cpu, iasMock: rig.ias?.cpu ?? null },
    };
    const cs = `3 sessions ${mode}`;
    const rows: Row[] = [
      { case: cs, what: 'latency p50', figure: json.latencyMs.p50, note: 'target <10 ms' },
      { case: cs, what: 'latency p99', figure: json.latencyMs.p99 },
    ];
    for (const t of throughput) {
      const u = t.cpuUtilisation;
      rows.push({
        case: cs,
        what: `sessions/s at ${t.concurrency} concurrent`,
        figure: t.sessionsPerSecond,
        note: `CPU sp ${u.sp.median.toFixed(2)} app ${u.app.median.toFixed(2)}${u.iasMock === undefined ? '' : ` ias ${u.iasMock.median.toFixed(2)}`}${t.failed > 0 ? `; ${t.failed} failed` : ''}`,
      });
    }
    for (const [k, f] of Object.entries(steps)) rows.push({ case: cs, what: `step: ${k}`, figure: f });
    for (const [k, f] of Object.entries(components))
      rows.push({ case: cs, what: `SP bound: ${k}`, figure: f });
    rows.push(
      {
        case: cs,
        what: 'SP bound per session',
        figure: total,
        note: `${Math.round(boundRate.median)} sessions/s`,
      },
      {
        case: cs,
        what: 'throughput at 64 ÷ bound',
        figure: throughput[throughput.length - 1]!.fractionOfBound,
        note: 'target ≥0.5',
      },
    );
    return { json, rows };
  }
}

/** What case 3 measures, for the JSON. */
export const SESSIONS_DEFINITION: string =
  'SP and App in separate processes over TLS on 127.0.0.1 (SP pinned to CPU 0, App with its enclave worker to CPU 1, IAS mock to CPU 3 mod the CPU count, i.e. beside the App on a 2-CPU machine). Latency: sequential sessions timed by the SP, connect to APP_ATT_OK, after 200 unmeasured warm-up sessions. Throughput: closed loop of N concurrent sessions. SP bound: the SP-side crypto per session timed in the SP process; tlsHandshake is SP CPU µs per full handshake. fractionOfBound = throughput / (1e6 / bound µs).';
