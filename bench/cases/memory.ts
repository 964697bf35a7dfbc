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
import { deriveFigure, type Figure, figure, type Row } from '../lib/harness.ts';
import { type RaMaterial, type RaMode, type RaRig, startRaRig } from '../lib/ra-rig.ts';

/** Options of case 4. */
export interface MemoryCaseOptions {
  readonly quick: boolean;
  readonly log: (s: string) => void;
}

interface Snapshot {
  readonly rss: number;
  readonly heapUsed: number;
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
  /** Heap (V8) bytes per RA session, for diagnosis. */
  readonly raSessionHeapBytes: Figure;
}

/** Results of one mode. */
export interface MemoryModeResult {
  readonly heldAt: string;
  readonly sessions: number;
  readonly app: MemorySideResult;
  readonly sp: MemorySideResult;
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

/** The sessions held open in case 4. */
export function memorySessions(quick: boolean): number {
  return quick ? 8 : 1000;
}

/** Sessions and connections opened (and kept) before the baseline, so first-use allocations are excluded. */
const WARMUP = 32;

/**
 * Runs case 4 for `mode`. Every round uses fresh App and SP processes (memory freed by an earlier
 * round would otherwise be reused and hide growth): open {@link WARMUP} RA sessions and bare
 * connections and keep them, snapshot; park N more RA sessions, snapshot; open N bare TLS
 * connections on top (nothing is freed in between), snapshot. Nothing is closed until the
 * processes exit.
 */
export async function runMemoryMode(
  mode: RaMode,
  material: RaMaterial,
  o: MemoryCaseOptions,
): Promise<{ readonly json: MemoryModeResult; readonly rows: Row[] }> {
  const n = memorySessions(o.quick);
  const rounds = o.quick ? 1 : 5;
  const ra = { app: [] as number[], sp: [] as number[], appHeap: [] as number[], spHeap: [] as number[] };
  const bare = { app: [] as number[], sp: [] as number[] };
  const replay = { app: [] as number[], sp: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    o.log(
      `  ${mode}: round ${r + 1}/${rounds}: fresh App and SP, ${n} RA sessions parked, then ${n} bare TLS connections`,
    );
    const rig = await startRaRig(mode, material, { maxSessions: n + 4 * WARMUP, complete: false });
    try {
      await rig.sp.call({ cmd: 'hold', n: WARMUP });
      await rig.sp.call({ cmd: 'bareOpen', n: WARMUP });
      // The traffic of one session up to its parking point, captured from a real one.
      await rig.sp.call({ cmd: 'replayOpen', n: WARMUP });
      await settle(o);
      const base = await snap(rig);
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
      const active = await rig.app.call<{
        activeSessions: number;
        bareConnections: number;
        replayConnections: number;
      }>({ cmd: 'memory' });
      if (
        active.activeSessions < n + WARMUP ||
        active.bareConnections < n + WARMUP ||
        active.replayConnections < n + WARMUP
      ) {
        throw new Error(
          `${mode}: the App holds ${active.activeSessions} sessions, ${active.bareConnections} bare and ${active.replayConnections} replay connections`,
        );
      }
      ra.app.push((withRa.app.rss - base.app.rss) / n);
      ra.sp.push((withRa.sp.rss - base.sp.rss) / n);
      ra.appHeap.push((withRa.app.heapUsed - base.app.heapUsed) / n);
      ra.spHeap.push((withRa.sp.heapUsed - base.sp.heapUsed) / n);
      bare.app.push((withBare.app.rss - withRa.app.rss) / n);
      bare.sp.push((withBare.sp.rss - withRa.sp.rss) / n);
      replay.app.push((withReplay.app.rss - withBare.app.rss) / n);
      replay.sp.push((withReplay.sp.rss - withBare.sp.rss) / n);
    } finally {
      await rig.stop();
    }
  }
  const side = (raV: number[], bareV: number[], replayV: number[], heapV: number[]): MemorySideResult => ({
    raSessionBytes: figure(raV, 'bytes'),
    bareTlsBytes: figure(bareV, 'bytes'),
    ratio: deriveFigure(raV, bareV, (a, b) => a / Math.max(b, 1), 'x'),
    sameTrafficTlsBytes: figure(replayV, 'bytes'),
    ratioToSameTraffic: deriveFigure(raV, replayV, (a, b) => a / Math.max(b, 1), 'x'),
    raSessionHeapBytes: figure(heapV, 'bytes'),
  });
  const json: MemoryModeResult = {
    heldAt:
      mode === 'epid'
        ? 'after MSG1 (SP in its SigRL lookup; App waiting for MSG2 with its enclave RA context open)'
        : 'after MSG3 (SP in its quote verifier; App waiting for ATT_RESULT)',
    sessions: n,
    app: side(ra.app, bare.app, replay.app, ra.appHeap),
    sp: side(ra.sp, bare.sp, replay.sp, ra.spHeap),
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
    );
  }
  return { json, rows };
}

function settle(o: MemoryCaseOptions): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, o.quick ? 20 : 300));
}

/** What case 4 measures, for the JSON. */
export const MEMORY_DEFINITION: string =
  "RSS delta (after global.gc, twice) of each child process with N sessions parked mid-protocol, divided by N; the same for N bare TLS connections (same certificate, handshake complete, no data) between the same processes in the same run; and the same for N TLS connections that carried the bytes of an RA session up to its parking point (the sizes of a real session's frames, replayed without the protocol) and are held open. The App figure includes its enclave worker thread (same process). Ratios divide by max(bare, 1 byte).";
