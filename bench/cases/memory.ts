/**
 * Case 4: memory. The resident set (RSS, after a full GC) of the App process and of the SP
 * process with N = 1,000 RA sessions in flight — parked mid-protocol: EPID right after MSG1 (the
 * SP waits in its SigRL lookup, the App holds its enclave RA context and waits for MSG2), DCAP after
 * MSG3 (the SP waits in its quote verifier) — minus the RSS of the same processes before, per
 * session; beside it, the same figure for N bare TLS connections held open between the same two
 * processes in the same run (same certificate, no protocol).
 *
 * Each round runs in fresh processes (see {@link runMemoryMode}).
 *
 * @module
 */
import { deriveFigure, type Figure, figure, openFileLimit, type Row } from '../lib/harness.ts';
import { type RaMaterial, type RaMode, type RaRig, startRaRig } from '../lib/ra-rig.ts';

/** Options of case 4. */
export interface MemoryCaseOptions {
  readonly quick: boolean;
  readonly log: (s: string) => void;
}

interface Snapshot {
  readonly rss: number;
  readonly heapUsed: number;
  readonly newSpaceBytes: number;
}

/** Per-connection memory, bytes (KiB in the table). */
export interface MemorySideResult {
  readonly raSessionBytes: Figure;
  readonly bareTlsBytes: Figure;
  /** raSessionBytes ÷ bareTlsBytes (target ≤ 1.5). */
  readonly ratio: Figure;
  /** A TLS connection that carried the same traffic as an RA session up to its parking point, no protocol. */
  readonly sameTrafficTlsBytes: Figure;
  /** raSessionBytes ÷ sameTrafficTlsBytes: what attestkit adds beyond Node's TLS buffers. */
  readonly ratioToSameTraffic: Figure;
  /** Heap (V8, main thread) bytes per RA session, for diagnosis. */
  readonly raSessionHeapBytes: Figure;
}

/** One side (App or SP) of one mode: the marginal figures and the figures of the first batch. */
export interface MemorySide extends MemorySideResult {
  /**
   * The same figures for the first N after the warm-up baseline, which also carry the process's
   * one-off costs of its first burst (V8 commits its young generation, allocator high-water marks).
   */
  readonly firstBatch: MemorySideResult;
}

/** Results of one mode. */
export interface MemoryModeResult {
  readonly heldAt: string;
  readonly sessions: number;
  readonly app: MemorySide;
  readonly sp: MemorySide;
}

/** The JSON of case 4. */
export interface MemoryCaseResult {
  readonly definition: string;
  readonly modes: Partial<Record<RaMode, MemoryModeResult>>;
}

async function snap(rig: RaRig): Promise<{ app: Snapshot; sp: Snapshot }> {
  const [app, sp] = await Promise.all([
    rig.app.call<Snapshot>({ cmd: 'memory' }),
    rig.sp.call<Snapshot>({ cmd: 'memory' }),
  ]);
  return { app, sp };
}

/** The sessions held open in case 4 (per batch; two batches of each kind are held). */
export function memorySessions(quick: boolean): number {
  return quick ? 8 : 1000;
}

/** Sessions and connections opened (and kept) before the baseline, so first-use allocations are excluded. */
const WARMUP = 32;

/**
 * Throws when a process here cannot hold what case 4 holds at once: three kinds of connection, two
 * batches and the warm-up of each, in each child (the bench calls this before it starts anything).
 */
export function checkMemoryCaseLimits(quick: boolean): void {
  const needFiles = 3 * (2 * memorySessions(quick) + WARMUP) + 256;
  const limit = openFileLimit();
  if (limit !== undefined && limit < needFiles) {
    throw new Error(
      `case 4 holds about ${needFiles} connections per process, but a process here may open ${limit} files: raise the limit (ulimit -n) or run --only=1,2,3`,
    );
  }
}

/** Per-connection figures of one batch, per process side, over the rounds. */
class Batch {
  readonly ra = { app: [] as number[], sp: [] as number[] };
  readonly raHeap = { app: [] as number[], sp: [] as number[] };
  readonly bare = { app: [] as number[], sp: [] as number[] };
  readonly replay = { app: [] as number[], sp: [] as number[] };

  side(which: 'app' | 'sp'): MemorySideResult {
    const raV = this.ra[which];
    return {
      raSessionBytes: figure(raV, 'bytes'),
      bareTlsBytes: figure(this.bare[which], 'bytes'),
      ratio: deriveFigure(raV, this.bare[which], (a, b) => a / Math.max(b, 1), 'x'),
      sameTrafficTlsBytes: figure(this.replay[which], 'bytes'),
      ratioToSameTraffic: deriveFigure(raV, this.replay[which], (a, b) => a / Math.max(b, 1), 'x'),
      raSessionHeapBytes: figure(this.raHeap[which], 'bytes'),
    };
  }
}

/**
 * Runs case 4 for `mode`. Every round uses fresh App and SP processes (memory freed by an earlier
 * round would otherwise be reused and hide growth): open {@link WARMUP} RA sessions, bare and replay
 * connections and keep them, snapshot; then twice: park N RA sessions, snapshot; open N bare TLS
 * connections, snapshot; open N replay connections, snapshot. Nothing is closed until the processes
 * exit, so no batch reuses memory another one freed. The second batch gives the marginal cost of a
 * session (the target's figure); the first also carries the one-off costs of a process's first
 * large burst and is reported beside it.
 */
