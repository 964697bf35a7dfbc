/**
 * `npm run bench`: attestkit's benchmark suite (issue 6). Prints a table and writes
 * `bench/results/latest.json`.
 *
 *   npm run bench                     full suite (rounds of 1 s, 7 rounds per figure; under 10 minutes)
 *   npm run bench -- --quick          smoke mode: each case once with tiny counts (used by the tests)
 *   npm run bench -- --only=1,2       some cases only (1 verify, 2 crypto bound, 3 sessions, 4 memory)
 *   npm run bench -- --out=FILE       write the JSON elsewhere
 *   npm run bench -- --no-pin         do not pin the bench process to one CPU
 *   npm run bench -- --modes=dcap     cases 3 and 4 for these RA modes only (epid, dcap)
 *
 * Cases 1 and 2 run in this process, pinned to one CPU with `taskset` when available. Cases 3 and
 * 4 run the ServiceProvider and the Application in child processes (each pinned to its own CPU when
 * the machine has two), so each side's time and resident set are its own.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runCryptoBoundCase } from './cases/crypto-bound.ts';
import {
  checkMemoryCaseLimits,
  MEMORY_DEFINITION,
  type MemoryCaseResult,
  memorySessions,
  runMemoryMode,
} from './cases/memory.ts';
import { runSessionsMode, SESSIONS_DEFINITION, type SessionsCaseResult } from './cases/sessions.ts';
import { runVerifyCase } from './cases/verify.ts';
import { machineInfo, PLANS, pinToCpu, type Row, renderTable, settleTimeWait } from './lib/harness.ts';
import { ROOT } from './lib/inputs.ts';
import { createRaMaterial, type RaMaterial, type RaMode, startRaRig } from './lib/ra-rig.ts';

interface Args {
  readonly quick: boolean;
  readonly only: ReadonlySet<number>;
  readonly out: string;
  readonly pin: boolean;
  readonly modes: readonly RaMode[];
}

function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let only = new Set([1, 2, 3, 4]);
  let out = join(ROOT, 'bench', 'results', 'latest.json');
  let pin = true;
  let modes: RaMode[] = ['epid', 'dcap'];
  for (const a of argv) {
    if (a === '--quick') quick = true;
    else if (a === '--no-pin') pin = false;
    else if (a.startsWith('--only=')) only = new Set(a.slice(7).split(',').map(Number));
    else if (a.startsWith('--out=')) out = resolve(a.slice(6));
    else if (a.startsWith('--modes=')) {
      modes = a
        .slice(8)
        .split(',')
        .map((m) => {
          if (m !== 'epid' && m !== 'dcap') throw new Error(`unknown mode ${m}`);
          return m;
        });
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: npm run bench -- [--quick] [--only=1,2,3,4] [--out=FILE] [--no-pin] [--modes=epid,dcap]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return { quick, only, out, pin, modes };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.only.has(4)) checkMemoryCaseLimits(args.quick);
  const plan = args.quick ? PLANS.quick : PLANS.full;
  // Describe the machine before pinning (pinning narrows the visible parallelism and affinity).
  const machine = machineInfo();
  const pinned = args.pin && pinToCpu(0);
  const started = new Date();
  const t0 = performance.now();
  const log = (s: string): void => {
    process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${s}\n`);
  };
  const rows: Row[] = [];
  const cases: Record<string, unknown> = {};

  if (args.only.has(1)) {
    log('case 1: quote verification (attestkit warm/cold/platform, @phala/dcap-qvl)');
    const r = runVerifyCase(plan);
    cases.verify = r.json;
    rows.push(...r.rows);
  }
  if (args.only.has(2)) {
    log('case 2: crypto bound per quote');
    const r = runCryptoBoundCase(plan);
    cases.cryptoBound = r.json;
    rows.push(...r.rows);
  }
  if (args.only.has(3) || args.only.has(4)) {
    // Case 4 starts fresh App/SP processes per round; case 3 one rig (App, SP, IAS mock) per mode.
    const sessions: { definition: string; modes: SessionsCaseResult['modes'] } = {
      definition: SESSIONS_DEFINITION,
      modes: {},
    };
    const memory: { definition: string; modes: MemoryCaseResult['modes'] } = {
      definition: MEMORY_DEFINITION,
      modes: {},
    };
    const memRows: Row[] = [];
    const sesRows: Row[] = [];
    // Case 3 (timing) runs for every mode before case 4 (memory), and each mode of it waits until the
    // sockets an earlier run closed have left TIME_WAIT: case 4 opens and closes tens of thousands
    // of connections, case 3 thousands, and the kernel keeps each in TIME_WAIT for a minute, which
    // made every later TCP connect on 127.0.0.1 slower (about 0.3 ms per TLS handshake, measured)
    // and cut the SP's throughput.
    const materials = new Map<RaMode, RaMaterial>();
    try {
      for (const mode of args.modes) materials.set(mode, await createRaMaterial());
      if (args.only.has(3)) {
        for (const mode of args.modes) {
          if (!args.quick) {
            const tw = await settleTimeWait(2000, 65_000);
            log(`case 3 (${mode}): ${tw} TCP sockets in TIME_WAIT`);
          }
          log(
            `case 3 (${mode}): RA sessions over TLS; starting App, SP${mode === 'epid' ? ', IAS mock' : ''}`,
          );
          const rig = await startRaRig(mode, materials.get(mode)!, { maxSessions: 1024 });
          try {
            const r = await runSessionsMode(rig, {
              quick: args.quick,
              plan: { ...plan, rounds: Math.min(plan.rounds, 5) },
              log,
            });
            sessions.modes[mode] = r.json;
            sesRows.push(...r.rows);
          } finally {
            await rig.stop();
          }
        }
      }
      if (args.only.has(4)) {
        for (const mode of args.modes) {
          log(
            `case 4 (${mode}): memory, ${memorySessions(args.quick)} sessions in flight vs as many bare TLS connections`,
          );
          const r = await runMemoryMode(mode, materials.get(mode)!, { quick: args.quick, log });
          memory.modes[mode] = r.json;
          memRows.push(...r.rows);
        }
      }
    } finally {
      for (const m of materials.values()) await m.dispose();
    }
    if (args.only.has(3)) cases.sessions = sessions;
    if (args.only.has(4)) cases.memory = memory;
    rows.push(...sesRows, ...memRows);
  }

  const result = {
    schema: 1,
    mode: args.quick ? 'quick' : 'full',
    date: started.toISOString(),
    durationSeconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    machine,
    // `compiled`: tsc's JavaScript, what the package ships (`npm run bench`); `tsx`: the sources
    // through tsx, whose transform adds a defineProperty per closure (keepNames) and its loader.
    runtime: import.meta.url.endsWith('.js') ? 'compiled' : 'tsx',
    loadAverage1mAtEnd: Number((loadavg()[0] ?? 0).toFixed(2)),
    benchProcess: { pinnedToCpu: pinned ? 0 : null, rounds: plan.rounds, roundMs: plan.roundMs },
    cases,
  };
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `attestkit bench (${result.mode}, ${result.runtime}) — ${machine.cpuModel}, ${machine.logicalCores} cores, Node ${machine.node}, OpenSSL ${machine.openssl}, ${result.date}\n\n`,
  );
  process.stdout.write(`${renderTable(rows)}\n\nwrote ${args.out} (${result.durationSeconds} s)\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
