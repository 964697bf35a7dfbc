/**
 * ServiceProvider × Application in memory (no TLS): every message goes through its frame encoding.
 * EPID with a verifier test double and with the real IAS path (IAS mock + IasClient +
 * verifyIasReport); DCAP with the simulated platform and verifyQuote; refusals with their codes.
 */
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { IasClient } from '../../src/collateral/ias-client.ts';
import { generateEcKeyPair } from '../../src/crypto/index.ts';
import {
  type Enclave,
  LocalEnclave,
  type QuoteProvider,
  SIM_DEFAULT_MR_ENCLAVE,
  SimulatedEnclave,
  type SimulatedEnclaveInfo,
  SimulatedEpidQuoteProvider,
} from '../../src/enclave/index.ts';
import { NetworkError } from '../../src/errors.ts';
import { appraise } from '../../src/policy/appraise.ts';
import { type PolicyInput, parsePolicy } from '../../src/policy/schema.ts';
import {
  Application,
  type Appraiser,
  type AppState,
  decodeProtocolFrame,
  encodeProtocolMessage,
  type FrameStep,
  type ProtocolEvent,
  type ProtocolSession,
  type QuoteVerifier,
  type RawFrame,
  ServiceProvider,
  type ServiceProviderOptions,
  type SpState,
} from '../../src/protocol/index.ts';
import { createIasMock, type IasMock } from '../../src/sim/ias-mock.ts';
import { createSimulatedPlatform, type SimulatedPlatform } from '../../src/sim/platform.ts';
import type { SessionHandler } from '../../src/transport/session.ts';
import { verifyQuote } from '../../src/verify/dcap.ts';
import { verifyIasReport } from '../../src/verify/ias.ts';
import { toEnclaveIdentity } from '../../src/verify/identity.ts';
import type { EnclaveIdentity, VerifiedIasReport } from '../../src/verify/types.ts';
import { toHex } from '../../src/wire/hex.ts';
import { type DecodedBody, RA_MSG_TYPES } from '../../src/wire/messages.ts';
import { parseQuote, type QuoteV2 } from '../../src/wire/quote.ts';

const sp = generateEcKeyPair();
const NOW = new Date('2025-06-01T00:00:00Z');

function policyAppraiser(input: PolicyInput, now = NOW): Appraiser {
  const policy = parsePolicy(input);
  return (evidence) => appraise(evidence, policy, { now });
}
const SIM_POLICY: PolicyInput = { mrEnclave: [SIM_DEFAULT_MR_ENCLAVE] };

type Tamper = (to: 'sp' | 'app', msg: DecodedBody) => DecodedBody;

interface Outcome {
  readonly sp: SpState;
  readonly app: AppState;
  readonly secrets: Uint8Array[];
  readonly spEvents: ProtocolEvent[];
  readonly transcript: string[];
}

/**
 * Runs one session between the two state machines through their frame-level sessions, as a
 * transport would: frames in order, a side that closes or fails ends the connection for the other.
 */
async function converse(spo: ServiceProviderOptions, enclave: Enclave, tamper?: Tamper): Promise<Outcome> {
  const secrets: Uint8Array[] = [];
  const spEvents: ProtocolEvent[] = [];
  const transcript: string[] = [];
  const spS = new ServiceProvider(spo).session({ onEvent: (e) => spEvents.push(e) });
  const appS = new Application({ enclave, onSecret: (s) => void secrets.push(s.slice()) }).session();
  const queue: { to: 'sp' | 'app'; frame: RawFrame }[] = [];
  const push = (to: 'sp' | 'app', out: FrameStep) => {
    for (const frame of out.send) queue.push({ to, frame });
  };
  push('app', await spS.start());
  push('sp', await appS.start());
  while (queue.length > 0) {
    const { to, frame: raw } = queue.shift()!;
    const target: ProtocolSession<SpState> | ProtocolSession<AppState> = to === 'sp' ? spS : appS;
    if (target.done) continue;
    let frame = raw;
    if (tamper !== undefined) frame = encodeProtocolMessage(tamper(to, decodeProtocolFrame(raw)));
    transcript.push(`${to === 'sp' ? 'App→SP' : 'SP→App'} ${frame.type}`);
    try {
      push(to === 'sp' ? 'app' : 'sp', await target.onFrame(frame));
    } catch {
      // The failed side closes without a message (§4.2).
      break;
    }
  }
  const closed = { ok: false, error: new NetworkError('ERR_NET_CLOSED', 'peer closed') } as const;
  if (!spS.done) spS.onEnd(closed);
  if (!appS.done) appS.onEnd(closed);
  return { sp: await spS.finished(), app: await appS.finished(), secrets, spEvents, transcript };
}

