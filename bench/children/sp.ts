/**
 * Bench child: the attestkit ServiceProvider (`runServiceProvider`, a TLS client) against the App
 * child, with the quote verifier a real SP would use — IAS (the mock) for EPID, local DCAP
 * verification against the simulated platform's collateral (one warm VerifierCache) for DCAP — and
 * an appraiser that accepts every enclave (the `--dangerously-accept-any-enclave` configuration:
 * the bench measures the protocol and verification, not a policy).
 *
 * Commands: `setup`, `latency` (sequential sessions), `throughput` (a closed loop of N concurrent
 * sessions), `bound` (the SP's per-session crypto, timed here on this CPU), `hold`/`release`
 * (sessions parked mid-protocol: EPID after MSG1 in the SigRL lookup, DCAP after MSG3 in the quote
 * verifier), `bareOpen`/`bareClose` (plain TLS connections held open), `replayOpen` (TLS
 * connections that carry an RA session's traffic up to its parking point, held open), `memory`, `cpu`.
 *
 * @module
 */
import { verify as cryptoVerify, type KeyObject, X509Certificate } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { connect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { IasClient } from '../../src/collateral/ias-client.ts';
import {
  aesCmac,
  aesGcmEncrypt,
  deriveRaKeys,
  ecdhSharedSecretLE,
  generateEcKeyPair,
  privateKeyFromPem,
  sha256,
  signSgx,
} from '../../src/crypto/index.ts';
import { isAttestError } from '../../src/errors.ts';
import { ServiceProvider } from '../../src/protocol/service-provider.ts';
import type { QuoteVerifier } from '../../src/protocol/types.ts';
import { loadSimulatedPlatform, type SimulatedPlatform } from '../../src/sim/index.ts';
import { type RaMessageInfo, runServiceProvider } from '../../src/transport/ra-session.ts';
import { verifyIasReport } from '../../src/verify/ias.ts';
import { VerifierCache, verifyQuote } from '../../src/verify/index.ts';
import { EPID_QUOTE_GROUP_ID_OFFSET } from '../../src/wire/quote.ts';
import { boundOperations } from '../cases/crypto-bound.ts';
import { timeSync } from '../lib/harness.ts';
import { type ChildRequest, memorySnapshot, serveRequests } from '../lib/ipc.ts';
import { openReplayConnections, type ReplayStep, replayScript, type SeenFrame } from '../lib/replay.ts';

interface Setup {
  readonly mode: 'epid' | 'dcap';
  readonly sp: ServiceProvider;
  readonly appPort: number;
  readonly barePort: number;
  readonly replayPort: number;
  readonly appCa: string;
  readonly platform: SimulatedPlatform;
  readonly signingKeyPem: string;
}

/** How long the SP reuses a SigRL per EPID group (ms); `ATTESTKIT_BENCH_SIGRL_CACHE_MS=0` turns it off. */
const SIGRL_CACHE_MS = sigRlCacheMsFromEnv(process.env.ATTESTKIT_BENCH_SIGRL_CACHE_MS, 10_000);

function sigRlCacheMsFromEnv(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms < 0)
    throw new Error(`ATTESTKIT_BENCH_SIGRL_CACHE_MS: ${value} is not a number of ms`);
  return ms;
}

/** True for the refusal IAS gives a quote made with an outdated SigRL. */
function isSigRlMismatch(e: unknown): boolean {
  if (!isAttestError(e) || e.code !== 'ERR_IAS_QUOTE_STATUS') return false;
  const report = e.cause as { iasStatus?: unknown } | undefined;
  return report?.iasStatus === 'SIGRL_VERSION_MISMATCH';
}

let setup: Setup | undefined;
/** The first IAS response seen, for the EPID verification bound. */
let sampleReport: { body: Uint8Array; signature: Uint8Array; leafKey: KeyObject } | undefined;

// Parking sessions mid-protocol (case 4).
let gate: Promise<void> | undefined;
let openGate: (() => void) | undefined;
let parked = 0;
let parkedWaiter: { n: number; resolve: () => void } | undefined;
let heldRuns: Promise<boolean>[] = [];
const bareSockets: TLSSocket[] = [];

async function park(): Promise<void> {
  if (gate === undefined) return;
  parked++;
  if (parkedWaiter !== undefined && parked >= parkedWaiter.n) parkedWaiter.resolve();
  await gate;
}

function need(): Setup {
  if (setup === undefined) throw new Error('setup first');
  return setup;
}

