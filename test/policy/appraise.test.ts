import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { appraise, type Policy, type PolicyInput, parsePolicy, policyId } from '../../src/policy/index.ts';
import { verifyIasReport } from '../../src/verify/ias.ts';
import type { TcbStatus, VerifiedEvidence, VerifiedIasReport } from '../../src/verify/types.ts';
import {
  ENCLAVE,
  epidReport,
  MR_ENCLAVE,
  MR_SEAM,
  MR_SIGNER,
  MR_SIGNER_SEAM,
  MR_TD,
  NOW,
  RTMR,
  sgxQuote,
  TD,
  tdxQuote,
} from './fixtures.ts';

/** A policy every fixture satisfies, with every rule set. */
const FULL_SGX: PolicyInput = {
  mrEnclave: [MR_ENCLAVE],
  mrSigner: [MR_SIGNER],
  isvProdId: 7,
  minIsvSvn: 3,
  acceptTcb: ['UpToDate', 'SWHardeningNeeded'],
  allowedAdvisoryIds: ['INTEL-SA-00334'],
  maxCollateralAgeDays: 30,
};

const FULL_TDX: PolicyInput = {
  td: {
    mrTd: [MR_TD],
    rtmr0: [RTMR[0]],
    rtmr1: [RTMR[1]],
    rtmr2: [RTMR[2]],
    rtmr3: [RTMR[3]],
    tdAttributesMask: 'ffffffffffffffff',
    tdAttributesValue: TD.tdAttributes,
    mrSeam: [MR_SEAM],
    mrSignerSeam: [MR_SIGNER_SEAM],
  },
  allowedAdvisoryIds: [],
  maxCollateralAgeDays: 30,
};

function judge(evidence: VerifiedEvidence, policy: Policy | PolicyInput) {
  return appraise(evidence, parsePolicy(policy), { now: NOW });
}

function failedRules(v: ReturnType<typeof judge>): string[] {
  return v.rules.filter((r) => !r.ok).map((r) => r.rule);
}

