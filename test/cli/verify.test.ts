/**
 * `attestkit verify` on every quote row of test/vectors/README.md §0, through the CLI with `--json`:
 * the stated outcome and exit code. Debug enclaves are allowed, as §0 says, so that policy does not
 * mask verification. Also: the human report, acceptance by policy flags, EAR output, unusable input
 * (exit 2), and a simulated platform served by `pccs-mock` and verified with `--pccs-url`.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { splitSignedBody } from '../../src/collateral/collateral.ts';
import { verifyEar } from '../../src/policy/ear.ts';
import { loadSimulatedPlatform } from '../../src/sim/platform.ts';
import { cli, cliServer, tempDir, VECTORS } from './helpers.ts';

const P = (f: string): string => join(VECTORS, f);

interface Row {
  readonly name: string;
  readonly quote: string;
  readonly collateral: string;
  readonly at: string;
  readonly verified: boolean;
  readonly exit: number;
  readonly tcbStatus?: string;
  readonly advisoryIds?: readonly string[];
  readonly paddingBytes?: number;
  readonly code?: string;
}

/** Collateral assembled from oasis-core's TCB info, QE identity and chain: no CRL exists for them. */
function oasisCollateral(tcbInfo: string, qeIdentity: string): string {
  const chain = readFileSync(P('oasis-core/pcs/tcb_info_v3_fmspc_00606A000000_certs.pem'), 'utf8');
  const t = splitSignedBody(readFileSync(P(`oasis-core/pcs/${tcbInfo}`), 'utf8'), 'tcbInfo');
  const q = splitSignedBody(readFileSync(P(`oasis-core/pcs/${qeIdentity}`), 'utf8'), 'enclaveIdentity');
  const file = join(tempDir(), 'collateral.json');
  writeFileSync(
    file,
    JSON.stringify({
      pck_crl_issuer_chain: chain,
      tcb_info_issuer_chain: chain,
      tcb_info: t.signedText,
      tcb_info_signature: Buffer.from(t.signature).toString('hex'),
      qe_identity_issuer_chain: chain,
      qe_identity: q.signedText,
      qe_identity_signature: Buffer.from(q.signature).toString('hex'),
    }),
  );
  return file;
}

const oasisSgx = oasisCollateral('tcb_info_v3_fmspc_00606A000000.json', 'qe_identity_v2.json');
const oasisTdx = oasisCollateral('tcb_info_v3_tdx_fmspc_C0806F000000.json', 'qe_identity_v2_tdx2.json');