function spResult(o: Outcome) {
  assert.ok(o.sp.step === 'done' || o.sp.step === 'failed');
  return o.sp.result;
}

function appError(o: Outcome): string | undefined {
  return o.app.step === 'failed' ? o.app.error.code : undefined;
}

const identityOf = (q: QuoteV2): EnclaveIdentity => toEnclaveIdentity(q.body);

/** A test double for IAS: checks the simulated EPID signature with the group key, reports `status`. */
function fakeIas(groupPublicKeyPem: string, status = 'OK'): QuoteVerifier & { sigRlCalls: number } {
  const key = createPublicKey(groupPublicKeyPem);
  const v = {
    sigRlCalls: 0,
    async getSigRl(): Promise<Uint8Array> {
      v.sigRlCalls++;
      return new Uint8Array(0);
    },
    async verifyEpid(quote: Uint8Array, { nonce }: { nonce: string }): Promise<VerifiedIasReport> {
      const ok = verify(
        'sha256',
        quote.subarray(0, 432),
        { key, dsaEncoding: 'ieee-p1363' },
        quote.subarray(436, 500),
      );
      const q = parseQuote(quote) as QuoteV2;
      const s = ok ? status : 'SIGNATURE_INVALID';
      return {
        kind: 'epid',
        iasStatus: s,
        ...(s === 'OK' ? { tcbStatus: 'UpToDate' as const } : {}),
        advisoryIds: [],
        reportId: '1',
        timestamp: '2025-06-01T00:00:00.000000',
        nonce,
        epidGroupId: toHex(q.epidGroupId),
        enclave: identityOf(q),
        steps: [],
      };
    },
  };
  return v;
}

function spOptions(
  verifier: QuoteVerifier,
  appraiser: Appraiser,
  extra: Partial<ServiceProviderOptions> = {},
) {
  return {
    verifier,
    appraise: appraiser,
    signingKey: sp.privateKey,
    ...extra,
  } satisfies ServiceProviderOptions;
}

