/**
 * End to end: quotes from the simulated platform go through the real DCAP verifier and verify only
 * under the simulated root, with the configured TCB status; revocation, expiry and TCB status
 * variations give the documented codes (DCAP-VERIFICATION.md §1.2, §2.3, §9.2, §9.4).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseCollateralJson } from '../../src/collateral/collateral.ts';
import { createSimulatedPlatform, type SimulatedPlatformOptions } from '../../src/sim/platform.ts';
import { VerifierCache } from '../../src/verify/cache.ts';
import { verifyQuote } from '../../src/verify/dcap.ts';
import { toHex } from '../../src/wire/hex.ts';

const INTEL_ROOT_PEM = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '../vectors/intel-roots/intel_sgx_root_ca.pem'),
  'utf8',
);
const NOW = new Date('2025-07-01T12:00:00Z');
const AT = new Date('2025-07-02T00:00:00Z');
const BASE: SimulatedPlatformOptions = { seed: 'verify-e2e', now: NOW };
const reportData = new Uint8Array(64).fill(0x42);
/** A PCESVN above the simulated platform's (13), so no level matches. */
const SIM_PCE_ABOVE = 14;

const hasCode = (code: string) => (e: unknown) => (e as { code?: string }).code === code;
/** A fresh cache per call, so no verdict leaks between cases. */
const opts = (trustAnchors: readonly string[], now: Date = AT) => ({
  now,
  trustAnchors,
  cache: new VerifierCache(),
});

describe('sim → verifyQuote: the happy path', async () => {
  const p = await createSimulatedPlatform(BASE);

  test('SGX v3 quote verifies under the simulated root: UpToDate', () => {
    const v = verifyQuote(p.quoteSgx({ reportData }), p.collateral.sgx, opts([p.rootPem]));
    assert.equal(v.teeType, 'SGX');
    assert.equal(v.quoteVersion, 3);
    assert.equal(v.tcbStatus, 'UpToDate');
    assert.equal(v.qeTcbStatus, 'UpToDate');
    assert.equal(v.fmspc, p.config.fmspc);
    assert.deepEqual(v.advisoryIds, []);
    assert.equal(v.enclave?.reportData, toHex(reportData));
    assert.equal(v.paddingBytes, 0);
  });

  test('TDX v4 quote verifies under the simulated root: UpToDate (platform, module, QE)', () => {
    const v = verifyQuote(p.quoteTdx({ reportData }), p.collateral.tdx, opts([p.rootPem]));
    assert.equal(v.teeType, 'TDX');
    assert.equal(v.quoteVersion, 4);
    assert.equal(v.tcbStatus, 'UpToDate');
    assert.equal(v.tdxModuleTcbStatus, 'UpToDate');
    assert.equal(v.td?.reportData, toHex(reportData));
  });

  test('the interchange JSON verifies just as well (what `keygen` writes)', () => {
    const v = verifyQuote(p.quoteSgx(), parseCollateralJson(p.collateralJson.sgx), opts([p.rootPem]));
    assert.equal(v.tcbStatus, 'UpToDate');
  });

  test('a processor-CA platform verifies too', async () => {
    const q = await createSimulatedPlatform({ ...BASE, caType: 'processor' });
    assert.equal(verifyQuote(q.quoteSgx(), q.collateral.sgx, opts([q.rootPem])).tcbStatus, 'UpToDate');
  });
});

