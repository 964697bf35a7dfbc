/**
 * The simulated enclave in its worker thread (EPID and DCAP quote modes) and in process.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateEcKeyPair, raReportData } from '../../src/crypto/index.ts';
import { RaCore } from '../../src/enclave/core.ts';
import { SimulatedEpidQuoteProvider } from '../../src/enclave/epid-sim.ts';
import { type Enclave, SIM_EPID_GROUP_ID, SimulatedEnclave } from '../../src/enclave/index.ts';
import { exactBytes, WorkerDispatcher } from '../../src/enclave/sim-host.ts';
import {
  createSimulatedPlatform,
  type SimulatedPlatform,
  saveSimulatedPlatform,
} from '../../src/sim/platform.ts';
import { verifyQuote } from '../../src/verify/dcap.ts';
import { toHex } from '../../src/wire/hex.ts';
import { parseQuote } from '../../src/wire/quote.ts';
import { parseMsg1 } from '../../src/wire/ra.ts';
import { code } from '../helpers/errors.ts';
import { groupKeyPem, handAttResult, handMsg2, runHandSession } from '../helpers/hand-sp.ts';

const sp = generateEcKeyPair();
const GROUP_PEM = groupKeyPem();

/** A simulated EPID enclave in its worker, holding at most `maxSessions` RA contexts. */
function cappedEpidEnclave(maxSessions: number): ReturnType<typeof SimulatedEnclave.create> {
  return SimulatedEnclave.create({
    spPublicKey: sp.publicKey,
    mode: 'epid',
    epid: { groupKeyPem: GROUP_PEM },
    maxSessions,
  });
}

/** One full enclave session driven by the hand-made SP (quote type 0: unlinkable). */
async function runSession(enclave: Enclave, secret: Uint8Array) {
  const r = await runHandSession(enclave, sp, secret, { quoteType: 0 });
  return { ...r, gA: r.msg1.gA, gid: r.msg1.gid };
}

describe('SimulatedEnclave, EPID mode, in a worker thread', () => {
  let enclave: Enclave & { readonly info: { epidGroupPublicKeyPem?: string } };
  const warnings: string[] = [];
  before(async () => {
    enclave = await SimulatedEnclave.create({
      spPublicKey: sp.publicKey,
      mode: 'epid',
      identity: { isvProdId: 7, isvSvn: 2 },
      warn: (m) => warnings.push(m),
    });
  });
  after(() => enclave.close());

  test('a fresh group key is generated and reported through warn', () => {
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /generated a fresh one/);
    assert.match(enclave.info.epidGroupPublicKeyPem ?? '', /BEGIN PUBLIC KEY/);
  });

  test('a session: msg1 carries the simulated GID; the quote binds the keys; the secret is delivered', async () => {
    const r = await runSession(enclave, Uint8Array.of(9, 8, 7));
    assert.deepEqual(r.gid, SIM_EPID_GROUP_ID);
    assert.deepEqual(r.delivered, Uint8Array.of(9, 8, 7));
    const q = parseQuote(r.quote);
    assert.equal(q.version, 2);
    assert.equal(q.length, 1116);
    if (q.version !== 2) return;
    assert.equal(q.signType, 0, 'quote_type 0 → unlinkable');
    assert.deepEqual(q.epidGroupId, SIM_EPID_GROUP_ID);
    assert.equal(q.body.isvProdId, 7);
    assert.equal(q.body.isvSvn, 2);
    assert.deepEqual(q.body.reportData, raReportData(r.gA, r.gB, r.keys.vk));
    const pub = createPublicKey(enclave.info.epidGroupPublicKeyPem!);
    assert.ok(
      verify(
        'sha256',
        r.quote.subarray(0, 432),
        { key: pub, dsaEncoding: 'ieee-p1363' },
        r.quote.subarray(436, 500),
      ),
    );
  });

  test('sessions run concurrently in the one worker, each with its own context', async () => {
    const secrets = [1, 2, 3, 4].map((n) => Uint8Array.of(n, n));
    const results = await Promise.all(secrets.map((s) => runSession(enclave, s)));
    results.forEach((r, i) => {
      assert.deepEqual(r.delivered, secrets[i]);
    });
    assert.equal(new Set(results.map((r) => toHex(r.gA))).size, 4);
  });

  test('errors cross the thread boundary with their code', async () => {
    const session = await enclave.openSession();
    await assert.rejects(session.processMsg2(new Uint8Array(168)), code('ERR_PROTOCOL_UNEXPECTED_MESSAGE'));
    await session.msg1();
    await assert.rejects(session.processMsg2(new Uint8Array(10)), code('ERR_PROTOCOL_MSG2_INVALID'));
    await session.close();
    await assert.rejects(session.msg1(), code('ERR_PROTOCOL_SESSION_ENDED'));
  });
});