describe('SP × App, EPID, simulated enclave in a worker, IAS test double', () => {
  let enclave: Enclave & { readonly info: SimulatedEnclaveInfo };
  before(async () => {
    enclave = await SimulatedEnclave.create({ spPublicKey: sp.publicKey, mode: 'epid' });
  });
  after(() => enclave.close());

  test('happy path: trusted, the seed secret {0,1} delivered, the §4.1 sequence', async () => {
    const ias = fakeIas(enclave.info.epidGroupPublicKeyPem!);
    const o = await converse(spOptions(ias, policyAppraiser(SIM_POLICY)), enclave);
    assert.deepEqual(o.transcript, [
      'SP→App 5',
      'App→SP 0',
      'SP→App 0',
      'App→SP 1',
      'SP→App 2',
      'App→SP 3',
      'SP→App 4',
      'App→SP 6',
    ]);
    const r = spResult(o);
    assert.equal(o.sp.step, 'done');
    assert.equal(r.trusted, true);
    assert.equal(r.secretDelivered, true);
    assert.equal(r.quoteType, 'epid');
    assert.equal(r.status, 'UpToDate');
    assert.equal(r.iasStatus, 'OK');
    assert.equal(r.enclave?.mrEnclave, SIM_DEFAULT_MR_ENCLAVE);
    assert.equal(r.evidence?.kind, 'epid');
    assert.equal(r.verdict?.accepted, true);
    assert.equal(r.error, undefined);
    assert.match(r.nonce, /^[0-9a-f]{32}$/);
    assert.equal(ias.sigRlCalls, 1, 'the SigRL of the simulated group was fetched');
    assert.deepEqual(o.secrets, [Uint8Array.of(0, 1)]);
    assert.equal(o.app.step, 'done');
    assert.ok(o.spEvents.some((e) => e.kind === 'completed'));
    assert.ok(
      !JSON.stringify(o.spEvents.map((e) => e.kind)).includes('secret'),
      'no event carries the secret',
    );
  });

  test('a configured secret is delivered as is; every session has a fresh nonce', async () => {
    const secret = new Uint8Array(randomBytes(48));
    const ias = fakeIas(enclave.info.epidGroupPublicKeyPem!);
    const a = await converse(spOptions(ias, policyAppraiser(SIM_POLICY), { secret }), enclave);
    const b = await converse(spOptions(ias, policyAppraiser(SIM_POLICY), { secret }), enclave);
    assert.deepEqual(a.secrets, [secret]);
    assert.deepEqual(b.secrets, [secret]);
    assert.notEqual(spResult(a).nonce, spResult(b).nonce);
  });

  test('IAS status not OK → ERR_PROTOCOL_REFUSED; the App sees the refusal', async () => {
    const ias = fakeIas(enclave.info.epidGroupPublicKeyPem!, 'GROUP_OUT_OF_DATE');
    const o = await converse(spOptions(ias, policyAppraiser(SIM_POLICY)), enclave);
    const r = spResult(o);
    assert.equal(r.trusted, false);
    assert.equal(r.error?.code, 'ERR_PROTOCOL_REFUSED');
    assert.equal(r.refusalCode, 'ERR_POLICY_TCB_STATUS');
    assert.equal(r.iasStatus, 'GROUP_OUT_OF_DATE');
    assert.equal(appError(o), 'ERR_PROTOCOL_REFUSED');
    assert.deepEqual(o.secrets, []);
  });

  test('identity not in the policy → ERR_PROTOCOL_REFUSED (ERR_POLICY_MR_ENCLAVE)', async () => {
    const ias = fakeIas(enclave.info.epidGroupPublicKeyPem!);
    const o = await converse(spOptions(ias, policyAppraiser({ mrEnclave: ['ab'.repeat(32)] })), enclave);
    assert.equal(spResult(o).refusalCode, 'ERR_POLICY_MR_ENCLAVE');
    assert.equal(appError(o), 'ERR_PROTOCOL_REFUSED');
  });

  test('the enclave pins another SP key → the App refuses msg2 (ERR_PROTOCOL_MSG2_SIGNATURE)', async () => {
    const other = generateEcKeyPair();
    const ias = fakeIas(enclave.info.epidGroupPublicKeyPem!);
    const o = await converse(
      spOptions(ias, policyAppraiser(SIM_POLICY), { signingKey: other.privateKey }),
      enclave,
    );
    assert.equal(appError(o), 'ERR_PROTOCOL_MSG2_SIGNATURE');
    assert.equal(spResult(o).error?.code, 'ERR_NET_CLOSED');
    assert.equal(spResult(o).trusted, false);
  });

  const tampers: { name: string; tamper: Tamper; side: 'sp' | 'app'; code: string }[] = [
    {
      name: 'msg2 MAC',
      side: 'app',
      code: 'ERR_PROTOCOL_MSG2_MAC',
      tamper: (_to, m) =>
        m.type === 2 ? { ...m, message: { ...m.message, smac: flip(m.message.smac) } } : m,
    },
    {
      name: 'msg2 signature',
      side: 'app',
      code: 'ERR_PROTOCOL_MSG2_SIGNATURE',
      tamper: (_to, m) =>
        m.type === 2
          ? {
              ...m,
              message: {
                ...m.message,
                signatureY: [(m.message.signatureY[0]! ^ 1) >>> 0, ...m.message.signatureY.slice(1)],
              },
            }
          : m,
    },
    {
      name: 'msg2 g_b (re-signing impossible without the SP key)',
      side: 'app',
      code: 'ERR_PROTOCOL_INVALID_GB',
      tamper: (_to, m) =>
        m.type === 2 ? { ...m, message: { ...m.message, publicKeyGx: flip(m.message.publicKeyGx) } } : m,
    },
    {
      name: 'msg3 MAC',
      side: 'sp',
      code: 'ERR_PROTOCOL_MSG3_MAC',
      tamper: (_to, m) =>
        m.type === 3 ? { ...m, message: { ...m.message, sgxMac: flip(m.message.sgxMac) } } : m,
    },
    {
      name: 'msg3 quote',
      side: 'sp',
      code: 'ERR_PROTOCOL_MSG3_MAC',
      tamper: (_to, m) =>
        m.type === 3 ? { ...m, message: { ...m.message, quote: flip(m.message.quote, 700) } } : m,
    },
    {
      name: 'attestation result MAC',
      side: 'app',
      code: 'ERR_PROTOCOL_ATT_RESULT_MAC',
      tamper: (_to, m) => (m.type === 4 ? { ...m, message: { ...m.message, epidGroupStatus: 1 } } : m),
    },
    {
      name: 'attestation result payload',
      side: 'app',
      code: 'ERR_CRYPTO_DECRYPT_FAILED',
      tamper: (_to, m) =>
        m.type === 4 ? { ...m, message: { ...m.message, payload: flip(m.message.payload) } } : m,
    },
  ];
  for (const t of tampers) {
    test(`tampered ${t.name} → ${t.code} at the ${t.side === 'sp' ? 'SP' : 'App'}`, async () => {
      const ias = fakeIas(enclave.info.epidGroupPublicKeyPem!);
      const o = await converse(spOptions(ias, policyAppraiser(SIM_POLICY)), enclave, t.tamper);
      if (t.side === 'app') assert.equal(appError(o), t.code);
      else assert.equal(spResult(o).error?.code, t.code);
      assert.deepEqual(o.secrets, []);
      if (t.side === 'app' && o.sp.step === 'failed') assert.equal(o.sp.result.secretDelivered, false);
    });
  }
});

