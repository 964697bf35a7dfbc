/**
 * DCAP refusals end to end (issue 5, "Tests"): each case is a quote from the simulated platform
 * whose collateral, policy, clock or enclave is wrong in exactly one way. Every case is checked at
 * the library level (`verifyQuote`, then `appraise`, asserting the specific code and, for a
 * verification failure, the step `inspectQuote` stopped at), and most also through a full session
 * over TLS on 127.0.0.1, where the SP refuses with `ERR_PROTOCOL_REFUSED` and the underlying code as
 * `refusalCode`, and no secret reaches the App.
 *
 * One platform for the whole file: the variants re-sign or re-issue its collateral with its own
 * simulated PKI (or, for "the wrong key", with another key).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Collateral } from '../../src/collateral/index.ts';
import {
  type Enclave,
  SIM_DEFAULT_MR_ENCLAVE,
  SIM_DEFAULT_MR_SIGNER,
  SimulatedEnclave,
  TsmEnclave,
} from '../../src/enclave/index.ts';
import { appraise, type Policy, parsePolicy } from '../../src/policy/index.ts';
import {
  assembleCollateral,
  createSimulatedCrls,
  createSimulatedPlatform,
  deriveP256Key,
  formatIntelDate,
  SIM_CN,
  type SignedDocument,
  type SimKey,
  type SimulatedCrls,
  type SimulatedPlatform,
  seedBytes,
  signCollateralText,
  signWith,
} from '../../src/sim/index.ts';
import { inspectQuote, VerifierCache, verifyQuote } from '../../src/verify/index.ts';
import { fromHex, toHex } from '../../src/wire/hex.ts';
import {
  type AppBed,
  attest,
  createParties,
  fakeTsmFs,
  hasCode,
  type Parties,
  startApp,
  utf8,
} from './helpers.ts';

const DAY_MS = 86_400_000;
/** Collateral and CRLs are issued at NOW (valid 30 days); the SP judges at AT unless a case says otherwise. */
const NOW = new Date('2025-06-01T00:00:00Z');
const AT = new Date(NOW.getTime() + 3_600_000);
const REPORT_DATA = new Uint8Array(64).fill(0x42);
/** TDATTRIBUTES/ATTRIBUTES flags with DEBUG (bit 1) set: INIT | DEBUG | MODE64BIT, xfrm 0xe7. */
const DEBUG_ATTRIBUTES = fromHex('0700000000000000e700000000000000');
const MR_TD = 'a5'.repeat(48);
const OTHER_MR_SIGNER_SEAM = new Uint8Array(48).fill(0xab);

/** The policy naming the simulated enclave (and nothing else). */
const SGX_POLICY: Policy = parsePolicy({
  mrEnclave: [SIM_DEFAULT_MR_ENCLAVE],
  mrSigner: [SIM_DEFAULT_MR_SIGNER],
});
const TD_POLICY: Policy = parsePolicy({ td: { mrTd: [MR_TD] } });

let platform: SimulatedPlatform;
let parties: Parties;
/** The default simulated enclave (worker thread, SGX v3 quotes). */
let sgxApp: AppBed;
let sgxEnclave: Enclave;
/** The same enclave built as a debug enclave (in-process). */
let debugApp: AppBed;
let debugEnclave: Enclave;
/** A TDX guest on a fake configfs-tsm whose TD reports name another MRSIGNERSEAM than the TCB info's module. */
let tdxApp: AppBed;
let tdxEnclave: Enclave;

// ---- collateral variants, from the platform's own documents ----

type Tee = 'sgx' | 'tdx';

/** `doc` with its JSON edited, signed by the simulated TCB Signing key (or by `key`). */
function resign(
  doc: SignedDocument,
  edit: (o: Record<string, unknown>) => void,
  key?: SimKey,
): SignedDocument {
  const o = JSON.parse(doc.text) as Record<string, unknown>;
  edit(o);
  const text = JSON.stringify(o);
  return key === undefined
    ? signCollateralText(platform.pki, text)
    : { text, signature: signWith(key, utf8(text)) };
}