describe('appraise: SGX (DCAP and EPID)', () => {
  for (const [name, evidence] of [
    ['DCAP', sgxQuote()],
    ['EPID', epidReport()],
  ] as const) {
    test(`${name}: accepted when every rule holds; every rule is reported`, () => {
      const v = judge(evidence, FULL_SGX);
      assert.equal(v.accepted, true, JSON.stringify(v.rules));
      assert.equal(v.error, undefined);
      assert.deepEqual(
        v.rules.map((r) => r.rule),
        [
          'mrEnclave',
          'mrSigner',
          'isvProdId',
          'minIsvSvn',
          'debug',
          'tcbStatus',
          'advisories',
          'collateralAge',
        ],
      );
      assert.ok(v.rules.every((r) => r.ok));
      assert.equal(v.policyId, policyId(parsePolicy(FULL_SGX)));
      assert.equal(v.appraisedAt, NOW.toISOString());
      assert.ok(Object.isFrozen(v) && Object.isFrozen(v.rules) && Object.isFrozen(v.rules[0]));
    });
  }

  const single: [string, VerifiedEvidence, PolicyInput, string, string][] = [
    ['mrEnclave', sgxQuote(), { mrEnclave: ['ab'.repeat(32)] }, 'mrEnclave', 'ERR_POLICY_MR_ENCLAVE'],
    ['mrSigner', sgxQuote(), { mrSigner: ['ab'.repeat(32)] }, 'mrSigner', 'ERR_POLICY_MR_SIGNER'],
    ['isvProdId', sgxQuote(), { isvProdId: 8 }, 'isvProdId', 'ERR_POLICY_ISV_PROD_ID'],
    ['minIsvSvn', sgxQuote(), { minIsvSvn: 4 }, 'minIsvSvn', 'ERR_POLICY_ISV_SVN'],
    ['debug', sgxQuote({ enclave: { ...ENCLAVE, debug: true } }), {}, 'debug', 'ERR_POLICY_DEBUG'],
    ['tcbStatus', sgxQuote({ tcbStatus: 'OutOfDate' }), {}, 'tcbStatus', 'ERR_POLICY_TCB_STATUS'],
    [
      'advisories',
      sgxQuote({ tcbStatus: 'SWHardeningNeeded', advisoryIds: ['INTEL-SA-00615'] }),
      {},
      'advisories',
      'ERR_POLICY_ADVISORY',
    ],
    [
      'collateralAge',
      sgxQuote({ collateralIssuedAt: '2025-06-01T00:00:00Z' }),
      {},
      'collateralAge',
      'ERR_POLICY_COLLATERAL_AGE',
    ],
    [
      'collateralAge (EPID report timestamp)',
      epidReport({ timestamp: '2025-01-01T00:00:00.000000Z' }),
      {},
      'collateralAge',
      'ERR_POLICY_COLLATERAL_AGE',
    ],
  ];
  for (const [name, evidence, override, rule, code] of single) {
    test(`${name} failing alone gives ${code}`, () => {
      const v = judge(evidence, { ...FULL_SGX, ...override });
      assert.equal(v.accepted, false);
      assert.deepEqual(failedRules(v), [rule]);
      assert.equal(v.error?.code, code);
      assert.equal(v.error?.name, 'PolicyError');
      assert.equal(v.rules.length, 8);
    });
  }

  test('several failures: all reported, the error carries the first one', () => {
    const evidence = sgxQuote({ tcbStatus: 'OutOfDate', enclave: { ...ENCLAVE, debug: true, isvSvn: 1 } });
    const v = judge(evidence, FULL_SGX);
    assert.deepEqual(failedRules(v), ['minIsvSvn', 'debug', 'tcbStatus']);
    assert.equal(v.error?.code, 'ERR_POLICY_ISV_SVN');
    assert.match(v.error?.message ?? '', /minIsvSvn.*debug.*tcbStatus/);
  });

  test('defaults: a debug enclave and statuses other than UpToDate/SWHardeningNeeded are refused', () => {
    assert.equal(judge(sgxQuote(), {}).accepted, true);
    assert.equal(judge(sgxQuote({ tcbStatus: 'SWHardeningNeeded' }), {}).accepted, true);
    for (const s of ['ConfigurationNeeded', 'OutOfDate', 'TDRelaunchAdvised', 'Revoked'] as TcbStatus[]) {
      assert.equal(judge(sgxQuote({ tcbStatus: s }), {}).error?.code, 'ERR_POLICY_TCB_STATUS', s);
    }
    assert.equal(
      judge(sgxQuote({ enclave: { ...ENCLAVE, debug: true } }), {}).error?.code,
      'ERR_POLICY_DEBUG',
    );
    assert.equal(
      judge(sgxQuote({ enclave: { ...ENCLAVE, debug: true } }), { allowDebug: true }).accepted,
      true,
    );
    assert.equal(judge(sgxQuote({ tcbStatus: 'OutOfDate' }), { acceptTcb: ['OutOfDate'] }).accepted, true);
  });

  test('Revoked is never acceptable, even in a hand-built policy that lists it', () => {
    const p = parsePolicy({});
    const forged: Policy = { ...p, acceptTcb: [...p.acceptTcb, 'Revoked'] };
    const v = appraise(sgxQuote({ tcbStatus: 'Revoked' }), forged, { now: NOW });
    assert.equal(v.accepted, false);
    assert.equal(v.error?.code, 'ERR_POLICY_TCB_STATUS');
    const epid = appraise(epidReport({ iasStatus: 'GROUP_REVOKED', tcbStatus: 'Revoked' }), forged, {
      now: NOW,
    });
    assert.equal(epid.error?.code, 'ERR_POLICY_TCB_STATUS');
  });

  test('an EPID report whose status does not map is refused', () => {
    const { tcbStatus: _drop, ...rest } = epidReport({ iasStatus: 'SIGNATURE_INVALID' });
    const unmapped: VerifiedIasReport = rest;
    const v = judge(unmapped, { acceptTcb: [] });
    assert.equal(v.accepted, false);
    assert.equal(v.error?.code, 'ERR_POLICY_TCB_STATUS');
    assert.match(v.rules.find((r) => r.rule === 'tcbStatus')?.detail ?? '', /SIGNATURE_INVALID/);
  });

  test('a policy naming only TD identities trusts no SGX enclave', () => {
    const v = judge(sgxQuote(), { td: { mrTd: [MR_TD] } });
    assert.deepEqual(failedRules(v), ['mrEnclave']);
    assert.equal(v.error?.code, 'ERR_POLICY_MR_ENCLAVE');
  });

  test('the genuine v4 AVR (debug enclave) is refused by default and accepted with allowDebug', () => {
    const dir = new URL('../vectors/oasis-core/ias/', import.meta.url);
    const body = readFileSync(new URL('avr_v4_body_sw_hardening_needed.json', dir));
    const report = verifyIasReport(
      {
        body: new Uint8Array(body),
        signatureB64: readFileSync(new URL('avr_v4_body_sw_hardening_needed.sig', dir), 'utf8'),
        signingCertChain: readFileSync(new URL('avr_certificates_urlencoded.pem', dir), 'utf8'),
      },
      { now: new Date('2020-05-11T09:21:15.454Z') },
    );
    const at = { now: new Date('2020-05-11T10:00:00Z') };
    const refused = appraise(report, parsePolicy({ mrSigner: [report.enclave.mrSigner] }), at);
    assert.equal(refused.accepted, false);
    assert.deepEqual(failedRules(refused), ['debug']);
    const accepted = appraise(
      report,
      parsePolicy({ mrSigner: [report.enclave.mrSigner], allowDebug: true }),
      at,
    );
    assert.equal(accepted.accepted, true);
  });
});