export async function runMemoryMode(
  mode: RaMode,
  material: RaMaterial,
  o: MemoryCaseOptions,
): Promise<{ readonly json: MemoryModeResult; readonly rows: Row[] }> {
  const n = memorySessions(o.quick);
  const rounds = o.quick ? 1 : 5;
  checkMemoryCaseLimits(o.quick);
  const batches = [new Batch(), new Batch()] as const;
  for (let r = 0; r < rounds; r++) {
    o.log(
      `  ${mode}: round ${r + 1}/${rounds}: fresh App and SP; twice: ${n} RA sessions parked, ${n} bare TLS connections, ${n} replay connections`,
    );
    const rig = await startRaRig(mode, material, { maxSessions: 2 * n + 4 * WARMUP, complete: false });
    try {
      await rig.sp.call({ cmd: 'hold', n: WARMUP });
      await rig.sp.call({ cmd: 'bareOpen', n: WARMUP });
      // The traffic of one session up to its parking point, captured from a real one.
      await rig.sp.call({ cmd: 'replayOpen', n: WARMUP });
      await settle(o);
      let prev = await snap(rig);
      const young: string[] = [youngOf(prev)];
      for (const batch of batches) {
        const held = await rig.sp.call<{ parked: number }>({ cmd: 'hold', n });
        if (held.parked < n)
          throw new Error(`${mode}: only ${held.parked} of ${n} sessions reached the hold point`);
        await settle(o);
        const withRa = await snap(rig);
        await rig.sp.call({ cmd: 'bareOpen', n });
        await settle(o);
        const withBare = await snap(rig);
        await rig.sp.call({ cmd: 'replayOpen', n });
        await settle(o);
        const withReplay = await snap(rig);
        for (const side of ['app', 'sp'] as const) {
          batch.ra[side].push((withRa[side].rss - prev[side].rss) / n);
          batch.raHeap[side].push((withRa[side].heapUsed - prev[side].heapUsed) / n);
          batch.bare[side].push((withBare[side].rss - withRa[side].rss) / n);
          batch.replay[side].push((withReplay[side].rss - withBare[side].rss) / n);
        }
        young.push(youngOf(withRa), youngOf(withBare), youngOf(withReplay));
        prev = withReplay;
      }
      o.log(`    young generation (App/SP, MiB) at each snapshot: ${young.join(' → ')}`);
      const active = await rig.app.call<{
        activeSessions: number;
        bareConnections: number;
        replayConnections: number;
      }>({ cmd: 'memory' });
      const want = 2 * n + WARMUP;
      if (active.activeSessions < want || active.bareConnections < want || active.replayConnections < want) {
        throw new Error(
          `${mode}: the App holds ${active.activeSessions} sessions, ${active.bareConnections} bare and ${active.replayConnections} replay connections`,
        );
      }
    } finally {
      await rig.stop();
    }
  }
  const [first, second] = batches;
  const json: MemoryModeResult = {
    heldAt:
      mode === 'epid'
        ? 'after MSG1 (SP in its SigRL lookup; App waiting for MSG2 with its enclave RA context open)'
        : 'after MSG3 (SP in its quote verifier; App waiting for ATT_RESULT)',
    sessions: n,
    app: { ...second.side('app'), firstBatch: first.side('app') },
    sp: { ...second.side('sp'), firstBatch: first.side('sp') },
  };
  const kib = (f: Figure): Figure => ({
    ...f,
    unit: 'KiB',
    median: f.median / 1024,
    min: f.min / 1024,
    max: f.max / 1024,
  });
  const c = `4 memory ${mode}`;
  const rows: Row[] = [];
  for (const [name, s] of [['App', json.app] as const, ['SP', json.sp] as const]) {
    rows.push(
      {
        case: c,
        what: `${name}: per RA session in flight`,
        figure: kib(s.raSessionBytes),
        note: `heap ${(s.raSessionHeapBytes.median / 1024).toFixed(1)} KiB`,
      },
      { case: c, what: `${name}: per bare TLS connection`, figure: kib(s.bareTlsBytes) },
      { case: c, what: `${name}: RA session ÷ bare TLS`, figure: s.ratio, note: 'target ≤1.5x' },
      { case: c, what: `${name}: per TLS conn., same traffic`, figure: kib(s.sameTrafficTlsBytes) },
      { case: c, what: `${name}: RA session ÷ same traffic`, figure: s.ratioToSameTraffic },
      {
        case: c,
        what: `${name}: first batch, RA ÷ bare TLS`,
        figure: s.firstBatch.ratio,
        note: `${(s.firstBatch.raSessionBytes.median / 1024).toFixed(1)} ÷ ${(s.firstBatch.bareTlsBytes.median / 1024).toFixed(1)} KiB, with one-off costs`,
      },
    );
  }
  return { json, rows };
}

function youngOf(s: { app: Snapshot; sp: Snapshot }): string {
  return `${(s.app.newSpaceBytes / 2 ** 20).toFixed(0)}/${(s.sp.newSpaceBytes / 2 ** 20).toFixed(0)}`;
}

function settle(o: MemoryCaseOptions): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, o.quick ? 20 : 300));
}

/** What case 4 measures, for the JSON. */
export const MEMORY_DEFINITION: string =
  "RSS delta (after global.gc, twice) of each child process with N more sessions parked mid-protocol, divided by N; the same for N more bare TLS connections (same certificate, handshake complete, no data) between the same processes in the same run; and the same for N more TLS connections that carried the bytes of an RA session up to its parking point (the sizes of a real session's frames, replayed without the protocol) and are held open. Each round holds two batches of each kind, in the order RA, bare, replay, RA, bare, replay, after a warm-up of 32 of each; nothing is closed. The main figures are the second batch's (the marginal cost per connection); `firstBatch` holds the first batch's, which also carry the one-off costs of a process's first large burst (V8 commits its young generation, allocator high-water marks). The App figure includes its enclave worker thread (same process). Ratios divide by max(bare, 1 byte).";