const ROWS: readonly Row[] = [
  {
    name: 'phala sgx_quote: ConfigurationAndSWHardeningNeeded, refused by the default policy',
    quote: P('phala-dcap-qvl/sgx_quote'),
    collateral: P('phala-dcap-qvl/sgx_quote_collateral.json'),
    at: '2025-07-19T10:01:17Z',
    verified: true,
    exit: 1,
    tcbStatus: 'ConfigurationAndSWHardeningNeeded',
    advisoryIds: ['INTEL-SA-00289', 'INTEL-SA-00615'],
    code: 'ERR_POLICY_TCB_STATUS',
  },
  {
    name: 'phala sgx_quote after its collateral expired',
    quote: P('phala-dcap-qvl/sgx_quote'),
    collateral: P('phala-dcap-qvl/sgx_quote_collateral.json'),
    at: '2025-08-24T00:00:00Z',
    verified: false,
    exit: 1,
    code: 'ERR_COLLATERAL_EXPIRED',
  },
  {
    name: 'phala tdx_quote: UpToDate, 70 bytes of zero padding',
    quote: P('phala-dcap-qvl/tdx_quote'),
    collateral: P('phala-dcap-qvl/tdx_quote_collateral.json'),
    at: '2025-07-19T10:00:34Z',
    verified: true,
    exit: 0,
    tcbStatus: 'UpToDate',
    advisoryIds: [],
    paddingBytes: 70,
  },
  {
    name: 'phala tdx_quote_outdated (v5): no matching TCB level',
    quote: P('phala-dcap-qvl/tdx_quote_outdated'),
    collateral: P('phala-dcap-qvl/tdx_quote_outdated_collateral.json'),
    at: '2026-03-20T10:41:14Z',
    verified: false,
    exit: 1,
    code: 'ERR_VERIFY_TCB_NO_MATCH',
  },
  {
    name: 'phala near_tdx_quote_hex.txt (hex text): UpToDate',
    quote: P('phala-dcap-qvl/near_tdx_quote_hex.txt'),
    collateral: P('phala-dcap-qvl/near_tdx_quote_collateral.json'),
    at: '2025-10-02T07:03:50Z',
    verified: true,
    exit: 0,
    tcbStatus: 'UpToDate',
  },
  {
    name: 'oasis quote_v4_tdx_ecdsa_p256_out_of_date: no matching TCB level',
    quote: P('oasis-core/pcs/quote_v4_tdx_ecdsa_p256_out_of_date.bin'),
    collateral: P('assembled/tdx_50806F_2023-06-18_collateral.json'),
    at: '2023-06-18T12:36:16Z',
    verified: false,
    exit: 1,
    code: 'ERR_VERIFY_TCB_NO_MATCH',
  },
  {
    name: 'go-tdx-guest tdx_prod_quote_SPR_E4: non-zero bytes after the quote',
    quote: P('go-tdx-guest/tdx_prod_quote_SPR_E4.dat'),
    collateral: P('assembled/tdx_50806F_2023-06-18_collateral.json'),
    at: '2023-06-18T12:36:16Z',
    verified: false,
    exit: 1,
    code: 'ERR_VERIFY_NONZERO_TRAILING',
  },
  {
    name: 'go-tdx-guest quote_v5_sample: UpToDate',
    quote: P('go-tdx-guest/quote_v5_sample.dat'),
    collateral: P('assembled/tdx_90C06F_2026-02-20_collateral.json'),
    at: '2026-02-20T00:00:00Z',
    verified: true,
    exit: 0,
    tcbStatus: 'UpToDate',
  },
  {
    name: 'oasis quote_v3_ecdsa_p256_pck_chain: CRL missing',
    quote: P('oasis-core/pcs/quote_v3_ecdsa_p256_pck_chain.bin'),
    collateral: oasisSgx,
    at: '2022-12-20T00:50:04Z',
    verified: false,
    exit: 1,
    code: 'ERR_PKI_CRL_MISSING',
  },
  {
    name: 'oasis quote_v4_tdx_ecdsa_p256: CRL missing',
    quote: P('oasis-core/pcs/quote_v4_tdx_ecdsa_p256.bin'),
    collateral: oasisTdx,
    at: '2024-09-02T07:43:52Z',
    verified: false,
    exit: 1,
    code: 'ERR_PKI_CRL_MISSING',
  },
  {
    name: 'oasis quote_v3_ecdsa_p256_eppid: no PCK certificate chain',
    quote: P('oasis-core/pcs/quote_v3_ecdsa_p256_eppid.bin'),
    collateral: oasisSgx,
    at: '2022-12-20T00:50:04Z',
    verified: false,
    exit: 1,
    code: 'ERR_VERIFY_NO_PCK_CHAIN',
  },
];