function flip(b: Uint8Array, at = 0): Uint8Array {
  const c = b.slice();
  c[at] = (c[at]! ^ 1) & 0xff;
  return c;
}

describe('SP × App, EPID, the real IAS path (IAS mock, IasClient, verifyIasReport)', () => {
  let enclave: Enclave & { readonly info: SimulatedEnclaveInfo };
  let mock: IasMock;
  before(async () => {
    enclave = await SimulatedEnclave.create({ spPublicKey: sp.publicKey, mode: 'epid', inProcess: true });
    mock = await createIasMock({
      simEpidPublicKey: enclave.info.epidGroupPublicKeyPem!,
      epidGroupId: enclave.info.epidGroupId!,
    });
  });
  after(async () => {
    await mock.close();
    await enclave.close();
  });

  function iasVerifier(): QuoteVerifier {
    const client = new IasClient({ baseUrl: mock.urls.v4, apiVersion: 4, apiKey: 'attestkit-test' });
    return {
      getSigRl: (gid) => client.getSigRl(gid),
      async verifyEpid(quote, { nonce }) {
        const res = await client.getReport(quote, { nonce });
        return verifyIasReport(res, {
          now: new Date(),
          trustAnchors: [mock.reportSigningCaPem],
          expectedQuote: quote,
          expectedNonce: nonce,
        });
      },
    };
  }

  test('OK: signed report verified, nonce echoed, secret delivered', async () => {
    mock.setStatus('OK');
    const o = await converse(spOptions(iasVerifier(), policyAppraiser(SIM_POLICY, new Date())), enclave);
    const r = spResult(o);
    assert.equal(r.trusted, true, r.error?.message);
    assert.equal(r.secretDelivered, true);
    assert.equal(r.evidence?.kind === 'epid' ? r.evidence.nonce : undefined, r.nonce);
    assert.deepEqual(o.secrets, [Uint8Array.of(0, 1)]);
  });

  test('SIGNATURE_INVALID from IAS → ERR_PROTOCOL_REFUSED (ERR_IAS_QUOTE_STATUS)', async () => {
    mock.setStatus('SIGNATURE_INVALID');
    try {
      const o = await converse(spOptions(iasVerifier(), policyAppraiser(SIM_POLICY, new Date())), enclave);
      assert.equal(spResult(o).refusalCode, 'ERR_IAS_QUOTE_STATUS');
      assert.equal(appError(o), 'ERR_PROTOCOL_REFUSED');
    } finally {
      mock.setStatus('OK');
    }
  });
});