function collateralWith(
  tee: Tee,
  parts: { tcbInfo?: SignedDocument; qeIdentity?: SignedDocument; crls?: SimulatedCrls },
): Collateral {
  return assembleCollateral(
    platform.pki,
    parts.crls ?? platform.crls,
    parts.tcbInfo ?? platform.tcbInfo[tee],
    parts.qeIdentity ?? platform.qeIdentity[tee],
  );
}

function crlsRevoking(serial: string): Promise<SimulatedCrls> {
  return createSimulatedCrls(platform.pki, {
    thisUpdate: NOW,
    nextUpdate: new Date(NOW.getTime() + 30 * DAY_MS),
    revokedSerials: [serial],
  });
}

/** The platform's SGX TCB info with its first (matching) level's status replaced. */
function sgxTcbInfoWithStatus(status: string): SignedDocument {
  return resign(platform.tcbInfo.sgx, (o) => {
    const levels = o.tcbLevels as Record<string, unknown>[];
    levels[0]!.tcbStatus = status;
  });
}

// ---- the cases ----

interface RefusalCase {
  readonly name: string;
  readonly code: string;
  /** For a verification failure: the step that fails (`inspectQuote`); absent for a policy refusal. */
  readonly step?: string;
  readonly tee: Tee;
  readonly collateral: () => Promise<Collateral> | Collateral;
  readonly policy: Policy;
  readonly now: Date;
  /** The quote for the library-level check. */
  readonly quote: () => Uint8Array;
  /** The App for the TLS session (none: library level only). */
  readonly app?: () => AppBed;
}

const sgxQuote = (init: Parameters<SimulatedPlatform['quoteSgx']>[0] = {}) =>
  platform.quoteSgx({
    mrEnclave: fromHex(SIM_DEFAULT_MR_ENCLAVE),
    mrSigner: fromHex(SIM_DEFAULT_MR_SIGNER),
    reportData: REPORT_DATA,
    ...(init instanceof Uint8Array ? {} : init),
  });

