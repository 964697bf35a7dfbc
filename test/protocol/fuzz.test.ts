/**
 * fast-check: arbitrary messages and frames into `step()` in every state of both state machines.
 * Invariant (STYLE.md §13): nothing but AttestErrors escapes, a bad input ends the session in the
 * `failed` state with an AttestError, and nothing is sent on a failure except the seed's own
 * signals (MSG0 TERMINATE, the zeroed ATT_RESULT).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { generateEcKeyPair } from '../../src/crypto/index.ts';
import { LocalEnclave, SimulatedEpidQuoteProvider } from '../../src/enclave/index.ts';
import { isAttestError } from '../../src/errors.ts';
import {
  Application,
  type AppState,
  type ProtocolMessage,
  type QuoteVerifier,
  ServiceProvider,
  type SpState,
  type Step,
} from '../../src/protocol/index.ts';
import { toEnclaveIdentity } from '../../src/verify/identity.ts';
import { toHex } from '../../src/wire/hex.ts';
import { RA_MSG_TYPES } from '../../src/wire/messages.ts';
import { parseQuote, type QuoteV2 } from '../../src/wire/quote.ts';

const sp = generateEcKeyPair();
const groupPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const enclave = new LocalEnclave({
  spPublicKey: sp.publicKey,
  quoteProvider: new SimulatedEpidQuoteProvider({ groupKeyPem: groupPem }),
  maxSessions: 100_000,
});

/** Accepts every EPID quote (the fuzz target is the state machine, not the verifier). */
const verifier: QuoteVerifier = {
  async getSigRl() {
    return new Uint8Array(0);
  },
  async verifyEpid(quote, { nonce }) {
    const q = parseQuote(quote) as QuoteV2;
    return {
      kind: 'epid',
      iasStatus: 'OK',
      tcbStatus: 'UpToDate',
      advisoryIds: [],
      reportId: '1',
      timestamp: '2025-01-01T00:00:00',
      nonce,
      epidGroupId: toHex(q.epidGroupId),
      enclave: toEnclaveIdentity(q.body),
      steps: [],
    };
  },
};
const spm = new ServiceProvider({
  verifier,
  appraise: () => ({ accepted: true, rules: [] }),
  signingKey: sp.privateKey,
});
const app = new Application({ enclave });

/** Both machines run side by side through `n` exchanges; returns the states reached. */
async function advance(n: number): Promise<{ sp: SpState; app: AppState }> {
  let s: Step<SpState> = await spm.step(spm.initialState(), { kind: 'start' });
  let a: Step<AppState> = { state: app.initialState(), send: [], events: [], done: false };
  let toApp = s.send;
  for (let i = 0; i < n; i++) {
    a = await app.step(a.state, { kind: 'message', message: toApp[0]! });
    if (i === n - 1 && a.send.length === 0) break;
    s = await spm.step(s.state, { kind: 'message', message: a.send[0]! });
    toApp = s.send;
  }
  return { sp: s.state, app: a.state };
}

const SP_STATES: Record<string, () => Promise<SpState>> = {
  start: async () => spm.initialState(),
  'await-msg0': async () => (await spm.step(spm.initialState(), { kind: 'start' })).state,
  'await-msg1': async () => (await advance(1)).sp,
  'await-msg3': async () => (await advance(2)).sp,
  'await-app-att-ok': async () => (await advance(3)).sp,
  done: async () => (await advance(4)).sp,
};
const APP_STATES: Record<string, () => Promise<AppState>> = {
  'await-verification': async () => app.initialState(),
  'await-msg0-echo': async () => (await advance(1)).app,
  'await-msg2': async () => (await advance(2)).app,
  'await-att-result': async () => (await advance(3)).app,
  done: async () => (await advance(4)).app,
};

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const small = fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 145, 168, 1452), u32);
const bytes = (n: number) =>
  fc.oneof(fc.uint8Array({ minLength: n, maxLength: n }), fc.uint8Array({ maxLength: n + 8 }));
const words = fc.oneof(fc.array(u32, { minLength: 8, maxLength: 8 }), fc.array(u32, { maxLength: 10 }));
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

