/**
 * The benchmark harness: rounds of timed loops, medians with min and max, the machine record, and
 * the printed table. No dependency on attestkit itself.
 *
 * A *figure* is always a median with the min and max over its rounds. A round of a synchronous
 * operation is a loop run for `roundMs` milliseconds (at least one call); its value is the mean time
 * per call in microseconds. Rates (per second) are derived from the median time.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, type as osType, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';

/** A measured value: median, min and max over `rounds` rounds. */
export interface Figure {
  readonly unit: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
}

/** How long and how often to measure. */
export interface RoundPlan {
  /** Rounds per figure (at least 5 in the full suite). */
  readonly rounds: number;
  /** Duration of one round of a timed loop, ms. */
  readonly roundMs: number;
  /** Untimed calls before the first round (JIT, caches). */
  readonly warmup: number;
}

/** The plans of the full suite and of `--quick` (one tiny round: a smoke test, not a measurement). */
export const PLANS: { readonly full: RoundPlan; readonly quick: RoundPlan } = Object.freeze({
  full: Object.freeze({ rounds: 7, roundMs: 1000, warmup: 20 }),
  quick: Object.freeze({ rounds: 1, roundMs: 1, warmup: 1 }),
});

function round3(x: number): number {
  if (!Number.isFinite(x)) return x;
  const a = Math.abs(x);
  const digits = a >= 100 ? 1 : a >= 1 ? 3 : 5;
  return Number(x.toFixed(digits));
}

/** The median of `values` (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The `p`-th percentile (0–100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

/** A figure from per-round values. */
export function figure(values: readonly number[], unit: string): Figure {
  return Object.freeze({
    unit,
    median: round3(median(values)),
    min: round3(Math.min(...values)),
    max: round3(Math.max(...values)),
    rounds: values.length,
  });
}

/**
 * A figure derived round by round from two figures' per-round values (`f(a[i], b[i])`), or, when
 * the round counts differ, from their medians, mins and maxes (min/max then bound the ratio).
 */
export function deriveFigure(
  a: readonly number[],
  b: readonly number[],
  f: (x: number, y: number) => number,
  unit: string,
): Figure {
  if (a.length === b.length)
    return figure(
      a.map((x, i) => f(x, b[i]!)),
      unit,
    );
  const candidates = [
    f(Math.min(...a), Math.min(...b)),
    f(Math.max(...a), Math.max(...b)),
    f(Math.min(...a), Math.max(...b)),
    f(Math.max(...a), Math.min(...b)),
  ];
  return Object.freeze({
    unit,
    median: round3(f(median(a), median(b))),
    min: round3(Math.min(...candidates)),
    max: round3(Math.max(...candidates)),
    rounds: Math.min(a.length, b.length),
  });
}

/** Times a synchronous operation: `plan.rounds` loops of `plan.roundMs` each; returns µs per call per round. */
export function timeSync(fn: () => unknown, plan: RoundPlan): number[] {
  for (let i = 0; i < plan.warmup; i++) fn();
  const out: number[] = [];
  for (let r = 0; r < plan.rounds; r++) {
    let calls = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      fn();
      calls++;
      t = performance.now();
    } while (t - t0 < plan.roundMs);
    out.push(((t - t0) * 1000) / calls);
  }
  return out;
}

/**
 * Times several synchronous operations with their rounds interleaved (round r of each, then round
 * r+1 of each), so a noisy period of a shared machine affects them alike and their ratios hold.
 */
export function timeSyncInterleaved(
  fns: Readonly<Record<string, () => unknown>>,
  plan: RoundPlan,
): Record<string, number[]> {
  const names = Object.keys(fns);
  const out: Record<string, number[]> = {};
  for (const n of names) {
    out[n] = [];
    for (let i = 0; i < plan.warmup; i++) fns[n]!();
  }
  const one: RoundPlan = { ...plan, rounds: 1, warmup: 0 };
  for (let r = 0; r < plan.rounds; r++) {
    for (const n of names) out[n]!.push(timeSync(fns[n]!, one)[0]!);
  }
  return out;
}