const CASES: readonly RefusalCase[] = [
  {
    name: 'revoked PCK certificate (on the PCK CRL)',
    code: 'ERR_PKI_REVOKED',
    step: 'crl.pck',
    tee: 'sgx',
    collateral: async () => collateralWith('sgx', { crls: await crlsRevoking(platform.pki.pck.serial) }),
    policy: SGX_POLICY,
    now: AT,
    quote: () => sgxQuote(),
    app: () => sgxApp,
  },
  {
    name: 'revoked PCK Platform CA (on the Root CA CRL)',
    code: 'ERR_PKI_REVOKED',
    step: 'crl.root',
    tee: 'sgx',
    collateral: async () => collateralWith('sgx', { crls: await crlsRevoking(platform.pki.pckCa.serial) }),
    policy: SGX_POLICY,
    now: AT,
    quote: () => sgxQuote(),
    app: () => sgxApp,
  },
  {
    name: 'expired TCB info (nextUpdate before now; everything else valid)',
    code: 'ERR_COLLATERAL_EXPIRED',
    step: 'tcbInfo.time',
    tee: 'sgx',
    collateral: () =>
      collateralWith('sgx', {
        tcbInfo: resign(platform.tcbInfo.sgx, (o) => {
          o.issueDate = formatIntelDate(new Date(NOW.getTime() - 30 * DAY_MS));
          o.nextUpdate = formatIntelDate(new Date(NOW.getTime() + 1_800_000));
        }),
      }),
    policy: SGX_POLICY,
    now: AT,
    quote: () => sgxQuote(),
    app: () => sgxApp,
  },
  {
    name: 'TCB info signed by another key than the TCB Signing certificate’s',
    code: 'ERR_COLLATERAL_TCB_INFO_SIGNATURE',
    step: 'tcbInfo.signature',
    tee: 'sgx',
    collateral: () =>
      collateralWith('sgx', {
        tcbInfo: resign(
          platform.tcbInfo.sgx,
          () => {},
          deriveP256Key(seedBytes('not the TCB signer'), 'tcb'),
        ),
      }),
    policy: SGX_POLICY,
    now: AT,
    quote: () => sgxQuote(),
    app: () => sgxApp,
  },
  {
    name: 'QE identity mismatch (the QE identity names another MRSIGNER)',
    code: 'ERR_VERIFY_QE_IDENTITY_MISMATCH',
    step: 'qeIdentity.match',
    tee: 'sgx',
    collateral: () =>
      collateralWith('sgx', {
        qeIdentity: resign(platform.qeIdentity.sgx, (o) => {
          o.mrsigner = 'AB'.repeat(32);
        }),
      }),
    policy: SGX_POLICY,
    now: AT,
    quote: () => sgxQuote(),
    app: () => sgxApp,
  },
  {
    name: 'OutOfDate TCB under the default acceptTcb',
    code: 'ERR_POLICY_TCB_STATUS',
    tee: 'sgx',
    collateral: () => collateralWith('sgx', { tcbInfo: sgxTcbInfoWithStatus('OutOfDate') }),
    policy: SGX_POLICY,
    now: AT,
    quote: () => sgxQuote(),
    app: () => sgxApp,
  },
  {
    name: 'debug enclave (ATTRIBUTES.DEBUG) under the default policy',
    code: 'ERR_POLICY_DEBUG',
    tee: 'sgx',
    collateral: () => platform.collateral.sgx,
    policy: SGX_POLICY,
    now: AT,
    quote: () => sgxQuote({ attributes: DEBUG_ATTRIBUTES }),
    app: () => debugApp,
  },
  {
    name: 'MRENCLAVE not in the policy',
    code: 'ERR_POLICY_MR_ENCLAVE',
    tee: 'sgx',
    collateral: () => platform.collateral.sgx,
    policy: parsePolicy({ mrEnclave: ['ab'.repeat(32)] }),
    now: AT,
    quote: () => sgxQuote(),
    app: () => sgxApp,
  },
  {
    name: 'TDX module identity mismatch (MRSIGNERSEAM differs from the TCB info’s module)',
    code: 'ERR_VERIFY_TDX_MODULE_MISMATCH',
    step: 'tdxModule',
    tee: 'tdx',
    collateral: () => platform.collateral.tdx,
    policy: TD_POLICY,
    now: AT,
    quote: () =>
      platform.quoteTdx({
        reportData: REPORT_DATA,
        mrTd: fromHex(MR_TD),
        mrSignerSeam: OTHER_MR_SIGNER_SEAM,
      }),
    app: () => tdxApp,
  },
  {
    name: 'collateral older than the policy’s maximum age (2 days > 1 day)',
    code: 'ERR_POLICY_COLLATERAL_AGE',
    tee: 'sgx',
    collateral: () => platform.collateral.sgx,
    policy: parsePolicy({ mrEnclave: [SIM_DEFAULT_MR_ENCLAVE], maxCollateralAgeDays: 1 }),
    now: new Date(NOW.getTime() + 2 * DAY_MS),
    quote: () => sgxQuote(),
    app: () => sgxApp,
  },
];

