/**
 * Full DCAP sessions over real TLS on 127.0.0.1 (issue 5, "Tests"), one per attester backend, each
 * verified by the SP as `attestkit sp` wires it (DCAP verification against the simulated
 * collateral under the simulated root, then the policy):
 *
 * - the simulated enclave (worker thread, SGX v3 quotes from the simulated QE);
 * - `GramineEnclave` on a fake `/dev/attestation` whose quotes come from the simulator (SGX v3);
 * - `TsmEnclave` on a fake configfs-tsm whose quotes come from the simulator (TDX v4), verified with
 *   the TDX collateral and appraised with `td` rules (MRTD, RTMR0, TDATTRIBUTES).
 *
 * Each delivers the secret and the SP's result is trusted with the right TEE type and status. An
 * EAR signed for a session verifies with the public key and carries the verdict and the session
 * nonce as `eat_nonce`.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sha256 } from '../../src/crypto/index.ts';
import {
  type Enclave,
  GramineEnclave,
  SIM_DEFAULT_MR_ENCLAVE,
  SIM_DEFAULT_MR_SIGNER,
  SimulatedEnclave,
  TsmEnclave,
} from '../../src/enclave/index.ts';
import { createEar, type EarClaims, type Policy, parsePolicy, verifyEar } from '../../src/policy/index.ts';
import type { SpResult } from '../../src/protocol/index.ts';
import { createSimulatedPlatform, type SimulatedPlatform } from '../../src/sim/index.ts';
import { fromHex, toHex } from '../../src/wire/hex.ts';
import {
  type AppBed,
  type AttestSetup,
  attest,
  createParties,
  FakeFs,
  fakeTsmFs,
  hasCode,
  type Parties,
  startApp,
  utf8,
} from './helpers.ts';

const NOW = new Date('2025-06-01T00:00:00Z');
const AT = new Date(NOW.getTime() + 3_600_000);
const GRAMINE_MR_ENCLAVE = toHex(sha256(utf8('attestkit e2e: an app inside Gramine')));
const GRAMINE_MR_SIGNER = toHex(sha256(utf8('attestkit e2e: the Gramine app signer')));
const MR_TD = '5a'.repeat(48);
const RTMR0 = '0f'.repeat(48);
const MESSAGES = [
  'sent RA_VERIFICATION',
  'received RA_MSG0',
  'sent RA_MSG0',
  'received RA_MSG1',
  'sent RA_MSG2',
  'received RA_MSG3',
  'sent RA_ATT_RESULT',
  'received RA_APP_ATT_OK',
];

let platform: SimulatedPlatform;
let parties: Parties;
let simEnclave: Enclave;
let gramineEnclave: Enclave;
let tsmEnclave: Enclave;
let simApp: AppBed;
let gramineApp: AppBed;
let tsmApp: AppBed;
let gramineFs: FakeFs;
let tsmFs: FakeFs;
let ear: { privateKey: KeyObject; publicKey: KeyObject };

/** `/dev/attestation` of Gramine-SGX with DCAP: writing user_report_data makes the next quote. */
function fakeGramine(p: SimulatedPlatform): FakeFs {
  const fs = new FakeFs();
  fs.files.set('/dev/attestation/attestation_type', utf8('dcap\n'));
  fs.onWrite = (path, data) => {
    if (path !== '/dev/attestation/user_report_data') return;
    const quote = p.quoteSgx({
      mrEnclave: fromHex(GRAMINE_MR_ENCLAVE),
      mrSigner: fromHex(GRAMINE_MR_SIGNER),
      isvProdId: 7,
      isvSvn: 3,
      reportData: data,
    });
    fs.files.set('/dev/attestation/quote', quote);
  };
  return fs;
}

/** configfs-tsm of a TDX guest: writing inblob makes outblob (a TDX v4 quote) and bumps generation. */
function fakeTsm(p: SimulatedPlatform): FakeFs {
  const rtmr = [fromHex(RTMR0), new Uint8Array(48), new Uint8Array(48), new Uint8Array(48)];
  return fakeTsmFs((reportData) => p.quoteTdx({ reportData, mrTd: fromHex(MR_TD), rtmr }));
}