/** µs per call → calls per second. */
export function perSecond(us: number): number {
  return 1e6 / us;
}

/** The machine and runtime a run was made on. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly logicalCores: number;
  readonly availableParallelism: number;
  readonly totalMemoryMiB: number;
  readonly os: string;
  readonly arch: string;
  readonly node: string;
  readonly openssl: string;
  readonly v8: string;
  /** The CPUs this process may run on (`taskset`), when known. */
  readonly affinity: string | undefined;
  /** The 1-minute load average when the run started (other work on the machine skews figures). */
  readonly loadAverage1m: number;
}

/** This process's CPU affinity list (Linux `taskset -p -c`), or undefined. */
export function currentAffinity(pid: number = process.pid): string | undefined {
  try {
    const out = execFileSync('taskset', ['-c', '-p', String(pid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const m = /list:\s*(\S+)/.exec(out);
    return m?.[1];
  } catch {
    return undefined;
  }
}

/** Pins every thread of this process to one CPU (Linux, `taskset`); false when that is not possible. */
export function pinToCpu(cpu: number, pid: number = process.pid): boolean {
  try {
    execFileSync('taskset', ['-a', '-c', '-p', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Describes the machine and runtime. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return Object.freeze({
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    logicalCores: list.length,
    availableParallelism: availableParallelism(),
    totalMemoryMiB: Math.round(totalmem() / 1048576),
    os: `${osType()} ${release()}`,
    arch: process.arch,
    node: process.version,
    openssl: process.versions.openssl ?? 'unknown',
    v8: process.versions.v8,
    affinity: currentAffinity(),
    loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(2)),
  });
}

/** One row of the printed table. */
export interface Row {
  readonly case: string;
  readonly what: string;
  readonly figure: Figure | undefined;
  readonly note?: string;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

/** Renders rows as a fixed-width text table. */
export function renderTable(rows: readonly Row[]): string {
  const cells = rows.map((r) => [
    r.case,
    r.what,
    r.figure === undefined ? '–' : fmt(r.figure.median),
    r.figure === undefined ? '' : `${fmt(r.figure.min)}–${fmt(r.figure.max)}`,
    r.figure?.unit ?? '',
    r.note ?? '',
  ]);
  const head = ['case', 'measure', 'median', 'min–max', 'unit', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string =>
    c
      .map((v, i) => (i === 2 || i === 3 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** TCP sockets in TIME_WAIT on this machine (Linux `/proc/net/tcp*`; 0 where that is not readable). */
export function timeWaitSockets(): number {
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    // Columns: sl local_address rem_address st …; state 06 is TIME_WAIT.
    for (const line of text.split('\n')) if (line.trim().split(/\s+/, 4)[3] === '06') n++;
  }
  return n;
}

/**
 * Waits (up to `maxMs`) until fewer than `below` TCP sockets are in TIME_WAIT. Each closed session
 * leaves one for a minute, and with tens of thousands of them every new connect on 127.0.0.1 costs
 * more (the kernel searches further for a free port): the timing cases must not inherit that from
 * an earlier case. Returns the count it stopped at.
 */
export async function settleTimeWait(below: number, maxMs: number): Promise<number> {
  const deadline = performance.now() + maxMs;
  let n = timeWaitSockets();
  while (n >= below && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    n = timeWaitSockets();
  }
  return n;
}

/**
 * How many files a Node process started from here may open: the hard `RLIMIT_NOFILE` (Node raises its
 * soft limit to the hard one at start-up), read from `/proc/self/limits`; undefined where that is not
 * readable or says "unlimited".
 */
export function openFileLimit(): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'latin1');
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const hard = line?.trim().split(/\s+/)[4];
  const n = hard === undefined ? Number.NaN : Number(hard);
  return Number.isSafeInteger(n) ? n : undefined;
}