before(async () => {
  platform = await createSimulatedPlatform({ seed: 'attestkit e2e refusals', now: NOW });
  parties = createParties();
  sgxEnclave = await SimulatedEnclave.create({
    spPublicKey: parties.sp.publicKey,
    mode: 'dcap',
    dcap: { platform },
  });
  debugEnclave = await SimulatedEnclave.create({
    spPublicKey: parties.sp.publicKey,
    mode: 'dcap',
    dcap: { platform },
    identity: { debug: true },
    inProcess: true,
  });
  const fs = fakeTsmFs((reportData) =>
    platform.quoteTdx({ reportData, mrTd: fromHex(MR_TD), mrSignerSeam: OTHER_MR_SIGNER_SEAM }),
  );
  tdxEnclave = new TsmEnclave({ spPublicKey: parties.sp.publicKey, fs });
  [sgxApp, debugApp, tdxApp] = await Promise.all([
    startApp(sgxEnclave, parties),
    startApp(debugEnclave, parties),
    startApp(tdxEnclave, parties),
  ]);
});

after(async () => {
  await Promise.all([sgxApp?.server.close(), debugApp?.server.close(), tdxApp?.server.close()]);
  await Promise.all([sgxEnclave?.close(), debugEnclave?.close(), tdxEnclave?.close()]);
});

describe('DCAP refusals: library level (simulated platform → verifyQuote → appraise)', () => {
  test('control: the unmodified collateral and policies accept (SGX and TDX)', () => {
    const opts = { now: AT, trustAnchors: [platform.rootPem], cache: new VerifierCache() };
    const sgx = verifyQuote(sgxQuote(), platform.collateral.sgx, opts);
    assert.equal(sgx.tcbStatus, 'UpToDate');
    assert.equal(appraise(sgx, SGX_POLICY, { now: AT }).accepted, true);
    const tdx = verifyQuote(
      platform.quoteTdx({ reportData: REPORT_DATA, mrTd: fromHex(MR_TD) }),
      platform.collateral.tdx,
      opts,
    );
    assert.equal(tdx.tcbStatus, 'UpToDate');
    assert.equal(appraise(tdx, TD_POLICY, { now: AT }).accepted, true);
    assert.equal(platform.pki.pckCa.commonName, SIM_CN.platformCa);
  });

  for (const c of CASES) {
    test(`${c.name}: ${c.code}`, async () => {
      const collateral = await c.collateral();
      const opts = { now: c.now, trustAnchors: [platform.rootPem], cache: new VerifierCache() };
      const quote = c.quote();
      if (c.step !== undefined) {
        assert.throws(() => verifyQuote(quote, collateral, opts), hasCode(c.code));
        const inspection = inspectQuote(quote, collateral, { ...opts, cache: new VerifierCache() });
        assert.equal(inspection.verified, false);
        assert.equal(inspection.error?.code, c.code);
        const last = inspection.steps.at(-1);
        assert.equal(last?.check, c.step);
        assert.equal(last?.ok, false);
        return;
      }
      const verified = verifyQuote(quote, collateral, opts);
      const verdict = appraise(verified, c.policy, { now: c.now });
      assert.equal(verdict.accepted, false);
      assert.equal(verdict.error?.code, c.code);
      // Exactly the rule the case is about fails.
      assert.deepEqual(
        verdict.rules.filter((r) => !r.ok).map((r) => r.code),
        [c.code],
      );
    });
  }

  test('OutOfDate TCB is accepted when the policy’s acceptTcb allows it', () => {
    const collateral = collateralWith('sgx', { tcbInfo: sgxTcbInfoWithStatus('OutOfDate') });
    const verified = verifyQuote(sgxQuote(), collateral, {
      now: AT,
      trustAnchors: [platform.rootPem],
      cache: new VerifierCache(),
    });
    assert.equal(verified.tcbStatus, 'OutOfDate');
    const policy = parsePolicy({
      mrEnclave: [SIM_DEFAULT_MR_ENCLAVE],
      acceptTcb: ['UpToDate', 'SWHardeningNeeded', 'OutOfDate'],
    });
    const verdict = appraise(verified, policy, { now: AT });
    assert.equal(verdict.accepted, true);
    assert.equal(verdict.error, undefined);
  });

  test('the debug enclave is accepted with allowDebug; the young collateral within the age limit', () => {
    const opts = { now: AT, trustAnchors: [platform.rootPem], cache: new VerifierCache() };
    const debug = verifyQuote(sgxQuote({ attributes: DEBUG_ATTRIBUTES }), platform.collateral.sgx, opts);
    assert.equal(debug.enclave?.debug, true);
    assert.equal(
      appraise(debug, parsePolicy({ mrEnclave: [SIM_DEFAULT_MR_ENCLAVE], allowDebug: true }), { now: AT })
        .accepted,
      true,
    );
    const fresh = verifyQuote(sgxQuote(), platform.collateral.sgx, opts);
    const policy = parsePolicy({ mrEnclave: [SIM_DEFAULT_MR_ENCLAVE], maxCollateralAgeDays: 1 });
    assert.equal(appraise(fresh, policy, { now: AT }).accepted, true);
  });
});