describe('SP × App, DCAP, simulated platform and verifyQuote', () => {
  let platform: SimulatedPlatform;
  before(async () => {
    platform = await createSimulatedPlatform({ seed: 'attestkit protocol tests', now: NOW });
  });
  const dcapVerifier = (): QuoteVerifier => ({
    async verifyDcap(quote) {
      return verifyQuote(quote, platform.collateral.sgx, {
        now: platform.now,
        trustAnchors: [platform.rootPem],
      });
    },
  });

  test('v3 quote: trusted, UpToDate, secret delivered; no SigRL, no IAS', async () => {
    const enclave = await SimulatedEnclave.create({
      spPublicKey: sp.publicKey,
      mode: 'dcap',
      dcap: { platform },
    });
    try {
      const secret = Uint8Array.of(1, 2, 3, 4, 5);
      const o = await converse(
        spOptions(dcapVerifier(), policyAppraiser(SIM_POLICY, platform.now), { secret }),
        enclave,
      );
      const r = spResult(o);
      assert.equal(r.trusted, true, r.error?.message);
      assert.equal(r.quoteType, 'dcap');
      assert.equal(r.status, 'UpToDate');
      assert.equal(r.iasStatus, undefined);
      assert.equal(r.evidence?.kind, 'dcap');
      assert.deepEqual(o.secrets, [secret]);
      assert.ok(!o.spEvents.some((e) => e.kind === 'sigrl'));
    } finally {
      await enclave.close();
    }
  });

  test('debug enclave → ERR_PROTOCOL_REFUSED (ERR_POLICY_DEBUG)', async () => {
    const enclave = await SimulatedEnclave.create({
      spPublicKey: sp.publicKey,
      mode: 'dcap',
      dcap: { platform },
      identity: { debug: true },
      inProcess: true,
    });
    const o = await converse(spOptions(dcapVerifier(), policyAppraiser(SIM_POLICY, platform.now)), enclave);
    assert.equal(spResult(o).refusalCode, 'ERR_POLICY_DEBUG');
    assert.equal(spResult(o).enclave?.debug, true);
    assert.equal(appError(o), 'ERR_PROTOCOL_REFUSED');
  });

  test('a DCAP quote with no DCAP verifier configured → ERR_CONFIG_UNSUPPORTED', async () => {
    const enclave = await SimulatedEnclave.create({
      spPublicKey: sp.publicKey,
      mode: 'dcap',
      dcap: { platform },
      inProcess: true,
    });
    const o = await converse(
      spOptions({ verifyEpid: async () => assert.fail('not EPID') }, policyAppraiser(SIM_POLICY)),
      enclave,
    );
    assert.equal(spResult(o).error?.code, 'ERR_CONFIG_UNSUPPORTED');
  });
});