const SIM_POLICY: Policy = parsePolicy({
  mrEnclave: [SIM_DEFAULT_MR_ENCLAVE],
  mrSigner: [SIM_DEFAULT_MR_SIGNER],
});
const GRAMINE_POLICY: Policy = parsePolicy({
  mrEnclave: [GRAMINE_MR_ENCLAVE],
  mrSigner: [GRAMINE_MR_SIGNER],
  isvProdId: 7,
  minIsvSvn: 3,
});
/** MRTD and RTMR0, and TDATTRIBUTES.DEBUG (bit 0) must be clear. */
const TD_POLICY: Policy = parsePolicy({
  td: {
    mrTd: [MR_TD],
    rtmr0: [RTMR0],
    tdAttributesMask: '0100000000000000',
    tdAttributesValue: '0000000000000000',
  },
});

/** The checks every successful session shares. */
function assertDelivered(result: SpResult, app: AppBed, secret: Uint8Array, teeType: 'SGX' | 'TDX'): void {
  assert.equal(result.error, undefined, result.error?.message);
  assert.equal(result.trusted, true);
  assert.equal(result.secretDelivered, true);
  assert.equal(result.quoteType, 'dcap');
  assert.equal(result.status, 'UpToDate');
  assert.deepEqual(result.advisoryIds, []);
  assert.equal(result.verdict?.accepted, true);
  const evidence = result.evidence;
  assert.equal(evidence?.kind, 'dcap');
  assert.equal(evidence.teeType, teeType);
  assert.equal(evidence.quoteVersion, teeType === 'SGX' ? 3 : 4);
  assert.equal(evidence.tcbStatus, 'UpToDate');
  assert.equal(evidence.fmspc, platform.config.fmspc);
  assert.match(result.nonce, /^[0-9a-f]{32}$/);
  assert.equal(app.secrets.at(-1), toHex(secret));
}

before(async () => {
  platform = await createSimulatedPlatform({ seed: 'attestkit e2e sessions', now: NOW });
  parties = createParties();
  ear = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  gramineFs = fakeGramine(platform);
  tsmFs = fakeTsm(platform);
  [simEnclave, gramineEnclave] = await Promise.all([
    SimulatedEnclave.create({ spPublicKey: parties.sp.publicKey, mode: 'dcap', dcap: { platform } }),
    GramineEnclave.create({ spPublicKey: parties.sp.publicKey, fs: gramineFs }),
  ]);
  tsmEnclave = new TsmEnclave({ spPublicKey: parties.sp.publicKey, fs: tsmFs });
  [simApp, gramineApp, tsmApp] = await Promise.all([
    startApp(simEnclave, parties),
    startApp(gramineEnclave, parties),
    startApp(tsmEnclave, parties),
  ]);
});

after(async () => {
  await Promise.all([simApp?.server.close(), gramineApp?.server.close(), tsmApp?.server.close()]);
  await Promise.all([simEnclave?.close(), gramineEnclave?.close(), tsmEnclave?.close()]);
});