/** Arbitrary decoded messages of every type, with the right shapes and arbitrary contents. */
const message: fc.Arbitrary<ProtocolMessage> = fc.oneof(
  fc.record({
    type: fc.constant(RA_MSG_TYPES.RA_MSG0),
    message: fc.record({ type: small, epid: small, status: opt(small) }),
  }),
  fc.record({
    type: fc.constant(RA_MSG_TYPES.RA_MSG1),
    message: fc.record({ type: small, GaX: bytes(32), GaY: bytes(32), GID: bytes(4) }),
  }),
  fc.record({
    type: fc.constant(RA_MSG_TYPES.RA_MSG2),
    message: fc.record({
      type: small,
      size: opt(small),
      publicKeyGx: bytes(32),
      publicKeyGy: bytes(32),
      quoteType: opt(small),
      spid: bytes(16),
      cmacKdfId: opt(small),
      signatureX: words,
      signatureY: words,
      smac: bytes(16),
      sizeSigrl: opt(small),
      sigrl: bytes(4),
    }),
  }),
  fc.record({
    type: fc.constant(RA_MSG_TYPES.RA_MSG3),
    message: fc.record({
      type: small,
      size: opt(small),
      sgxMac: bytes(16),
      gaxMsg3: bytes(32),
      gayMsg3: bytes(32),
      secProperty: bytes(256),
      quote: fc.oneof(bytes(1116), fc.uint8Array({ maxLength: 64 })),
    }),
  }),
  fc.record({
    type: fc.constant(RA_MSG_TYPES.RA_ATT_RESULT),
    message: fc.record({
      type: small,
      size: small,
      epidGroupStatus: opt(small),
      tcbEvaluationStatus: opt(small),
      pseEvaluationStatus: opt(small),
      latestEquivalentTcbPsvn: bytes(18),
      latestPseIsvsvn: bytes(2),
      latestPsdaSvn: bytes(4),
      performanceRekeyGid: bytes(4),
      ecSign256X: words,
      ecSign256Y: words,
      macSmk: bytes(16),
      resultSize: opt(small),
      reserved: bytes(12),
      payloadTag: bytes(16),
      payload: bytes(2),
    }),
  }),
  fc.record({
    type: fc.constant(RA_MSG_TYPES.RA_VERIFICATION),
    message: fc.record({ type: small, size: opt(small) }),
  }),
  fc.record({
    type: fc.constant(RA_MSG_TYPES.RA_APP_ATT_OK),
    message: fc.record({
      type: small,
      size: small,
      encryptedContent: bytes(0),
      macSmk: bytes(0),
      encryptedPkey: bytes(0),
      encryptedPkeyMacSmk: bytes(0),
      encryptedX509: bytes(0),
      encryptedX509MacSmk: bytes(0),
    }),
  }),
) as fc.Arbitrary<ProtocolMessage>;

function checkStep<S extends { step: string }>(out: Step<S>, before: S): void {
  if (out.state.step === 'failed') {
    const error = (out.state as unknown as { error: unknown }).error;
    assert.ok(isAttestError(error), 'a failed state carries an AttestError');
    assert.equal(out.done, true);
  }
  for (const e of out.events) if (e.kind === 'failed') assert.ok(isAttestError(e.error));
  if (before.step === 'done' || before.step === 'failed') {
    assert.equal(out.state, before, 'a finished session stays finished');
    assert.deepEqual(out.send, []);
  }
}

const RUNS = 60;

describe('fuzz: arbitrary messages into ServiceProvider.step in every state', () => {
  for (const [name, make] of Object.entries(SP_STATES)) {
    test(`state ${name}`, async () => {
      assert.equal((await make()).step, name);
      await fc.assert(
        fc.asyncProperty(message, async (msg) => {
          const state = await make();
          const out = await spm.step(state, { kind: 'message', message: msg });
          checkStep(out, state);
        }),
        { numRuns: RUNS },
      );
    });
  }
});

describe('fuzz: arbitrary messages into Application.step in every state', () => {
  for (const [name, make] of Object.entries(APP_STATES)) {
    test(`state ${name}`, async () => {
      assert.equal((await make()).step, name);
      await fc.assert(
        fc.asyncProperty(message, async (msg) => {
          const state = await make();
          const out = await app.step(state, { kind: 'message', message: msg });
          checkStep(out, state);
        }),
        { numRuns: RUNS },
      );
    });
  }
});

describe('fuzz: arbitrary frames into sessions', () => {
  const frame = fc.record({ type: fc.integer({ min: 0, max: 9 }), body: fc.uint8Array({ maxLength: 300 }) });
  test('ServiceProvider and Application sessions: only AttestErrors escape onFrame', async () => {
    await fc.assert(
      fc.asyncProperty(frame, fc.boolean(), async (f, started) => {
        const spS = spm.session();
        const appS = app.session();
        if (started) await spS.start();
        for (const s of [spS, appS]) {
          try {
            const out = await s.onFrame(f);
            assert.ok(Array.isArray(out.send));
          } catch (e) {
            assert.ok(isAttestError(e), `non-AttestError escaped: ${String(e)}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a happy-path run still completes after the fuzzing (no shared state corrupted)', async () => {
    const { sp: s, app: a } = await advance(4);
    assert.equal(s.step, 'done');
    assert.equal(a.step, 'done');
  });
});