describe('SP × App, checks that need a misbehaving enclave', () => {
  const groupKey = new SimulatedEpidQuoteProvider({ warn: () => {} });
  const groupPem = groupKey.groupPublicKeyPem;

  function enclaveWith(provider: Partial<QuoteProvider>, extendedGroupId = 0): Enclave {
    return new LocalEnclave({
      spPublicKey: sp.publicKey,
      extendedGroupId,
      quoteProvider: {
        quoteKind: 'epid',
        epidGroupId: provider.epidGroupId ?? (() => groupKey.epidGroupId()),
        getQuote: provider.getQuote ?? ((r) => groupKey.getQuote(r)),
      },
    });
  }

  test('report_data not the session binding → ERR_PROTOCOL_REPORT_DATA', async () => {
    const enclave = enclaveWith({
      getQuote: (r) => groupKey.getQuote({ ...r, reportData: flip(r.reportData, 5) }),
    });
    const o = await converse(spOptions(fakeIas(groupPem), policyAppraiser(SIM_POLICY)), enclave);
    assert.equal(spResult(o).error?.code, 'ERR_PROTOCOL_REPORT_DATA');
    assert.equal(appError(o), 'ERR_NET_CLOSED');
  });

  test('quote EPID group ≠ msg1 gid → ERR_PROTOCOL_GID_MISMATCH', async () => {
    const enclave = enclaveWith({ epidGroupId: () => Uint8Array.of(1, 2, 3, 4) });
    const o = await converse(spOptions(fakeIas(groupPem), policyAppraiser(SIM_POLICY)), enclave);
    assert.equal(spResult(o).error?.code, 'ERR_PROTOCOL_GID_MISMATCH');
  });

  test('extended EPID group id ≠ 0 → ERR_PROTOCOL_EXTENDED_GID', async () => {
    const o = await converse(spOptions(fakeIas(groupPem), policyAppraiser(SIM_POLICY)), enclaveWith({}, 1));
    assert.equal(spResult(o).error?.code, 'ERR_PROTOCOL_EXTENDED_GID');
  });

  test('the App host rejecting the secret fails the App session; no APP_ATT_OK', async () => {
    const app = new Application({
      enclave: enclaveWith({}),
      onSecret: () => {
        throw new Error('disk full');
      },
    });
    const spS = new ServiceProvider(spOptions(fakeIas(groupPem), policyAppraiser(SIM_POLICY))).session();
    const appS = app.session();
    let frames = (await spS.start()).send;
    for (let i = 0; i < 3; i++) {
      const fromApp = await appS.onFrame(frames[0]!);
      frames = (await spS.onFrame(fromApp.send[0]!)).send;
    }
    await assert.rejects(
      appS.onFrame(frames[0]!),
      (e: { code?: string }) => e.code === 'ERR_PROTOCOL_SESSION_ENDED',
    );
    spS.onEnd({ ok: false, error: new NetworkError('ERR_NET_CLOSED', 'closed') });
    const final = await spS.finished();
    assert.equal(final.step, 'failed');
    if (final.step === 'failed') {
      assert.equal(final.result.trusted, true);
      assert.equal(final.result.secretDelivered, false);
      assert.equal(final.result.error?.code, 'ERR_NET_CLOSED');
    }
  });
});