async function doSetup(req: ChildRequest): Promise<{ ok: true }> {
  const mode = req.mode as 'epid' | 'dcap';
  const platform = await loadSimulatedPlatform(req.platformDir as string);
  const cache = new VerifierCache();
  let verifier: QuoteVerifier;
  if (mode === 'epid') {
    // A short-lived SigRL cache, as an SP following Intel's guidance would run (IasClient.getSigRl
    // explains why it cannot make a revoked platform pass); dropped on SIGRL_VERSION_MISMATCH.
    // Without an IAS mock (case 4) sessions are only parked before IAS is needed; port 9 is never reached.
    const client = new IasClient({
      baseUrl: (req.iasUrl as string | undefined) ?? 'http://127.0.0.1:9/',
      apiVersion: 4,
      apiKey: 'attestkit-bench',
      sigRlCacheMs: SIGRL_CACHE_MS,
    });
    const caPem = (req.iasCaPem as string | undefined) ?? '';
    verifier = {
      getSigRl: async (gid) => {
        await park();
        return client.getSigRl(gid);
      },
      verifyEpid: async (quote, { nonce }) => {
        const res = await client.getReport(quote, { nonce });
        if (sampleReport === undefined) {
          const leafPem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(
            decodeURIComponent(res.signingCertChain),
          )?.[0];
          if (leafPem !== undefined) {
            sampleReport = {
              body: res.body,
              signature: new Uint8Array(Buffer.from(res.signatureB64, 'base64')),
              leafKey: new X509Certificate(leafPem).publicKey,
            };
          }
        }
        try {
          return verifyIasReport(res, {
            now: new Date(),
            trustAnchors: caPem,
            expectedQuote: quote,
            expectedNonce: nonce,
          });
        } catch (e) {
          if (isSigRlMismatch(e))
            client.forgetSigRl(quote.subarray(EPID_QUOTE_GROUP_ID_OFFSET, EPID_QUOTE_GROUP_ID_OFFSET + 4));
          throw e;
        }
      },
    };
  } else {
    verifier = {
      verifyDcap: async (quote) => {
        await park();
        return verifyQuote(quote, platform.collateral.sgx, {
          now: platform.now,
          trustAnchors: [platform.rootPem],
          cache,
        });
      },
    };
  }
  const sp = new ServiceProvider({
    verifier,
    appraise: () => ({ accepted: true, rules: [] }),
    signingKey: privateKeyFromPem(req.signingKeyPem as string),
  });
  setup = {
    mode,
    sp,
    appPort: req.appPort as number,
    barePort: req.barePort as number,
    replayPort: req.replayPort as number,
    appCa: req.appCa as string,
    platform,
    signingKeyPem: req.signingKeyPem as string,
  };
  // One session to check the rig end to end.
  if (req.check !== false && !(await oneSession()))
    throw new Error(`${mode}: the first RA session did not succeed: ${lastFailure ?? '?'}`);
  return { ok: true };
}

let lastFailure: string | undefined;

async function oneSession(onMessage?: (m: RaMessageInfo) => void): Promise<boolean> {
  const s = need();
  const run = await runServiceProvider({
    host: '127.0.0.1',
    port: s.appPort,
    ca: s.appCa,
    serviceProvider: s.sp,
    ...(onMessage === undefined ? {} : { onMessage }),
    timeouts: { handshakeMs: 60_000, messageMs: 300_000, sessionMs: 600_000 },
  });
  const ok = run.result.trusted && run.result.secretDelivered;
  if (!ok)
    lastFailure = `${run.result.error?.code ?? 'untrusted'}: ${run.result.error?.message ?? ''}${run.result.error?.cause instanceof Error ? ` (cause: ${run.result.error.cause.message})` : ''}`;
  return ok;
}

async function latency(req: ChildRequest): Promise<{ ms: number[]; failed: number }> {
  const n = req.n as number;
  const ms: number[] = [];
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const ok = await oneSession();
    const t = performance.now() - t0;
    if (ok) ms.push(t);
    else failed++;
  }
  return { ms, failed };
}

/** The seed's message names by frame type (PROTOCOL-SEED.md §3.1), for the trace labels. */
const FRAME_NAMES: Readonly<Record<number, string>> = {
  0: 'RA_MSG0',
  1: 'RA_MSG1',
  2: 'RA_MSG2',
  3: 'RA_MSG3',
  4: 'RA_ATT_RESULT',
  5: 'RA_VERIFICATION',
  6: 'RA_APP_ATT_OK',
};

