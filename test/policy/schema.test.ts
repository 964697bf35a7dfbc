import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAttestError } from '../../src/errors.ts';
import {
  DEFAULT_ACCEPT_TCB,
  hasIdentityRule,
  mergePolicy,
  parsePolicy,
  policyId,
} from '../../src/policy/index.ts';
import { MR_ENCLAVE, MR_SIGNER, MR_TD } from './fixtures.ts';

function invalid(...keys: string[]) {
  return (e: unknown): boolean => {
    assert.ok(isAttestError(e), String(e));
    assert.equal(e.code, 'ERR_POLICY_INVALID');
    assert.equal(e.name, 'PolicyError');
    for (const k of keys) assert.ok(e.message.includes(k), `"${e.message}" should name ${k}`);
    return true;
  };
}

describe('parsePolicy', () => {
  test('defaults fail closed: no debug, UpToDate and SWHardeningNeeded only, no identity', () => {
    const p = parsePolicy({});
    assert.equal(p.allowDebug, false);
    assert.deepEqual(p.acceptTcb, ['UpToDate', 'SWHardeningNeeded']);
    assert.deepEqual(p.acceptTcb, DEFAULT_ACCEPT_TCB);
    assert.deepEqual(p.mrEnclave, []);
    assert.deepEqual(p.td.mrTd, []);
    assert.equal(p.isvProdId, undefined);
    assert.equal(p.allowedAdvisoryIds, undefined);
    assert.equal(p.maxCollateralAgeDays, undefined);
    assert.equal(hasIdentityRule(p), false);
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.td) && Object.isFrozen(p.acceptTcb));
  });

  test('JSON text and objects; hex is normalised to lowercase (0x and whitespace accepted)', () => {
    const p = parsePolicy(
      JSON.stringify({
        mrEnclave: [` 0x${MR_ENCLAVE.toUpperCase()} `],
        mrSigner: [MR_SIGNER],
        isvProdId: 7,
        minIsvSvn: 2,
        allowDebug: true,
        acceptTcb: ['UpToDate', 'OutOfDate'],
        allowedAdvisoryIds: ['INTEL-SA-00334'],
        maxCollateralAgeDays: 30,
        td: { mrTd: [MR_TD.toUpperCase()], tdAttributesMask: '0000000100000000' },
      }),
    );
    assert.deepEqual(p.mrEnclave, [MR_ENCLAVE]);
    assert.deepEqual(p.td.mrTd, [MR_TD]);
    assert.equal(p.td.tdAttributesMask, '0000000100000000');
    assert.equal(p.td.tdAttributesValue, '0000000000000000');
    assert.deepEqual(p.acceptTcb, ['UpToDate', 'OutOfDate']);
    assert.equal(p.isvProdId, 7);
    assert.equal(hasIdentityRule(p), true);
    assert.equal(hasIdentityRule(parsePolicy({ td: { rtmr2: ['ab'.repeat(48)] } })), true);
    assert.equal(hasIdentityRule(parsePolicy({ td: { mrSeam: ['ab'.repeat(48)] } })), false);
  });

  test("'Revoked' can never be accepted: a schema error naming acceptTcb", () => {
    assert.throws(
      () => parsePolicy({ acceptTcb: ['UpToDate', 'Revoked'] }),
      invalid('acceptTcb[1]', 'Revoked'),
    );
  });

  test('errors name the key path', () => {
    const cases: [unknown, string[]][] = [
      [{ mrEnclave: ['abcd'] }, ['mrEnclave[0]', '32 bytes']],
      [{ mrSigner: [`zz${MR_SIGNER.slice(2)}`] }, ['mrSigner[0]']],
      [{ mrEnclave: MR_ENCLAVE }, ['mrEnclave']],
      [{ isvProdId: -1 }, ['isvProdId']],
      [{ isvProdId: 70000 }, ['isvProdId']],
      [{ minIsvSvn: 1.5 }, ['minIsvSvn']],
      [{ allowDebug: 'yes' }, ['allowDebug']],
      [{ acceptTcb: ['Fine'] }, ['acceptTcb[0]']],
      [{ allowedAdvisoryIds: [''] }, ['allowedAdvisoryIds[0]']],
      [{ maxCollateralAgeDays: 0 }, ['maxCollateralAgeDays']],
      [{ td: { mrTd: [MR_ENCLAVE] } }, ['td.mrTd[0]', '48 bytes']],
      [{ td: { rtmr3: ['00'] } }, ['td.rtmr3[0]']],
      [{ td: { tdAttributesMask: '00' } }, ['td.tdAttributesMask']],
      [{ td: { tdAttributesValue: '0000000000000000' } }, ['td.tdAttributesMask', 'required']],
      [{ mrEnclve: [] }, ['mrEnclve', 'unknown key']],
      [{ td: { mrtd: [] } }, ['td.mrtd', 'unknown key']],
    ];
    for (const [input, keys] of cases)
      assert.throws(() => parsePolicy(input), invalid(...keys), JSON.stringify(input));
  });

  test('non-objects and bad JSON are ERR_POLICY_INVALID', () => {
    for (const input of ['{', '[]', '3', 'null', null, 5, [], undefined]) {
      assert.throws(() => parsePolicy(input), invalid());
    }
  });

  test('a Policy re-parses to itself; policyId is stable and content-addressed', () => {
    const p = parsePolicy({ mrEnclave: [MR_ENCLAVE], td: { tdAttributesMask: 'ff00000000000000' } });
    assert.deepEqual(parsePolicy(p), p);
    assert.equal(policyId(parsePolicy(p)), policyId(p));
    assert.match(policyId(p), /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(policyId(p), policyId(parsePolicy({ mrEnclave: [MR_SIGNER] })));
  });

  test('property: arbitrary JSON only raises ERR_POLICY_INVALID', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string(), fc.object()), (input) => {
        try {
          parsePolicy(input);
        } catch (e) {
          assert.ok(isAttestError(e) && e.code === 'ERR_POLICY_INVALID', String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('mergePolicy', () => {
  const file = parsePolicy({
    mrEnclave: [MR_ENCLAVE],
    mrSigner: [MR_SIGNER],
    minIsvSvn: 2,
    acceptTcb: ['UpToDate'],
    td: { mrTd: [MR_TD], rtmr0: ['00'.repeat(48)] },
  });

  test('flags win; unset flags keep the file values; lists are replaced, not joined', () => {
    const other = 'cd'.repeat(32);
    const m = mergePolicy(file, {
      mrEnclave: [other.toUpperCase()],
      minIsvSvn: undefined,
      allowDebug: true,
      td: { rtmr0: ['11'.repeat(48)], mrTd: undefined },
    });
    assert.deepEqual(m.mrEnclave, [other]);
    assert.deepEqual(m.mrSigner, [MR_SIGNER]);
    assert.equal(m.minIsvSvn, 2);
    assert.equal(m.allowDebug, true);
    assert.deepEqual(m.acceptTcb, ['UpToDate']);
    assert.deepEqual(m.td.mrTd, [MR_TD]);
    assert.deepEqual(m.td.rtmr0, ['11'.repeat(48)]);
  });

  test('no file: the flags alone, with defaults', () => {
    const m = mergePolicy(undefined, { mrSigner: [MR_SIGNER] });
    assert.deepEqual(m.mrSigner, [MR_SIGNER]);
    assert.deepEqual(m.acceptTcb, DEFAULT_ACCEPT_TCB);
  });

  test('merged values are validated (a flag cannot sneak in Revoked)', () => {
    assert.throws(() => mergePolicy(file, { acceptTcb: ['Revoked'] }), invalid('acceptTcb[0]'));
    assert.throws(() => mergePolicy(file, { isvProdId: -3 }), invalid('isvProdId'));
  });
});