describe('SimulatedEnclave, DCAP mode', () => {
  let platform: SimulatedPlatform;
  let dir: string;
  before(async () => {
    platform = await createSimulatedPlatform({
      seed: 'attestkit enclave tests',
      now: new Date('2025-06-01T00:00:00Z'),
    });
    dir = await mkdtemp(join(tmpdir(), 'attestkit-enclave-'));
    await saveSimulatedPlatform(platform, dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const variant of ['platform object, worker', 'saved directory, in process'] as const) {
    test(`${variant}: a v3 quote that verifies against the simulated PKI`, async () => {
      const enclave = await SimulatedEnclave.create({
        spPublicKey: sp.publicKey,
        mode: 'dcap',
        identity: { mrSigner: '11'.repeat(32), isvSvn: 5 },
        dcap: variant.startsWith('saved') ? { platformDir: dir } : { platform },
        inProcess: variant.endsWith('in process'),
      });
      try {
        const r = await runSession(enclave, Uint8Array.of(0, 1));
        assert.deepEqual(r.gid, new Uint8Array(4), 'DCAP msg1 gid is 0');
        assert.deepEqual(r.delivered, Uint8Array.of(0, 1));
        const verified = verifyQuote(r.quote, platform.collateral.sgx, {
          now: platform.now,
          trustAnchors: [platform.rootPem],
        });
        assert.equal(verified.quoteVersion, 3);
        assert.equal(verified.enclave?.mrSigner, '11'.repeat(32));
        assert.equal(verified.enclave?.isvSvn, 5);
        assert.equal(verified.enclave?.debug, false);
        assert.equal(verified.enclave?.reportData, toHex(raReportData(r.gA, r.gB, r.keys.vk)));
      } finally {
        await enclave.close();
      }
    });
  }

  test('DCAP mode without a platform is a configuration error', async () => {
    await assert.rejects(
      SimulatedEnclave.create({ spPublicKey: sp.publicKey, mode: 'dcap' }),
      code('ERR_CONFIG_INVALID'),
    );
  });
});

describe('SimulatedEnclave, in process', () => {
  test('EPID with a given group key: no warning; close ends the sessions', async () => {
    const warnings: string[] = [];
    const enclave = await SimulatedEnclave.create({
      spPublicKey: sp.publicKey,
      mode: 'epid',
      epid: { groupKeyPem: GROUP_PEM },
      inProcess: true,
      warn: (m) => warnings.push(m),
    });
    assert.deepEqual(warnings, []);
    assert.equal(await enclave.extendedGroupId(), 0);
    const r = await runSession(enclave, Uint8Array.of(0, 1));
    assert.deepEqual(r.delivered, Uint8Array.of(0, 1));
    const session = await enclave.openSession();
    await enclave.close();
    await assert.rejects(session.msg1(), code('ERR_PROTOCOL_SESSION_ENDED'));
    await assert.rejects(enclave.openSession(), code('ERR_PROTOCOL_SESSION_ENDED'));
  });

  test('a group key that is not PEM is a configuration error', async () => {
    await assert.rejects(
      SimulatedEnclave.create({
        spPublicKey: sp.publicKey,
        mode: 'epid',
        epid: { groupKeyPem: 'nope' },
        inProcess: true,
      }),
      code('ERR_CONFIG_INVALID'),
    );
  });
});

describe('SimulatedEnclave worker protocol: fewer crossings, same guarantees', () => {
  test('the cap holds across the worker; a close frees the slot before the next session opens', async () => {
    const enclave = await cappedEpidEnclave(1);
    try {
      const a = await enclave.openSession();
      await a.msg1();
      const b = await enclave.openSession();
      // The open rides on b's first request and fails it with the cap's error.
      await assert.rejects(b.msg1(), code('ERR_PROTOCOL_SESSION_ENDED'));
      await b.close();
      await a.close();
      // a's close is handled before c's open (same message, or an earlier one).
      const c = await enclave.openSession();
      await c.msg1();
      await c.close();
      await assert.rejects(c.msg1(), code('ERR_PROTOCOL_SESSION_ENDED'));
      // A session closed before its first call is not opened by a later call.
      const d = await enclave.openSession();
      await d.close();
      await assert.rejects(d.msg1(), code('ERR_PROTOCOL_SESSION_ENDED'));
      const e = await enclave.openSession();
      await e.msg1();
    } finally {
      await enclave.close();
    }
  });

  test('a session that delivered its secret or failed frees its slot without a close', async () => {
    const enclave = await cappedEpidEnclave(1);
    try {
      const a = await enclave.openSession();
      const msg1 = parseMsg1(await a.msg1());
      await assert.rejects(a.processMsg2(new Uint8Array(10)), code('ERR_PROTOCOL_MSG2_INVALID'));
      // a failed: the worker released it; b fits under the cap although a was never closed.
      const b = await enclave.openSession();
      const bGa = parseMsg1(await b.msg1()).gA;
      assert.notDeepEqual(bGa, msg1.gA);
      const { bytes, keys } = handMsg2(sp, bGa, { quoteType: 0 });
      await b.processMsg2(bytes);
      assert.deepEqual(
        await b.verifyAndDecrypt!(handAttResult(keys, Uint8Array.of(4, 2))),
        Uint8Array.of(4, 2),
      );
      await assert.rejects(b.decryptSecret(), code('ERR_PROTOCOL_SESSION_ENDED'));
      const c = await enclave.openSession();
      await c.msg1();
      // Closes after the fact are no-ops.
      await a.close();
      await b.close();
      await c.close();
    } finally {
      await enclave.close();
    }
  });

  test('closes queued while idle (sent on their own after this turn) free their slots for later sessions', async () => {
    const enclave = await cappedEpidEnclave(2);
    try {
      const sessions = [await enclave.openSession(), await enclave.openSession()];
      await Promise.all(sessions.map((s) => s.msg1()));
      await Promise.all(sessions.map((s) => s.close()));
      // Let the batched close go out on its own, then fill the cap again.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const more = [await enclave.openSession(), await enclave.openSession()];
      await Promise.all(more.map((s) => s.msg1()));
    } finally {
      await enclave.close();
    }
  });

  test('WorkerDispatcher: batched closes and the open run before the operation; release', async () => {
    const core = new RaCore({
      spPublicKey: sp.publicKey,
      quoteProvider: new SimulatedEpidQuoteProvider({ groupKeyPem: GROUP_PEM }),
      maxSessions: 1,
    });
    const d = new WorkerDispatcher(core);
    const m1 = await d.run({ id: 1, op: 'msg1', session: 1, open: true });
    assert.ok(m1 instanceof Uint8Array && m1.length === 68);
    assert.equal(d.release(1), false, 'mid-protocol: kept');
    // Over the cap: the open fails the operation with the cap's error, then the session is released.
    await assert.rejects(
      d.run({ id: 2, op: 'msg1', session: 2, open: true }),
      code('ERR_PROTOCOL_SESSION_ENDED'),
    );
    assert.equal(d.release(2), true);
    // Session 1's close rides on session 3's first request, before its open.
    await d.run({ id: 3, op: 'msg1', session: 3, open: true, close: [1] });
    assert.equal(core.openSessions, 1);
    await assert.rejects(d.run({ id: 4, op: 'msg2', session: 1 }), code('ERR_PROTOCOL_SESSION_ENDED'));
    // A failed session is released (its keys were zero-filled when it failed).
    await assert.rejects(
      d.run({ id: 5, op: 'msg2', session: 3, data: new Uint8Array(3) }),
      code('ERR_PROTOCOL_MSG2_INVALID'),
    );
    assert.equal(d.release(3), true);
    assert.equal(core.openSessions, 0);
    await d.run({ id: 0, op: 'closeSession', close: [3, 99] });
    await d.run({ id: 6, op: 'closeAll' });
  });

  test('exactBytes: a view is copied to its own buffer, a whole buffer is kept', () => {
    const whole = Uint8Array.of(1, 2, 3);
    assert.equal(exactBytes(whole), whole);
    const big = new Uint8Array(8192).fill(7);
    const view = big.subarray(100, 110);
    const copy = exactBytes(view);
    assert.notEqual(copy, view);
    assert.deepEqual(copy, view);
    assert.equal(copy.buffer.byteLength, 10);
  });
});
