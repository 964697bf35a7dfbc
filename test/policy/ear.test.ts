import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { isAttestError } from '../../src/errors.ts';
import { appraise, createEar, EAR_PROFILE, parsePolicy, verifyEar } from '../../src/policy/index.ts';
import type { VerifiedEvidence } from '../../src/verify/types.ts';
import { ENCLAVE, epidReport, MR_ENCLAVE, MR_TD, NOW, sgxQuote, TD, tdxQuote } from './fixtures.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const VERIFIER = { developer: 'attestkit', build: 'attestkit 0.1.0' };

async function earFor(
  evidence: VerifiedEvidence,
  policy: unknown,
  extra: { nonce?: string | Uint8Array } = {},
) {
  const verdict = appraise(evidence, parsePolicy(policy), { now: NOW });
  const token = await createEar(verdict, evidence, {
    signingKey: privateKey,
    verifierId: VERIFIER,
    now: NOW,
    ttlSeconds: 600,
    ...extra,
  });
  return { verdict, token };
}

function earInvalid(e: unknown): boolean {
  assert.ok(isAttestError(e), String(e));
  assert.equal(e.code, 'ERR_EAR_INVALID');
  return true;
}

describe('EAR (draft-ietf-rats-ear)', () => {
  test('round trip: affirming, nonce, verifier id, policy id, identity and collateral times', async () => {
    const nonce = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
    const evidence = sgxQuote();
    const { verdict, token } = await earFor(evidence, { mrEnclave: [MR_ENCLAVE] }, { nonce });
    assert.equal(token.split('.').length, 3);
    assert.equal(decodeProtectedHeader(token).alg, 'ES256');
    const claims = await verifyEar(token, publicKey, {
      now: NOW,
      expectedNonce: nonce.toString('base64url'),
    });
    assert.equal(claims.eat_profile, EAR_PROFILE);
    assert.equal(claims.eat_profile, 'tag:github.com,2023:veraison/ear');
    assert.equal(claims.iat, Math.floor(NOW.getTime() / 1000));
    assert.equal(claims.exp, claims.iat + 600);
    assert.deepEqual(claims['ear.verifier-id'], VERIFIER);
    assert.equal(claims.eat_nonce, nonce.toString('base64url'));
    const sub = claims.submods.sgx;
    assert.ok(sub !== undefined);
    assert.equal(sub['ear.status'], 'affirming');
    assert.equal(sub['ear.appraisal-policy-id'], verdict.policyId);
    assert.equal(sub['attestkit.tcb-status'], 'UpToDate');
    assert.deepEqual(sub['attestkit.advisory-ids'], []);
    assert.deepEqual(sub['attestkit.identity'], ENCLAVE);
    assert.equal(sub['attestkit.collateral-issued-at'], evidence.collateralIssuedAt);
    assert.equal(sub['attestkit.collateral-expires-at'], evidence.collateralExpiresAt);
    assert.deepEqual(sub['attestkit.failed-rules'], []);
    assert.equal(sub['ear.trustworthiness-vector']?.hardware, 2);
  });

  test('warning for accepted evidence with another status or advisories; contraindicated when refused', async () => {
    const warn = await earFor(
      sgxQuote({ tcbStatus: 'SWHardeningNeeded', advisoryIds: ['INTEL-SA-00615'] }),
      {},
    );
    const c1 = await verifyEar(warn.token, publicKey, { now: NOW });
    assert.equal(c1.submods.sgx?.['ear.status'], 'warning');
    assert.deepEqual(c1.submods.sgx?.['attestkit.advisory-ids'], ['INTEL-SA-00615']);

    const adv = await earFor(sgxQuote({ advisoryIds: ['INTEL-SA-00615'] }), {});
    assert.equal(
      (await verifyEar(adv.token, publicKey, { now: NOW })).submods.sgx?.['ear.status'],
      'warning',
    );

    const refused = await earFor(sgxQuote({ enclave: { ...ENCLAVE, debug: true } }), {});
    assert.equal(refused.verdict.accepted, false);
    const c2 = await verifyEar(refused.token, publicKey, { now: NOW });
    assert.equal(c2.submods.sgx?.['ear.status'], 'contraindicated');
    assert.deepEqual(c2.submods.sgx?.['attestkit.failed-rules'], ['debug']);
    assert.equal(c2.submods.sgx?.['ear.trustworthiness-vector']?.configuration, 96);
  });

  test('TDX evidence goes in the tdx submodule; EPID carries the raw IAS status', async () => {
    const tdx = await earFor(tdxQuote(), { td: { mrTd: [MR_TD] } });
    const c = await verifyEar(tdx.token, publicKey, { now: NOW });
    assert.deepEqual(Object.keys(c.submods), ['tdx']);
    assert.deepEqual(c.submods.tdx?.['attestkit.identity'], TD);
    assert.equal(c.submods.tdx?.['attestkit.tee-type'], 'TDX');

    const epid = await earFor(
      epidReport({ iasStatus: 'SW_HARDENING_NEEDED', tcbStatus: 'SWHardeningNeeded' }),
      {},
    );
    const e = await verifyEar(epid.token, publicKey, { now: NOW });
    assert.equal(e.submods.sgx?.['attestkit.evidence-kind'], 'epid');
    assert.equal(e.submods.sgx?.['attestkit.ias-status'], 'SW_HARDENING_NEEDED');
    assert.equal(e.submods.sgx?.['ear.status'], 'warning');
  });

  test('a PEM signing key and an explicit submodule name work', async () => {
    const verdict = appraise(sgxQuote(), parsePolicy({}), { now: NOW });
    const token = await createEar(verdict, sgxQuote(), {
      signingKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      verifierId: VERIFIER,
      now: NOW,
      submod: 'enclave',
      kid: 'k1',
    });
    assert.equal(decodeProtectedHeader(token).kid, 'k1');
    const claims = await verifyEar(token, publicKey.export({ format: 'pem', type: 'spki' }).toString(), {
      now: NOW,
    });
    assert.deepEqual(Object.keys(claims.submods), ['enclave']);
  });

  test('tampered, wrongly keyed, expired or mismatched EARs fail with ERR_EAR_INVALID', async () => {
    const { token } = await earFor(sgxQuote(), {}, { nonce: 'abcdefgh12345678' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    (payload.submods as Record<string, Record<string, unknown>>).sgx!['ear.status'] = 'affirming';
    (payload.submods as Record<string, Record<string, unknown>>).sgx!['attestkit.tcb-status'] = 'UpToDate';
    payload.eat_nonce = 'zzzzzzzz12345678';
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    await assert.rejects(verifyEar(forged, publicKey, { now: NOW }), earInvalid);
    const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    await assert.rejects(verifyEar(flipped, publicKey, { now: NOW }), earInvalid);
    await assert.rejects(verifyEar(token, other.publicKey, { now: NOW }), earInvalid);
    await assert.rejects(
      verifyEar(token, publicKey, { now: new Date(NOW.getTime() + 3601_000) }),
      earInvalid,
    );
    await assert.rejects(
      verifyEar(token, publicKey, { now: NOW, expectedNonce: 'abcdefgh12345679' }),
      earInvalid,
    );
    await assert.rejects(verifyEar('not.a.jwt', publicKey, { now: NOW }), earInvalid);
    await assert.rejects(verifyEar(token, publicKey, { now: NOW, algorithms: ['EdDSA'] }), earInvalid);
  });

  test('a JWT that is not an EAR is refused', async () => {
    const { SignJWT } = await import('jose');
    const iat = Math.floor(NOW.getTime() / 1000);
    const notEar = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + 60)
      .sign(privateKey);
    await assert.rejects(verifyEar(notEar, publicKey, { now: NOW }), earInvalid);
  });

  test('bad nonces and lifetimes are programmer errors', async () => {
    const verdict = appraise(sgxQuote(), parsePolicy({}), { now: NOW });
    const base = { signingKey: privateKey, verifierId: VERIFIER, now: NOW };
    await assert.rejects(createEar(verdict, sgxQuote(), { ...base, nonce: 'short' }), RangeError);
    await assert.rejects(createEar(verdict, sgxQuote(), { ...base, nonce: new Uint8Array(4) }), RangeError);
    await assert.rejects(createEar(verdict, sgxQuote(), { ...base, ttlSeconds: 0 }), RangeError);
    await assert.rejects(createEar(verdict, sgxQuote(), { ...base, signingKey: publicKey }), TypeError);
  });
});