describe('DCAP refusals: full sessions over TLS (SP result ERR_PROTOCOL_REFUSED + refusalCode)', () => {
  test('control: the default enclave with the unmodified collateral is trusted', async () => {
    const { run } = await attest(sgxApp, parties, {
      collateral: platform.collateral.sgx,
      trustAnchor: platform.rootPem,
      policy: SGX_POLICY,
      now: AT,
    });
    assert.equal(run.result.error, undefined);
    assert.equal(run.result.trusted && run.result.secretDelivered, true);
  });

  for (const c of CASES.filter((x) => x.app !== undefined)) {
    test(`${c.name}: refused with ${c.code}, no secret delivered`, async () => {
      const app = c.app!();
      const before = app.reports.length;
      const secretsBefore = app.secrets.length;
      const { run, wiring } = await attest(app, parties, {
        collateral: await c.collateral(),
        trustAnchor: platform.rootPem,
        policy: c.policy,
        now: c.now,
      });
      assert.equal(run.result.trusted, false);
      assert.equal(run.result.secretDelivered, false);
      assert.equal(run.result.quoteType, 'dcap');
      assert.equal(run.result.error?.code, 'ERR_PROTOCOL_REFUSED');
      assert.equal(run.result.refusalCode, c.code);
      // The seed's behaviour stays on the wire: ATT_RESULT (zero payload) is the last message.
      assert.equal(run.messages.at(-1)?.typeName, 'RA_ATT_RESULT');
      if (c.step !== undefined) {
        // The SP's verifier stopped at the same step as the library-level check.
        const inspection = wiring.lastInspection();
        assert.equal(inspection?.steps.at(-1)?.check, c.step);
        assert.equal(run.result.evidence, undefined);
      } else {
        assert.equal(run.result.verdict?.accepted, false);
        assert.equal(run.result.evidence?.kind, 'dcap');
      }
      await app.reportsReach(before + 1);
      const report = app.reports[before]!;
      assert.equal(report.ok, false);
      assert.equal(report.error?.code, 'ERR_PROTOCOL_REFUSED');
      assert.equal(report.secretSha256, undefined);
      assert.equal(app.secrets.length, secretsBefore);
    });
  }

  test('OutOfDate TCB accepted by acceptTcb over TLS: trusted, secret delivered, status OutOfDate', async () => {
    const secret = utf8('accepted despite OutOfDate');
    const { run } = await attest(sgxApp, parties, {
      collateral: collateralWith('sgx', { tcbInfo: sgxTcbInfoWithStatus('OutOfDate') }),
      trustAnchor: platform.rootPem,
      policy: parsePolicy({ mrEnclave: [SIM_DEFAULT_MR_ENCLAVE], acceptTcb: ['UpToDate', 'OutOfDate'] }),
      now: AT,
      secret,
    });
    assert.equal(run.result.error, undefined);
    assert.equal(run.result.trusted, true);
    assert.equal(run.result.secretDelivered, true);
    assert.equal(run.result.status, 'OutOfDate');
    assert.equal(sgxApp.secrets.at(-1), toHex(secret));
  });
});