describe('sim → verifyQuote: refusals', async () => {
  const p = await createSimulatedPlatform(BASE);

  test('with only the Intel SGX Root CA as trust anchor: ERR_PKI_UNTRUSTED_ROOT', () => {
    assert.throws(
      () => verifyQuote(p.quoteSgx(), p.collateral.sgx, opts([INTEL_ROOT_PEM])),
      hasCode('ERR_PKI_UNTRUSTED_ROOT'),
    );
    assert.throws(
      () => verifyQuote(p.quoteTdx(), p.collateral.tdx, opts([INTEL_ROOT_PEM])),
      hasCode('ERR_PKI_UNTRUSTED_ROOT'),
    );
  });

  test('with the default anchor (Intel root, Intel names pinned): refused', () => {
    // The verifier checks collateral before the PCK chain; with the default anchor it pins Intel's
    // TCB Signing name, so the first refusal may name the TCB info signer rather than the root.
    const refused = (e: unknown) =>
      ['ERR_PKI_UNTRUSTED_ROOT', 'ERR_COLLATERAL_TCB_INFO_SIGNATURE'].includes(
        (e as { code?: string }).code ?? '',
      );
    assert.throws(
      () => verifyQuote(p.quoteSgx(), p.collateral.sgx, { now: AT, cache: new VerifierCache() }),
      refused,
    );
    assert.throws(
      () => verifyQuote(p.quoteTdx(), p.collateral.tdx, { now: AT, cache: new VerifierCache() }),
      refused,
    );
  });

  test('under another simulated root: ERR_PKI_UNTRUSTED_ROOT', async () => {
    const other = await createSimulatedPlatform({ ...BASE, seed: 'someone else' });
    assert.throws(
      () => verifyQuote(p.quoteSgx(), p.collateral.sgx, opts([other.rootPem])),
      hasCode('ERR_PKI_UNTRUSTED_ROOT'),
    );
  });

  test('a revoked PCK serial: ERR_PKI_REVOKED (SGX and TDX)', async () => {
    const r = await createSimulatedPlatform({ ...BASE, revokedSerials: [p.pki.pck.serial] });
    assert.equal(r.pki.pck.serial, p.pki.pck.serial);
    assert.throws(
      () => verifyQuote(r.quoteSgx(), r.collateral.sgx, opts([r.rootPem])),
      hasCode('ERR_PKI_REVOKED'),
    );
    assert.throws(
      () => verifyQuote(r.quoteTdx(), r.collateral.tdx, opts([r.rootPem])),
      hasCode('ERR_PKI_REVOKED'),
    );
  });

  test('a revoked PCK CA (on the Root CA CRL): ERR_PKI_REVOKED', async () => {
    const r = await createSimulatedPlatform({ ...BASE, revokedSerials: [p.pki.pckCa.serial] });
    assert.throws(
      () => verifyQuote(r.quoteSgx(), r.collateral.sgx, opts([r.rootPem])),
      hasCode('ERR_PKI_REVOKED'),
    );
  });

  test('expired collateral (now past nextUpdate) is refused', () => {
    const late = new Date(NOW.getTime() + 31 * 86_400_000);
    for (const [quote, collateral] of [
      [p.quoteSgx(), p.collateral.sgx],
      [p.quoteTdx(), p.collateral.tdx],
    ] as const) {
      assert.throws(
        () => verifyQuote(quote, collateral, opts([p.rootPem], late)),
        (e: unknown) =>
          ['ERR_COLLATERAL_EXPIRED', 'ERR_PKI_CRL_EXPIRED'].includes((e as { code?: string }).code ?? ''),
      );
    }
  });

  test('collateral not yet issued (now before issueDate) is refused', () => {
    const early = new Date(NOW.getTime() - 3_600_000);
    assert.throws(
      () => verifyQuote(p.quoteSgx(), p.collateral.sgx, opts([p.rootPem], early)),
      (e: unknown) =>
        ['ERR_COLLATERAL_NOT_YET_VALID', 'ERR_PKI_CRL_NOT_YET_VALID'].includes(
          (e as { code?: string }).code ?? '',
        ),
    );
  });

  test('one flipped byte in the report body: ERR_VERIFY_QUOTE_SIGNATURE', () => {
    const q = p.quoteSgx({ reportData });
    q[48 + 320] = q[48 + 320]! ^ 1;
    assert.throws(
      () => verifyQuote(q, p.collateral.sgx, opts([p.rootPem])),
      hasCode('ERR_VERIFY_QUOTE_SIGNATURE'),
    );
  });

  test('the SGX collateral does not verify a TDX quote', () => {
    assert.throws(() => verifyQuote(p.quoteTdx(), p.collateral.sgx, opts([p.rootPem])));
  });
});