/**
 * Sequential sessions with a timestamp at the connect, at every frame sent or received (from the
 * transport's diagnostics channels, metadata only) and at the end; returns, per gap between two
 * consecutive events, the times of every session (ms). A gap that ends with a received frame is
 * the peer's processing plus one network trip; one that ends with a sent frame is this SP's own work.
 */
async function trace(req: ChildRequest): Promise<{ gaps: Record<string, number[]>; failed: number }> {
  const n = req.n as number;
  const gaps: Record<string, number[]> = {};
  let events: { label: string; t: number }[] = [];
  const onConnect = (): void => {
    events.push({ label: 'TLS connected', t: performance.now() });
  };
  const onFrame = (m: unknown): void => {
    const f = m as { direction: 'in' | 'out'; type: number };
    const name = FRAME_NAMES[f.type] ?? String(f.type);
    events.push({ label: `${f.direction === 'in' ? 'got' : 'sent'} ${name}`, t: performance.now() });
  };
  diagnosticsChannel.subscribe('attestkit:transport:connect', onConnect);
  diagnosticsChannel.subscribe('attestkit:transport:frame', onFrame);
  let failed = 0;
  try {
    for (let i = 0; i < n; i++) {
      events = [{ label: 'start', t: performance.now() }];
      const ok = await oneSession();
      events.push({ label: 'done', t: performance.now() });
      if (!ok) {
        failed++;
        continue;
      }
      for (let k = 1; k < events.length; k++) {
        const key = `${events[k - 1]!.label} → ${events[k]!.label}`;
        const list = gaps[key] ?? [];
        list.push(events[k]!.t - events[k - 1]!.t);
        gaps[key] = list;
      }
    }
  } finally {
    diagnosticsChannel.unsubscribe('attestkit:transport:connect', onConnect);
    diagnosticsChannel.unsubscribe('attestkit:transport:frame', onFrame);
  }
  return { gaps, failed };
}

async function throughput(
  req: ChildRequest,
): Promise<{ completed: number; failed: number; elapsedMs: number; cpuUs: number; lastFailure?: string }> {
  const concurrency = req.concurrency as number;
  const durationMs = req.durationMs as number;
  let completed = 0;
  let failed = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      if (await oneSession()) completed++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    completed,
    failed,
    elapsedMs,
    cpuUs: cpu.user + cpu.system,
    ...(lastFailure === undefined ? {} : { lastFailure }),
  };
}

function tlsHandshakeOnce(port: number, secureContext: SecureContext): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, secureContext, minVersion: 'TLSv1.2' }, () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}

/** The SP's per-session crypto, µs per op per round; the TLS handshake as this process's CPU time per handshake. */
async function bound(req: ChildRequest): Promise<Record<string, number[]>> {
  const s = need();
  const plan = { rounds: req.rounds as number, roundMs: req.roundMs as number, warmup: req.warmup as number };
  const signingKey = privateKeyFromPem(s.signingKeyPem);
  const app = generateEcKeyPair();
  const probe = generateEcKeyPair();
  const keys = deriveRaKeys(ecdhSharedSecretLE(probe.privateKey, app.publicKey));
  const gbga = new Uint8Array(128);
  const msg2Data = new Uint8Array(148);
  const quoteBytes = s.mode === 'dcap' ? s.platform.quoteSgx() : new Uint8Array(1116);
  const msg3Data = new Uint8Array(320 + quoteBytes.length);
  const pib = new Uint8Array(97);
  const secret = Uint8Array.of(0, 1);
  const iv = new Uint8Array(12);
  const ops: Record<string, () => unknown> = {
    ecdhKeygenDerive: () => {
      const pair = generateEcKeyPair();
      return deriveRaKeys(ecdhSharedSecretLE(pair.privateKey, app.publicKey));
    },
    ecdsaSign: () => signSgx(signingKey, gbga),
    // msg2 MAC, msg3 MAC, report_data hash, ATT_RESULT MAC, secret encryption.
    cmacsAndSymmetric: () => {
      aesCmac(keys.smk, msg2Data);
      aesCmac(keys.smk, msg3Data);
      sha256(gbga);
      aesCmac(keys.mk, pib);
      return aesGcmEncrypt(keys.sk, iv, secret);
    },
  };
  if (s.mode === 'dcap') {
    ops.quoteVerification = boundOperations('sim-sgx-v3', quoteBytes).total!;
  } else {
    if (sampleReport === undefined) await oneSession();
    const r = sampleReport;
    if (r === undefined) throw new Error('no IAS report captured');
    ops.quoteVerification = () => cryptoVerify('sha256', r.body, r.leafKey, r.signature);
    if (!ops.quoteVerification()) throw new Error('the IAS report signature did not verify');
  }
  const out: Record<string, number[]> = {};
  for (const [name, op] of Object.entries(ops)) out[name] = timeSync(op, plan);
  // TLS: the client's CPU time per full handshake (no resumption), sequential, with one shared
  // SecureContext (building a context per connection is avoidable work, not part of the bound).
  const secureContext = createSecureContext({ ca: s.appCa });
  out.tlsHandshake = [];
  for (let i = 0; i < plan.warmup; i++) await tlsHandshakeOnce(s.barePort, secureContext);
  for (let r = 0; r < plan.rounds; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let n = 0;
    do {
      await tlsHandshakeOnce(s.barePort, secureContext);
      n++;
    } while (performance.now() - t0 < plan.roundMs);
    const c = process.cpuUsage(cpu0);
    out.tlsHandshake.push((c.user + c.system) / n);
  }
  return out;
}