describe('out-of-order and mismatched messages (§11.2 B4)', () => {
  const enclave = new LocalEnclave({
    spPublicKey: sp.publicKey,
    quoteProvider: new SimulatedEpidQuoteProvider({ warn: () => {} }),
  });
  const msg0: DecodedBody = { type: RA_MSG_TYPES.RA_MSG0, message: { type: 0, epid: 0 } };
  const verification: DecodedBody = { type: RA_MSG_TYPES.RA_VERIFICATION, message: { type: 5 } };

  test('App: MSG2 before RA_VERIFICATION', async () => {
    const app = new Application({ enclave });
    const s = await app.step(app.initialState(), {
      kind: 'message',
      message: {
        type: 2,
        message: {
          type: 2,
          publicKeyGx: new Uint8Array(32),
          publicKeyGy: new Uint8Array(32),
          spid: new Uint8Array(16),
          signatureX: [],
          signatureY: [],
          smac: new Uint8Array(16),
          sigrl: new Uint8Array(0),
        },
      },
    });
    assert.equal(s.state.step, 'failed');
    if (s.state.step === 'failed') assert.equal(s.state.error.code, 'ERR_PROTOCOL_UNEXPECTED_MESSAGE');
    assert.equal(s.done, true);
  });

  test('App: RA_VERIFICATION twice', async () => {
    const app = new Application({ enclave });
    const a = await app.step(app.initialState(), { kind: 'message', message: verification });
    assert.deepEqual(a.send, [msg0], '§2.4: the App MSG0 carries no status');
    const b = await app.step(a.state, { kind: 'message', message: verification });
    assert.equal(b.state.step === 'failed' ? b.state.error.code : '', 'ERR_PROTOCOL_UNEXPECTED_MESSAGE');
  });

  test('SP: MSG3 right after MSG0 (no MSG1), and a frame/protobuf type mismatch', async () => {
    const spm = new ServiceProvider(spOptions({}, policyAppraiser(SIM_POLICY)));
    let s = await spm.step(spm.initialState(), { kind: 'start' });
    s = await spm.step(s.state, { kind: 'message', message: msg0 });
    const bad = await spm.step(s.state, {
      kind: 'message',
      message: {
        type: 3,
        message: {
          type: 3,
          sgxMac: new Uint8Array(16),
          gaxMsg3: new Uint8Array(32),
          gayMsg3: new Uint8Array(32),
          secProperty: new Uint8Array(256),
          quote: new Uint8Array(1),
        },
      },
    });
    assert.equal(bad.state.step === 'failed' ? bad.state.error.code : '', 'ERR_PROTOCOL_UNEXPECTED_MESSAGE');
    const s2 = await spm.step(spm.initialState(), { kind: 'start' });
    const mism = await spm.step(s2.state, {
      kind: 'message',
      message: { type: 0, message: { type: 1, epid: 0 } },
    });
    assert.equal(
      mism.state.step === 'failed' ? mism.state.error.code : '',
      'ERR_PROTOCOL_UNEXPECTED_MESSAGE',
    );
    // After the end, any input is refused and the state stays.
    const after = await spm.step(mism.state, { kind: 'message', message: msg0 });
    assert.equal(after.state, mism.state);
    assert.equal(after.events[0]?.kind, 'failed');
  });

  test('SP: MSG0 with TERMINATE ends the session; a second start is unexpected', async () => {
    const spm = new ServiceProvider(spOptions({}, policyAppraiser(SIM_POLICY)));
    const s = await spm.step(spm.initialState(), { kind: 'start' });
    const t = await spm.step(s.state, {
      kind: 'message',
      message: { type: 0, message: { type: 0, epid: 0, status: 1 } },
    });
    assert.equal(t.state.step === 'failed' ? t.state.error.code : '', 'ERR_PROTOCOL_SESSION_ENDED');
    const again = await spm.step(s.state, { kind: 'start' });
    assert.equal(
      again.state.step === 'failed' ? again.state.error.code : '',
      'ERR_PROTOCOL_UNEXPECTED_MESSAGE',
    );
  });

  test('a ProtocolSession is a transport SessionHandler (start, onFrame, onEnd)', async () => {
    const handler: SessionHandler = new Application({ enclave }).session();
    const first = await handler.start?.();
    assert.deepEqual(first, { send: [], close: false }, 'the App (TLS server) waits for the SP');
  });

  test('a frame that does not decode ends the session with its ParseError', async () => {
    const session = new Application({ enclave }).session();
    await assert.rejects(
      session.onFrame({ type: 5, body: Uint8Array.of(0x10, 0x01) }),
      (e: { code?: string }) => e.code === 'ERR_PROTOBUF_MISSING_FIELD',
    );
    const final = await session.finished();
    assert.equal(final.step, 'failed');
  });
});