describe('verify: test/vectors/README.md §0 through the CLI', () => {
  for (const row of ROWS) {
    test(row.name, async () => {
      const r = await cli([
        'verify',
        row.quote,
        '--collateral',
        row.collateral,
        '--at',
        row.at,
        '--allow-debug',
        '--json',
      ]);
      const j = JSON.parse(r.stdout);
      assert.equal(r.code, row.exit, JSON.stringify(j.error));
      assert.equal(j.verified, row.verified);
      assert.equal(j.accepted, row.exit === 0);
      assert.ok(Array.isArray(j.steps) && j.steps.length > 0);
      if (row.tcbStatus !== undefined) assert.equal(j.tcbStatus, row.tcbStatus);
      if (row.advisoryIds !== undefined) assert.deepEqual(j.advisoryIds, row.advisoryIds);
      if (row.paddingBytes !== undefined) assert.equal(j.paddingBytes, row.paddingBytes);
      if (row.code === undefined) assert.equal(j.error, undefined);
      else assert.equal(j.error.code, row.code);
      if (!row.verified) assert.equal(j.steps.filter((s: { ok: boolean }) => !s.ok).length, 1);
      if (j.fmspc !== undefined) assert.match(j.fmspc, /^[0-9A-F]{12}$/);
      for (const t of [j.tcbDate, j.collateralIssuedAt, j.collateralExpiresAt]) {
        if (t !== undefined) assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      }
    });
  }

  test('the SGX row is accepted when its status and advisories are accepted (flags and a policy file)', async () => {
    const base = [
      'verify',
      P('phala-dcap-qvl/sgx_quote'),
      '--collateral',
      P('phala-dcap-qvl/sgx_quote_collateral.json'),
    ];
    const at = ['--at', '1752919277'];
    const ok = await cli([...base, ...at, '--accept-tcb', 'ConfigurationAndSWHardeningNeeded', '--json']);
    assert.equal(ok.code, 0);
    assert.equal(JSON.parse(ok.stdout).accepted, true);
    const dir = tempDir();
    writeFileSync(
      join(dir, 'p.json'),
      JSON.stringify({
        acceptTcb: ['ConfigurationAndSWHardeningNeeded'],
        allowedAdvisoryIds: ['INTEL-SA-00289'],
      }),
    );
    const adv = await cli([...base, ...at, '--policy', join(dir, 'p.json'), '--json']);
    assert.equal(adv.code, 1);
    assert.equal(JSON.parse(adv.stdout).error.code, 'ERR_POLICY_ADVISORY');
    const flagsWin = await cli([
      ...base,
      ...at,
      '--policy',
      join(dir, 'p.json'),
      '--allow-advisory',
      'INTEL-SA-00289,INTEL-SA-00615',
      '--json',
    ]);
    assert.equal(flagsWin.code, 0);
    const wrongEnclave = await cli([
      ...base,
      ...at,
      '--accept-tcb',
      'ConfigurationAndSWHardeningNeeded',
      '--mr-enclave',
      '00'.repeat(32),
      '--json',
    ]);
    assert.equal(wrongEnclave.code, 1);
    assert.equal(JSON.parse(wrongEnclave.stdout).error.code, 'ERR_POLICY_MR_ENCLAVE');
    const badPolicy = await cli([...base, ...at, '--mr-enclave', 'xyz', '--json']);
    assert.equal(badPolicy.code, 2);
    assert.equal(JSON.parse(badPolicy.stdout).error.code, 'ERR_POLICY_INVALID');
  });

  test('TDX policy flags: --mr-td, --rtmr N=HEX, --mr-seam', async () => {
    const base = [
      'verify',
      P('phala-dcap-qvl/tdx_quote'),
      '--collateral',
      P('phala-dcap-qvl/tdx_quote_collateral.json'),
      '--at',
      '2025-07-19T10:00:34Z',
      '--json',
    ];
    const facts = JSON.parse((await cli(base)).stdout);
    const td = facts.td;
    assert.equal(td.rtmr.length, 4);
    const ok = await cli([
      ...base,
      '--mr-td',
      td.mrTd,
      '--rtmr',
      `0=${td.rtmr[0]}`,
      '--rtmr',
      `3=${td.rtmr[3]}`,
      '--mr-seam',
      td.mrSeam,
    ]);
    assert.equal(ok.code, 0, ok.stdout);
    const bad = await cli([...base, '--mr-td', td.mrTd, '--rtmr', `1=${'00'.repeat(48)}`]);
    assert.equal(bad.code, 1);
    assert.equal(JSON.parse(bad.stdout).error.code, 'ERR_POLICY_TD_IDENTITY');
    const malformed = await cli([...base, '--rtmr', '7=00']);
    assert.equal(malformed.code, 2);
  });

  test('the human report lists each check with ✓/✗ and a hint for the first failure', async () => {
    const r = await cli([
      'verify',
      P('phala-dcap-qvl/sgx_quote'),
      '--collateral',
      P('phala-dcap-qvl/sgx_quote_collateral.json'),
      '--at',
      '2025-08-24T00:00:00Z',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /NOT VERIFIED/);
    assert.match(r.stdout, /✓ quote\.parse/);
    assert.match(r.stdout, /✗ tcbInfo\.time[^\n]*2025-07-19/);
    assert.match(r.stdout, /hint: /);
    assert.doesNotMatch(r.stdout, /\x1b\[/); // no colours when not a TTY
  });

  test('--ear-key signs an EAR carrying the verdict and the nonce', async () => {
    const dir = tempDir();
    assert.equal((await cli(['keygen', '--out', dir, '--json'])).code, 0);
    const nonce = '00112233445566778899aabbccddeeff';
    const earOut = join(dir, 'ear.jwt');
    const r = await cli([
      'verify',
      P('phala-dcap-qvl/tdx_quote'),
      '--collateral',
      P('phala-dcap-qvl/tdx_quote_collateral.json'),
      '--at',
      '2025-07-19T10:00:34Z',
      '--ear-key',
      join(dir, 'ear.key.pem'),
      '--ear-out',
      earOut,
      '--nonce',
      nonce,
      '--json',
    ]);
    assert.equal(r.code, 0);
    const j = JSON.parse(r.stdout);
    assert.equal(readFileSync(earOut, 'utf8').trim(), j.ear);
    const claims = await verifyEar(j.ear, readFileSync(join(dir, 'ear.pub.pem'), 'utf8'), {
      now: new Date(),
      expectedNonce: nonce,
    });
    assert.equal(claims.submods.tdx?.['ear.status'], 'affirming');
  });

  test('unusable input exits 2: not a quote, unreadable collateral, a missing file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'short.bin'), Uint8Array.of(3, 0, 2));
    writeFileSync(join(dir, 'bad.json'), '{"nope": 1}');
    const coll = P('phala-dcap-qvl/sgx_quote_collateral.json');
    const short = await cli(['verify', join(dir, 'short.bin'), '--collateral', coll, '--json']);
    assert.equal(short.code, 2);
    assert.equal(JSON.parse(short.stdout).verified, false);
    const text = await cli(['verify', P('README.md'), '--collateral', coll, '--json']);
    assert.equal(text.code, 2);
    assert.equal(JSON.parse(text.stdout).error.code, 'ERR_HEX_INVALID');
    const badColl = await cli([
      'verify',
      P('phala-dcap-qvl/sgx_quote'),
      '--collateral',
      join(dir, 'bad.json'),
      '--json',
    ]);
    assert.equal(badColl.code, 2);
    assert.equal(JSON.parse(badColl.stdout).error.code, 'ERR_COLLATERAL_FORMAT');
    const missing = await cli(['verify', join(dir, 'nope.bin'), '--collateral', coll, '--json']);
    assert.equal(missing.code, 2);
    assert.equal(JSON.parse(missing.stdout).error.code, 'ERR_CONFIG_FILE');
  });

  test('a simulated quote: verified via pccs-mock --pccs-url with the simulated root; exit 3 when the PCCS is down', async () => {
    const dir = tempDir();
    assert.equal((await cli(['keygen', '--out', dir, '--json'])).code, 0);
    const platform = await loadSimulatedPlatform(dir);
    writeFileSync(join(dir, 'quote.bin'), platform.quoteSgx());
    const mock = cliServer(['pccs-mock', '--sim-dir', dir, '--port', '0', '--log-level', 'silent']);
    const { url } = await mock.ready;
    try {
      const args = [
        'verify',
        join(dir, 'quote.bin'),
        '--pccs-url',
        url!,
        '--trust-anchor',
        join(dir, 'sim-root.pem'),
      ];
      const r = await cli([...args, '--json']);
      assert.equal(r.code, 0, r.stdout);
      const j = JSON.parse(r.stdout);
      assert.equal(j.tcbStatus, 'UpToDate');
      assert.equal(j.fmspc, platform.pcs.fmspc);
      // Without the simulated trust anchor the Intel root is required: refused.
      const intel = await cli(['verify', join(dir, 'quote.bin'), '--pccs-url', url!, '--json']);
      assert.equal(intel.code, 1);
    } finally {
      await mock.stop();
    }
    const down = await cli(['verify', join(dir, 'quote.bin'), '--pccs-url', url!, '--json']);
    assert.equal(down.code, 3);
    assert.match(JSON.parse(down.stdout).error.code, /^ERR_NET_/);
  });
});