describe('sim → verifyQuote: configured TCB statuses', async () => {
  test('an OutOfDate platform level: verified, status OutOfDate, its advisories', async () => {
    const p = await createSimulatedPlatform({
      ...BASE,
      tcbLevels: [{ tcbStatus: 'OutOfDate', advisoryIds: ['INTEL-SA-00001'] }],
      tdxTcbLevels: [{ tcbStatus: 'OutOfDate', advisoryIds: ['INTEL-SA-00002'] }],
    });
    const sgx = verifyQuote(p.quoteSgx(), p.collateral.sgx, opts([p.rootPem]));
    assert.equal(sgx.tcbStatus, 'OutOfDate');
    assert.equal(sgx.platformTcbStatus, 'OutOfDate');
    assert.deepEqual(sgx.advisoryIds, ['INTEL-SA-00001']);
    const tdx = verifyQuote(p.quoteTdx(), p.collateral.tdx, opts([p.rootPem]));
    assert.equal(tdx.tcbStatus, 'OutOfDate');
    assert.deepEqual(tdx.advisoryIds, ['INTEL-SA-00002']);
  });

  test('TCB matching: a platform below the UpToDate level falls to the lower OutOfDate level', async () => {
    const lowCpuSvn = [1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    // Default levels follow the platform's own TCB, so a low platform is still UpToDate…
    const own = await createSimulatedPlatform({ ...BASE, cpuSvn: lowCpuSvn });
    assert.equal(verifyQuote(own.quoteSgx(), own.collateral.sgx, opts([own.rootPem])).tcbStatus, 'UpToDate');
    // …until the UpToDate level is set above it.
    const low = await createSimulatedPlatform({
      ...BASE,
      cpuSvn: lowCpuSvn,
      tcbLevels: [
        { tcbStatus: 'UpToDate', sgxTcbComponents: [3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0] },
        {
          tcbStatus: 'OutOfDate',
          sgxTcbComponents: new Array(16).fill(0),
          pceSvn: 0,
          advisoryIds: ['INTEL-SA-00000'],
        },
      ],
    });
    const v = verifyQuote(low.quoteSgx(), low.collateral.sgx, opts([low.rootPem]));
    assert.equal(v.tcbStatus, 'OutOfDate');
    assert.deepEqual(v.advisoryIds, ['INTEL-SA-00000']);
  });

  test('SWHardeningNeeded and a QE OutOfDate level converge as Intel does', async () => {
    const p = await createSimulatedPlatform({
      ...BASE,
      tcbLevels: [{ tcbStatus: 'SWHardeningNeeded', advisoryIds: ['INTEL-SA-00003'] }],
      qeTcbLevels: [
        { isvSvn: 99, tcbStatus: 'UpToDate' },
        { isvSvn: 1, tcbStatus: 'OutOfDate', advisoryIds: ['INTEL-SA-00004'] },
      ],
    });
    const v = verifyQuote(p.quoteSgx(), p.collateral.sgx, opts([p.rootPem]));
    assert.equal(v.platformTcbStatus, 'SWHardeningNeeded');
    assert.equal(v.qeTcbStatus, 'OutOfDate');
    assert.equal(v.tcbStatus, 'OutOfDate');
    assert.deepEqual(v.advisoryIds, ['INTEL-SA-00003', 'INTEL-SA-00004']);
  });

  test('a Revoked platform level is refused: ERR_VERIFY_TCB_REVOKED', async () => {
    const p = await createSimulatedPlatform({ ...BASE, tcbLevels: [{ tcbStatus: 'Revoked' }] });
    assert.throws(
      () => verifyQuote(p.quoteSgx(), p.collateral.sgx, opts([p.rootPem])),
      hasCode('ERR_VERIFY_TCB_REVOKED'),
    );
  });

  test('no matching level: ERR_VERIFY_TCB_NO_MATCH', async () => {
    const p = await createSimulatedPlatform({
      ...BASE,
      tcbLevels: [{ tcbStatus: 'UpToDate', pceSvn: SIM_PCE_ABOVE }],
    });
    assert.throws(
      () => verifyQuote(p.quoteSgx(), p.collateral.sgx, opts([p.rootPem])),
      hasCode('ERR_VERIFY_TCB_NO_MATCH'),
    );
  });
});
