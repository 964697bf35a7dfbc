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
import { type Enclave, SIM_EPID_GROUP_ID, SimulatedEnclave } from '../../src/enclave/index.ts';
import {
  createSimulatedPlatform,
  type SimulatedPlatform,
  saveSimulatedPlatform,
} from '../../src/sim/platform.ts';
import { verifyQuote } from '../../src/verify/dcap.ts';
import { toHex } from '../../src/wire/hex.ts';
import { parseQuote } from '../../src/wire/quote.ts';
import { code } from '../helpers/errors.ts';
import { groupKeyPem, runHandSession } from '../helpers/hand-sp.ts';

const sp = generateEcKeyPair();
const GROUP_PEM = groupKeyPem();

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