async function hold(req: ChildRequest): Promise<{ parked: number }> {
  need();
  const n = req.n as number;
  parked = 0;
  gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  const reached = new Promise<void>((resolve) => {
    parkedWaiter = { n, resolve };
  });
  heldRuns = [];
  // Open them in waves so the App's accept queue is not flooded.
  const wave = 64;
  for (let i = 0; i < n; i += wave) {
    const batch: Promise<boolean>[] = [];
    for (let j = i; j < Math.min(n, i + wave); j++) {
      batch.push(oneSession());
    }
    heldRuns.push(...batch);
    const target = Math.min(n, i + wave);
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        if (parked >= target) resolve();
        else setTimeout(tick, 5);
      };
      tick();
    });
  }
  await reached;
  return { parked };
}

async function release(): Promise<{ ok: number; failed: number }> {
  openGate?.();
  const results = await Promise.all(heldRuns);
  gate = undefined;
  openGate = undefined;
  parkedWaiter = undefined;
  heldRuns = [];
  const ok = results.filter(Boolean).length;
  return { ok, failed: results.length - ok };
}

async function bareOpen(req: ChildRequest): Promise<{ open: number }> {
  const s = need();
  const n = req.n as number;
  const wave = 64;
  for (let i = 0; i < n; i += wave) {
    const batch: Promise<TLSSocket>[] = [];
    for (let j = i; j < Math.min(n, i + wave); j++) {
      batch.push(
        new Promise((resolve, reject) => {
          const sock = connect({ host: '127.0.0.1', port: s.barePort, ca: s.appCa }, () => resolve(sock));
          sock.once('error', reject);
        }),
      );
    }
    bareSockets.push(...(await Promise.all(batch)));
  }
  return { open: bareSockets.length };
}

let script: ReplayStep[] | undefined;
const replaySockets: TLSSocket[] = [];

/**
 * Opens `n` connections to the App's replay server that carry the traffic of an RA session up to
 * its parking point (case 4's second baseline). The first call captures that traffic from one real
 * session, which stays parked like the others (call after `hold`, while the gate is closed).
 */
async function replayOpen(req: ChildRequest): Promise<{ open: number; script: ReplayStep[] }> {
  const s = need();
  if (script === undefined) {
    if (gate === undefined) throw new Error('replayOpen: hold first (the capture parks one session)');
    const frames: SeenFrame[] = [];
    const before = parked;
    heldRuns.push(oneSession((m) => frames.push({ direction: m.direction, bytes: m.bytes })));
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        if (parked > before) resolve();
        else setTimeout(tick, 5);
      };
      tick();
    });
    script = replayScript(frames);
  }
  replaySockets.push(...(await openReplayConnections(s.replayPort, s.appCa, req.n as number, script)));
  return { open: replaySockets.length, script };
}

function bareClose(): { closed: number } {
  const n = bareSockets.length;
  for (const s of bareSockets.splice(0)) s.destroy();
  return { closed: n };
}

serveRequests({
  setup: doSetup,
  latency,
  trace,
  throughput,
  bound,
  hold,
  release,
  bareOpen,
  replayOpen,
  bareClose,
  cpu: () => process.cpuUsage(),
  memory: () => memorySnapshot(),
});