describe('DCAP sessions over TLS, one per attester backend', () => {
  test('SimulatedEnclave (SGX v3): trusted, UpToDate, the secret delivered, the seed’s message sequence', async () => {
    const secret = utf8('secret for the simulated enclave');
    const { run } = await attest(simApp, parties, {
      collateral: platform.collateral.sgx,
      trustAnchor: platform.rootPem,
      policy: SIM_POLICY,
      now: AT,
      secret,
    });
    assertDelivered(run.result, simApp, secret, 'SGX');
    assert.equal(simEnclave.kind, 'simulated');
    assert.equal(run.result.enclave?.mrEnclave, SIM_DEFAULT_MR_ENCLAVE);
    assert.equal(run.result.enclave?.mrSigner, SIM_DEFAULT_MR_SIGNER);
    assert.equal(run.result.enclave?.debug, false);
    assert.deepEqual(
      run.messages.map((m) => `${m.direction} ${m.typeName}`),
      MESSAGES,
    );
    await simApp.reportsReach(1);
    assert.equal(simApp.reports.at(-1)?.ok, true);
    assert.equal(simApp.reports.at(-1)?.secretSize, secret.length);
  });

  test('GramineEnclave on a fake /dev/attestation (SGX v3): trusted, the Gramine app’s identity', async () => {
    const secret = utf8('secret for the Gramine app');
    const { run } = await attest(gramineApp, parties, {
      collateral: platform.collateral.sgx,
      trustAnchor: platform.rootPem,
      policy: GRAMINE_POLICY,
      now: AT,
      secret,
    });
    assertDelivered(run.result, gramineApp, secret, 'SGX');
    assert.equal(gramineEnclave.kind, 'gramine');
    assert.equal(run.result.enclave?.mrEnclave, GRAMINE_MR_ENCLAVE);
    assert.equal(run.result.enclave?.isvProdId, 7);
    assert.equal(run.result.enclave?.isvSvn, 3);
    // The quote the SP verified is the one the fake driver served for this session's report data.
    const served = gramineFs.files.get('/dev/attestation/quote');
    const reportData = gramineFs.files.get('/dev/attestation/user_report_data');
    assert.ok(served !== undefined && reportData !== undefined);
    assert.equal(run.result.enclave?.reportData, toHex(reportData));
  });

  test('TsmEnclave on a fake configfs-tsm (TDX v4): trusted with td rules, the secret delivered', async () => {
    const secret = utf8('secret for the TD');
    const { run } = await attest(tsmApp, parties, {
      collateral: platform.collateral.tdx,
      trustAnchor: platform.rootPem,
      policy: TD_POLICY,
      now: AT,
      secret,
    });
    assertDelivered(run.result, tsmApp, secret, 'TDX');
    assert.equal(tsmEnclave.kind, 'tsm');
    assert.equal(run.result.enclave, undefined);
    assert.equal(run.result.td?.mrTd, MR_TD);
    assert.equal(run.result.td?.rtmr[0], RTMR0);
    assert.equal(run.result.td?.debug, false);
    const evidence = run.result.evidence;
    assert.equal(evidence?.kind === 'dcap' ? evidence.tdxModuleTcbStatus : undefined, 'UpToDate');
    assert.ok(run.result.verdict?.rules.some((r) => r.rule === 'td.mrTd' && r.ok));
    assert.equal(tsmFs.dirs.size, 0, 'the report entry is removed');
  });

  test('TsmEnclave: a TD whose MRTD is not in the policy is refused with ERR_POLICY_TD_IDENTITY', async () => {
    const { run } = await attest(tsmApp, parties, {
      collateral: platform.collateral.tdx,
      trustAnchor: platform.rootPem,
      policy: parsePolicy({ td: { mrTd: ['00'.repeat(48)] } }),
      now: AT,
    });
    assert.equal(run.result.trusted, false);
    assert.equal(run.result.secretDelivered, false);
    assert.equal(run.result.error?.code, 'ERR_PROTOCOL_REFUSED');
    assert.equal(run.result.refusalCode, 'ERR_POLICY_TD_IDENTITY');
  });

  test('the three backends in concurrent sessions all succeed', async () => {
    const sgx = { collateral: platform.collateral.sgx, trustAnchor: platform.rootPem, now: AT };
    const tdx = { collateral: platform.collateral.tdx, trustAnchor: platform.rootPem, now: AT };
    const plan: readonly [AppBed, AttestSetup][] = [
      [simApp, { ...sgx, policy: SIM_POLICY }],
      [gramineApp, { ...sgx, policy: GRAMINE_POLICY }],
      [tsmApp, { ...tdx, policy: TD_POLICY }],
      [gramineApp, { ...sgx, policy: GRAMINE_POLICY }],
      [tsmApp, { ...tdx, policy: TD_POLICY }],
    ];
    const runs = await Promise.all(plan.map(([app, setup]) => attest(app, parties, setup)));
    for (const [i, { run }] of runs.entries()) {
      assert.equal(
        run.result.trusted && run.result.secretDelivered,
        true,
        `session ${i}: ${run.result.error?.code}`,
      );
    }
  });
});