describe('appraise: TDX', () => {
  test('accepted when every td rule holds; SGX rules do not apply', () => {
    const v = judge(tdxQuote(), { ...FULL_TDX, mrEnclave: [], isvProdId: 99 });
    assert.equal(v.accepted, true, JSON.stringify(v.rules));
    assert.deepEqual(
      v.rules.map((r) => r.rule),
      [
        'td.mrTd',
        'td.rtmr0',
        'td.rtmr1',
        'td.rtmr2',
        'td.rtmr3',
        'td.tdAttributes',
        'td.mrSeam',
        'td.mrSignerSeam',
        'debug',
        'tcbStatus',
        'advisories',
        'collateralAge',
      ],
    );
  });

  const other = '99'.repeat(48);
  const tdCases: [string, PolicyInput['td']][] = [
    ['td.mrTd', { mrTd: [other] }],
    ['td.rtmr0', { rtmr0: [other] }],
    ['td.rtmr1', { rtmr1: [other] }],
    ['td.rtmr2', { rtmr2: [other] }],
    ['td.rtmr3', { rtmr3: [other] }],
    ['td.tdAttributes', { tdAttributesMask: '0000001000000000', tdAttributesValue: '0000000000000000' }],
    ['td.mrSeam', { mrSeam: [other] }],
    ['td.mrSignerSeam', { mrSignerSeam: [other] }],
  ];
  for (const [rule, td] of tdCases) {
    test(`${rule} failing alone gives ERR_POLICY_TD_IDENTITY`, () => {
      const v = judge(tdxQuote(), { ...FULL_TDX, td: { ...FULL_TDX.td, ...td } });
      assert.deepEqual(failedRules(v), [rule]);
      assert.equal(v.error?.code, 'ERR_POLICY_TD_IDENTITY');
    });
  }

  test('debug is TDATTRIBUTES bit 0', () => {
    const debugTd = tdxQuote({ td: { ...TD, debug: true, tdAttributes: '0100001000000000' } });
    assert.equal(judge(debugTd, {}).error?.code, 'ERR_POLICY_DEBUG');
    assert.equal(judge(debugTd, { allowDebug: true }).accepted, true);
  });

  test('a policy naming only SGX identities trusts no TD; a TDX quote without a TD report is refused', () => {
    const v = judge(tdxQuote(), { mrEnclave: [MR_ENCLAVE] });
    assert.deepEqual(failedRules(v), ['td.mrTd']);
    const { td: _drop, ...noTd } = tdxQuote();
    const w = judge(noTd, { td: { mrTd: [MR_TD] } });
    assert.deepEqual(failedRules(w), ['td.mrTd', 'debug']);
  });

  test('advisories allow-list and TCB statuses apply to TDX too', () => {
    const v = judge(tdxQuote({ tcbStatus: 'TDRelaunchAdvised', advisoryIds: ['INTEL-SA-00837'] }), FULL_TDX);
    assert.deepEqual(failedRules(v), ['tcbStatus', 'advisories']);
    assert.equal(v.error?.code, 'ERR_POLICY_TCB_STATUS');
  });
});