describe('EAR for a session', () => {
  const verifierId = { developer: 'attestkit', build: 'attestkit e2e' };

  async function sessionEar(
    app: AppBed,
    setup: Parameters<typeof attest>[2],
  ): Promise<{ token: string; result: SpResult }> {
    const { run, wiring } = await attest(app, parties, setup);
    const verdict = wiring.lastVerdict();
    const evidence = run.result.evidence;
    assert.ok(verdict !== undefined && evidence !== undefined);
    const token = await createEar(verdict, evidence, {
      signingKey: ear.privateKey,
      verifierId,
      nonce: run.result.nonce,
      now: AT,
    });
    return { token, result: run.result };
  }

  test('an accepted SGX session: the EAR verifies with the public key, affirming, eat_nonce = the session nonce', async () => {
    const { token, result } = await sessionEar(simApp, {
      collateral: platform.collateral.sgx,
      trustAnchor: platform.rootPem,
      policy: SIM_POLICY,
      now: AT,
    });
    assert.equal(result.trusted && result.secretDelivered, true);
    const claims: EarClaims = await verifyEar(token, ear.publicKey, { now: AT, expectedNonce: result.nonce });
    assert.equal(claims.eat_nonce, result.nonce);
    assert.deepEqual(claims['ear.verifier-id'], verifierId);
    const sub = claims.submods.sgx;
    assert.equal(sub?.['ear.status'], 'affirming');
    assert.equal(sub?.['attestkit.evidence-kind'], 'dcap');
    assert.equal(sub?.['attestkit.tee-type'], 'SGX');
    assert.equal(sub?.['attestkit.tcb-status'], 'UpToDate');
    assert.deepEqual(sub?.['attestkit.failed-rules'], []);
    const evidence = result.evidence;
    assert.equal(evidence?.kind, 'dcap');
    assert.equal(sub?.['attestkit.collateral-issued-at'], evidence.collateralIssuedAt);
    assert.equal(sub?.['attestkit.collateral-expires-at'], evidence.collateralExpiresAt);
    assert.equal(
      (sub?.['attestkit.identity'] as { mrEnclave?: string } | undefined)?.mrEnclave,
      SIM_DEFAULT_MR_ENCLAVE,
    );
    assert.ok(claims.exp > claims.iat);
  });

  test('the EAR is refused under another public key, another nonce, or after it expired', async () => {
    const { token, result } = await sessionEar(simApp, {
      collateral: platform.collateral.sgx,
      trustAnchor: platform.rootPem,
      policy: SIM_POLICY,
      now: AT,
    });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await assert.rejects(verifyEar(token, other.publicKey, { now: AT }), hasCode('ERR_EAR_INVALID'));
    await assert.rejects(
      verifyEar(token, ear.publicKey, { now: AT, expectedNonce: 'ff'.repeat(16) }),
      hasCode('ERR_EAR_INVALID'),
    );
    await assert.rejects(
      verifyEar(token, ear.publicKey, {
        now: new Date(AT.getTime() + 2 * 3_600_000),
        expectedNonce: result.nonce,
      }),
      hasCode('ERR_EAR_INVALID'),
    );
  });

  test('a TDX session: submod tdx, affirming; a refused session: contraindicated, with the failed rule', async () => {
    const tdx = await sessionEar(tsmApp, {
      collateral: platform.collateral.tdx,
      trustAnchor: platform.rootPem,
      policy: TD_POLICY,
      now: AT,
    });
    const tdxClaims = await verifyEar(tdx.token, ear.publicKey, { now: AT, expectedNonce: tdx.result.nonce });
    assert.equal(tdxClaims.submods.tdx?.['ear.status'], 'affirming');
    assert.equal(tdxClaims.submods.tdx?.['attestkit.tee-type'], 'TDX');

    const refused = await sessionEar(simApp, {
      collateral: platform.collateral.sgx,
      trustAnchor: platform.rootPem,
      policy: parsePolicy({ mrEnclave: ['cd'.repeat(32)] }),
      now: AT,
    });
    assert.equal(refused.result.refusalCode, 'ERR_POLICY_MR_ENCLAVE');
    const claims = await verifyEar(refused.token, ear.publicKey, {
      now: AT,
      expectedNonce: refused.result.nonce,
    });
    assert.equal(claims.submods.sgx?.['ear.status'], 'contraindicated');
    assert.deepEqual(claims.submods.sgx?.['attestkit.failed-rules'], ['mrEnclave']);
  });
});
