/**
 * DCAP quote verification on the genuine vectors of test/vectors (README.md §0 acceptance table),
 * byte flips in every signed region, the gaps found in peers (DCAP-VERIFICATION.md §7.3), time
 * windows, and fuzzing.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type Collateral,
  createCollateral,
  parseCollateralJson,
  parseQeIdentity,
  parseTcbInfo,
  splitSignedBody,
} from '../../src/collateral/index.ts';
import { isAttestError } from '../../src/errors.ts';
import { certificateParses, certificateSignatureChecks } from '../../src/pki/cert.ts';
import { parsePckExtensions } from '../../src/pki/pck.ts';
import { INTEL_SGX_ROOT_CA_PEM } from '../../src/pki/roots.ts';
import {
  checkTdxModule,
  convergeTcbStatus,
  inspectQuote,
  matchQeIdentity,
  matchTcbInfoPlatform,
  mergeAdvisoryIds,
  selectTcbLevel,
  type VerifiedQuote,
  VerifierCache,
  verifyQuote,
} from '../../src/verify/index.ts';
import { parseQuote } from '../../src/wire/quote.ts';

const V = new URL('../vectors/', import.meta.url);
const bytes = (p: string): Uint8Array => new Uint8Array(readFileSync(new URL(p, V)));
const text = (p: string): string => readFileSync(new URL(p, V), 'utf8');
const collateral = (p: string): Collateral => parseCollateralJson(text(p));
const code = (c: string) => (e: unknown) => {
  assert.ok(isAttestError(e), `not an AttestError: ${String(e)}`);
  assert.equal(e.code, c, e.message);
  return true;
};

const SGX = bytes('phala-dcap-qvl/sgx_quote');
const SGX_COLL = collateral('phala-dcap-qvl/sgx_quote_collateral.json');
const SGX_AT = new Date('2025-07-19T10:01:17Z');
const TDX = bytes('phala-dcap-qvl/tdx_quote');
const TDX_COLL = collateral('phala-dcap-qvl/tdx_quote_collateral.json');
const TDX_AT = new Date('2025-07-19T10:00:34Z');
const NEAR = new Uint8Array(Buffer.from(text('phala-dcap-qvl/near_tdx_quote_hex.txt').trim(), 'hex'));
const OASIS_CHAIN = text('oasis-core/pcs/tcb_info_v3_fmspc_00606A000000_certs.pem');
const OASIS_BAD_CHAIN = text('oasis-core/pcs/tcb_info_v3_fmspc_00606A000000_certs_bad.pem');
const A50806F = collateral('assembled/tdx_50806F_2023-06-18_collateral.json');
const A50806F_AT = new Date('2023-06-18T12:36:16Z');

/** Collateral from the oasis PCS bodies (this set has no CRLs); `pck_crl_issuer_chain` from the quote. */
function oasisCollateral(
  quote: Uint8Array,
  tcbFile: string,
  qeFile: string,
  chain = OASIS_CHAIN,
): Collateral {
  const tcb = splitSignedBody(text(`oasis-core/pcs/${tcbFile}`), 'tcbInfo');
  const qe = splitSignedBody(text(`oasis-core/pcs/${qeFile}`), 'enclaveIdentity');
  const q = parseQuote(quote, { allowTrailing: true });
  assert.ok(q.version !== 2);
  return createCollateral({
    pckCrlIssuerChain: (q.pckCertChain ?? []).slice(1).join('\n'),
    tcbInfoIssuerChain: chain,
    tcbInfo: tcb.signedText,
    tcbInfoSignature: tcb.signature,
    qeIdentityIssuerChain: OASIS_CHAIN,
    qeIdentity: qe.signedText,
    qeIdentitySignature: qe.signature,
  });
}

const OASIS_V3 = bytes('oasis-core/pcs/quote_v3_ecdsa_p256_pck_chain.bin');
const OASIS_V3_AT = new Date(1671497404 * 1000);
const OASIS_V3_COLL = oasisCollateral(OASIS_V3, 'tcb_info_v3_fmspc_00606A000000.json', 'qe_identity_v2.json');
const OASIS_V4 = bytes('oasis-core/pcs/quote_v4_tdx_ecdsa_p256.bin');
const OASIS_V4_AT = new Date(1725263032 * 1000);
const OASIS_V4_COLL = oasisCollateral(
  OASIS_V4,
  'tcb_info_v3_tdx_fmspc_C0806F000000.json',
  'qe_identity_v2_tdx2.json',
);

describe('README §0 acceptance table (verifyQuote)', () => {
  test('phala sgx_quote at 2025-07-19T10:01:17Z: ConfigurationAndSWHardeningNeeded [SA-00289, SA-00615]', () => {
    const r = verifyQuote(SGX, SGX_COLL, { now: SGX_AT });
    assert.ok(Object.isFrozen(r) && Object.isFrozen(r.steps) && Object.isFrozen(r.enclave));
    assert.equal(r.kind, 'dcap');
    assert.equal(r.teeType, 'SGX');
    assert.equal(r.quoteVersion, 3);
    assert.equal(r.tcbStatus, 'ConfigurationAndSWHardeningNeeded');
    assert.equal(r.platformTcbStatus, 'ConfigurationAndSWHardeningNeeded');
    assert.equal(r.qeTcbStatus, 'UpToDate');
    assert.equal(r.tdxModuleTcbStatus, undefined);
    assert.deepEqual(r.advisoryIds, ['INTEL-SA-00289', 'INTEL-SA-00615']);
    assert.equal(r.fmspc, '00A067110000');
    assert.equal(r.pceId, '0000');
    assert.equal(r.paddingBytes, 0);
    assert.equal(r.td, undefined);
    assert.equal(r.enclave?.mrEnclave.length, 64);
    assert.equal(r.verifiedAt, '2025-07-19T10:01:17.000Z');
    // earliest issue: the Root CA CRL (2025-03-20); earliest expiry: the QE identity (2025-07-19T10:01:18Z)
    assert.equal(r.collateralIssuedAt, '2025-03-20T11:21:57Z');
    assert.equal(r.collateralExpiresAt, '2025-07-19T10:01:18Z');
    assert.ok(r.steps.every((s) => s.ok));
    assert.deepEqual(
      r.steps.map((s) => s.check),
      [
        'quote.parse',
        'quote.header',
        'quote.trailing',
        'quote.certificationData',
        'tcbInfo.signature',
        'tcbInfo.time',
        'tcbInfo.tee',
        'qeIdentity.signature',
        'qeIdentity.time',
        'qeIdentity.tee',
        'pck.chain',
        'crl.root',
        'crl.pck',
        'pck.extension',
        'tcbInfo.match',
        'qeReport.signature',
        'qeReport.attestationKeyBinding',
        'qeIdentity.match',
        'quote.signature',
        'tcb.level',
        'tcb.status',
      ],
    );
  });

  test('phala sgx_quote at 2025-08-24: ERR_COLLATERAL_EXPIRED (TCB info is checked before the CRLs)', () => {
    // Everything but the Root CA CRL and the certificates has expired by then; the TCB info check
    // runs first (dcap-qvl order), so the code is ERR_COLLATERAL_EXPIRED, not ERR_PKI_CRL_EXPIRED.
    assert.throws(
      () => verifyQuote(SGX, SGX_COLL, { now: new Date('2025-08-24T00:00:00Z') }),
      code('ERR_COLLATERAL_EXPIRED'),
    );
  });

  test('phala tdx_quote: UpToDate, 70 bytes of zero padding, module TDX_01', () => {
    const r = verifyQuote(TDX, TDX_COLL, { now: TDX_AT });
    assert.equal(r.teeType, 'TDX');
    assert.equal(r.quoteVersion, 4);
    assert.equal(r.tcbStatus, 'UpToDate');
    assert.equal(r.tdxModuleTcbStatus, 'UpToDate');
    assert.deepEqual(r.advisoryIds, []);
    assert.equal(r.paddingBytes, 70);
    assert.equal(r.fmspc, 'B0C06F000000');
    assert.equal(r.td?.teeTcbSvn.slice(0, 6), '060103');
    assert.equal(r.td?.rtmr.length, 4);
    assert.equal(r.enclave, undefined);
    assert.ok(r.steps.some((s) => s.check === 'tdxModule' && s.ok));
  });

  test('phala tdx_quote_outdated (v5): ERR_VERIFY_TCB_NO_MATCH naming SGX component 8', () => {
    assert.throws(
      () =>
        verifyQuote(
          bytes('phala-dcap-qvl/tdx_quote_outdated'),
          collateral('phala-dcap-qvl/tdx_quote_outdated_collateral.json'),
          {
            now: new Date('2026-03-20T10:41:14Z'),
          },
        ),
      (e) =>
        code('ERR_VERIFY_TCB_NO_MATCH')(e) && /component 8\b.*is 3.*at least 5/.test((e as Error).message),
    );
  });

  test('phala near_tdx_quote_hex.txt: UpToDate', () => {
    const r = verifyQuote(NEAR, collateral('phala-dcap-qvl/near_tdx_quote_collateral.json'), {
      now: new Date('2025-10-02T07:03:50Z'),
    });
    assert.equal(r.tcbStatus, 'UpToDate');
    assert.equal(r.fmspc, '20A06F000000');
    assert.equal(r.paddingBytes, 70);
  });

  test('oasis …out_of_date.bin with the assembled 50806F collateral: ERR_VERIFY_TCB_NO_MATCH', () => {
    assert.throws(
      () =>
        verifyQuote(bytes('oasis-core/pcs/quote_v4_tdx_ecdsa_p256_out_of_date.bin'), A50806F, {
          now: A50806F_AT,
        }),
      code('ERR_VERIFY_TCB_NO_MATCH'),
    );
  });

  test('go-tdx-guest SPR_E4: ERR_VERIFY_NONZERO_TRAILING', () => {
    assert.throws(
      () => verifyQuote(bytes('go-tdx-guest/tdx_prod_quote_SPR_E4.dat'), A50806F, { now: A50806F_AT }),
      code('ERR_VERIFY_NONZERO_TRAILING'),
    );
  });

  test('go-tdx-guest quote_v5_sample with the assembled 90C06F collateral: UpToDate', () => {
    const r = verifyQuote(
      bytes('go-tdx-guest/quote_v5_sample.dat'),
      collateral('assembled/tdx_90C06F_2026-02-20_collateral.json'),
      {
        now: new Date('2026-02-20T00:00:00Z'),
      },
    );
    assert.equal(r.quoteVersion, 5);
    assert.equal(r.tcbStatus, 'UpToDate');
    assert.equal(r.fmspc, '90C06F000000');
    assert.equal(typeof r.td?.mrServiceTd, 'string');
  });

  test('oasis v3 PCK-chain quote without CRLs: ERR_PKI_CRL_MISSING after the collateral and chain verified', () => {
    const r = inspectQuote(OASIS_V3, OASIS_V3_COLL, { now: OASIS_V3_AT });
    assert.equal(r.verified, false);
    assert.equal(r.error?.code, 'ERR_PKI_CRL_MISSING');
    const last = r.steps.at(-1)!;
    assert.equal(last.check, 'crl.root');
    assert.equal(last.ok, false);
    for (const c of [
      'tcbInfo.signature',
      'tcbInfo.time',
      'qeIdentity.signature',
      'qeIdentity.time',
      'pck.chain',
    ]) {
      assert.ok(r.steps.find((s) => s.check === c)?.ok, c);
    }
    assert.equal(r.facts.enclave?.mrEnclave.slice(0, 8), '68823bc6');
    assert.throws(
      () => verifyQuote(OASIS_V3, OASIS_V3_COLL, { now: OASIS_V3_AT }),
      code('ERR_PKI_CRL_MISSING'),
    );
  });

  test('oasis v4 TDX quote without CRLs: ERR_PKI_CRL_MISSING', () => {
    assert.throws(
      () => verifyQuote(OASIS_V4, OASIS_V4_COLL, { now: OASIS_V4_AT }),
      code('ERR_PKI_CRL_MISSING'),
    );
  });

  test('oasis eppid quote (cert data type 3): ERR_VERIFY_NO_PCK_CHAIN with any collateral, at any time', () => {
    const eppid = bytes('oasis-core/pcs/quote_v3_ecdsa_p256_eppid.bin');
    for (const [c, t] of [
      [SGX_COLL, SGX_AT],
      [OASIS_V3_COLL, new Date('2049-01-01T00:00:00Z')],
    ] as const) {
      assert.throws(() => verifyQuote(eppid, c, { now: t }), code('ERR_VERIFY_NO_PCK_CHAIN'));
    }
  });

  test('TCB info signed under oasis …_certs_bad.pem (PCK Platform CA + Root): ERR_COLLATERAL_TCB_INFO_SIGNATURE', () => {
    const bad = oasisCollateral(
      OASIS_V3,
      'tcb_info_v3_fmspc_00606A000000.json',
      'qe_identity_v2.json',
      OASIS_BAD_CHAIN,
    );
    assert.throws(
      () => verifyQuote(OASIS_V3, bad, { now: OASIS_V3_AT }),
      code('ERR_COLLATERAL_TCB_INFO_SIGNATURE'),
    );
    // also when the Intel root is passed explicitly (role checked structurally: the signer is a CA)
    assert.throws(
      () => verifyQuote(OASIS_V3, bad, { now: OASIS_V3_AT, trustAnchors: [INTEL_SGX_ROOT_CA_PEM] }),
      code('ERR_COLLATERAL_TCB_INFO_SIGNATURE'),
    );
  });
});

describe('step-level results (the oasis rows, which have no valid CRLs)', () => {
  test('oasis v3: platform SWHardeningNeeded [INTEL-SA-00615, INTEL-SA-00657], QE UpToDate', () => {
    const q = parseQuote(OASIS_V3);
    assert.ok(q.version === 3 && q.pckCertChain !== null);
    const ext = parsePckExtensions(q.pckCertChain[0]!);
    const tcbInfo = parseTcbInfo(OASIS_V3_COLL.tcbInfo);
    matchTcbInfoPlatform(tcbInfo, { fmspc: ext.fmspcHex, pceId: ext.pceIdHex });
    assert.equal(tcbInfo.fmspc, '00606A000000');
    const level = selectTcbLevel(tcbInfo, { sgxTcbComponents: ext.tcbComponents, pceSvn: ext.pceSvn });
    assert.equal(level.tcbStatus, 'SWHardeningNeeded');
    assert.deepEqual(level.advisoryIds, ['INTEL-SA-00615', 'INTEL-SA-00657']);
    const qe = matchQeIdentity(parseQeIdentity(OASIS_V3_COLL.qeIdentity), q.qeReportBody);
    assert.equal(q.qeReportBody.isvSvn, 9);
    assert.equal(qe.isvSvn, 6);
    assert.equal(qe.tcbStatus, 'UpToDate');
    assert.equal(convergeTcbStatus(level.tcbStatus, qe.tcbStatus), 'SWHardeningNeeded');
  });

  test('oasis v4 TDX: UpToDate with module TDX_01 (isvsvn 5 ≥ 4)', () => {
    const q = parseQuote(OASIS_V4);
    assert.ok(q.version === 4 && q.body.kind === 'td10' && q.pckCertChain !== null);
    const ext = parsePckExtensions(q.pckCertChain[0]!);
    const tcbInfo = parseTcbInfo(OASIS_V4_COLL.tcbInfo);
    matchTcbInfoPlatform(tcbInfo, { fmspc: ext.fmspcHex, pceId: ext.pceIdHex });
    const level = selectTcbLevel(tcbInfo, {
      sgxTcbComponents: ext.tcbComponents,
      pceSvn: ext.pceSvn,
      teeTcbSvn: q.body.teeTcbSvn,
    });
    assert.equal(level.tcbStatus, 'UpToDate');
    const module = checkTdxModule(tcbInfo, q.body);
    assert.equal(module.id, 'TDX_01');
    assert.equal(module.level?.isvSvn, 4);
    assert.equal(module.level?.tcbStatus, 'UpToDate');
    const qe = matchQeIdentity(parseQeIdentity(OASIS_V4_COLL.qeIdentity), q.qeReportBody);
    assert.equal(qe.tcbStatus, 'UpToDate');
    assert.equal(convergeTcbStatus(level.tcbStatus, module.level!.tcbStatus, qe.tcbStatus), 'UpToDate');
  });
});

// ---- byte flips in every signed region ----

/** Offsets in phala tdx_quote (v4): s = 632, QE report at 770, PEM chain from 1258 (leaf ..3005, CA ..3961, root ..4909). */
const QUOTE_FLIPS: readonly { name: string; offset: number; code: string }[] = [
  { name: 'header: version (4 → 5)', offset: 0, code: 'ERR_QUOTE_UNSUPPORTED_BODY_TYPE' },
  { name: 'header: attestation key type', offset: 2, code: 'ERR_QUOTE_UNSUPPORTED_KEY_TYPE' },
  { name: 'header: TEE type', offset: 4, code: 'ERR_QUOTE_UNSUPPORTED_TEE_TYPE' },
  { name: 'header: qeSvn', offset: 8, code: 'ERR_VERIFY_QUOTE_SIGNATURE' },
  { name: 'header: pceSvn', offset: 10, code: 'ERR_VERIFY_QUOTE_SIGNATURE' },
  { name: 'header: QE vendor ID', offset: 12, code: 'ERR_WIRE_INVALID_VALUE' },
  { name: 'header: user data', offset: 28, code: 'ERR_VERIFY_QUOTE_SIGNATURE' },
  { name: 'TD report: tee_tcb_svn', offset: 48, code: 'ERR_VERIFY_QUOTE_SIGNATURE' },
  { name: 'TD report: mr_td', offset: 48 + 136, code: 'ERR_VERIFY_QUOTE_SIGNATURE' },
  { name: 'TD report: report_data', offset: 48 + 520, code: 'ERR_VERIFY_QUOTE_SIGNATURE' },
  { name: 'signature data length', offset: 632, code: 'ERR_WIRE_TRAILING_BYTES' },
  { name: 'quote signature', offset: 636, code: 'ERR_VERIFY_QUOTE_SIGNATURE' },
  { name: 'attestation key', offset: 700, code: 'ERR_VERIFY_QE_REPORT_DATA' },
  { name: 'outer certification data type', offset: 764, code: 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE' },
  { name: 'QE report: cpu_svn', offset: 770, code: 'ERR_VERIFY_QE_REPORT_SIGNATURE' },
  { name: 'QE report: report_data', offset: 770 + 320, code: 'ERR_VERIFY_QE_REPORT_SIGNATURE' },
  { name: 'QE report signature', offset: 1154, code: 'ERR_VERIFY_QE_REPORT_SIGNATURE' },
  { name: 'QE auth data', offset: 1220, code: 'ERR_VERIFY_QE_REPORT_DATA' },
  { name: 'PCK certification data type (5 → 4)', offset: 1252, code: 'ERR_VERIFY_NO_PCK_CHAIN' },
  { name: 'PCK chain: PEM armour', offset: 1263, code: 'ERR_PEM_INVALID' },
  { name: 'PCK leaf: DER structure', offset: 1458, code: 'ERR_DER_INVALID' },
  { name: 'PCK leaf: signature value', offset: 2995, code: 'ERR_PKI_SIGNATURE' },
  { name: 'PCK CA: signature value', offset: 3955, code: 'ERR_PKI_SIGNATURE' },
  { name: 'root certificate in the chain', offset: 4899, code: 'ERR_PKI_UNTRUSTED_ROOT' },
  { name: 'trailing padding (non-zero)', offset: 4940, code: 'ERR_VERIFY_NONZERO_TRAILING' },
];

describe('byte flips in the quote (phala tdx_quote)', () => {
  for (const f of QUOTE_FLIPS) {
    test(`${f.name} @${f.offset} → ${f.code}`, () => {
      const m = TDX.slice();
      m[f.offset]! ^= 0x01;
      assert.throws(() => verifyQuote(m, TDX_COLL, { now: TDX_AT }), code(f.code));
    });
  }

  test('v3 SGX: enclave report body and QE report flips', () => {
    for (const [offset, c] of [
      [48 + 64, 'ERR_VERIFY_QUOTE_SIGNATURE'], // mr_enclave
      [48 + 320, 'ERR_VERIFY_QUOTE_SIGNATURE'], // report_data
      [436 + 128 + 100, 'ERR_VERIFY_QE_REPORT_SIGNATURE'], // QE report
    ] as const) {
      const m = SGX.slice();
      m[offset]! ^= 0x80;
      assert.throws(() => verifyQuote(m, SGX_COLL, { now: SGX_AT }), code(c));
    }
  });

  test('appending zero bytes is padding; appending a non-zero byte is refused; truncation is a parse error', () => {
    const padded = new Uint8Array(SGX.length + 4);
    padded.set(SGX);
    assert.equal(verifyQuote(padded, SGX_COLL, { now: SGX_AT }).paddingBytes, 4);
    padded[padded.length - 1] = 1;
    assert.throws(() => verifyQuote(padded, SGX_COLL, { now: SGX_AT }), code('ERR_VERIFY_NONZERO_TRAILING'));
    assert.throws(
      () => verifyQuote(SGX.slice(0, 1000), SGX_COLL, { now: SGX_AT }),
      code('ERR_WIRE_TRUNCATED'),
    );
  });
});

function hexFlip(hex: Uint8Array, index: number): Uint8Array {
  const m = hex.slice();
  m[index < 0 ? m.length + index : index]! ^= 0x01;
  return m;
}

const COLLATERAL_MUTATIONS: readonly {
  name: string;
  mutate: (c: Collateral) => Partial<Collateral>;
  code: string;
}[] = [
  {
    name: 'TCB info text "UpToDate" → "UpToDatX"',
    mutate: (c) => ({ tcbInfo: c.tcbInfo.replace('"UpToDate"', '"UpToDatX"') }),
    code: 'ERR_COLLATERAL_TCB_INFO_SIGNATURE',
  },
  {
    name: 'TCB info text: one space added',
    mutate: (c) => ({ tcbInfo: c.tcbInfo.replace('"version":3', '"version": 3') }),
    code: 'ERR_COLLATERAL_TCB_INFO_SIGNATURE',
  },
  {
    name: 'TCB info signature byte',
    mutate: (c) => ({ tcbInfoSignature: hexFlip(c.tcbInfoSignature, 10) }),
    code: 'ERR_COLLATERAL_TCB_INFO_SIGNATURE',
  },
  {
    name: 'QE identity text',
    mutate: (c) => ({ qeIdentity: c.qeIdentity.replace('"isvprodid":2', '"isvprodid":3') }),
    code: 'ERR_COLLATERAL_QE_IDENTITY_SIGNATURE',
  },
  {
    name: 'QE identity signature byte 3 (peer gap G5)',
    mutate: (c) => ({ qeIdentitySignature: hexFlip(c.qeIdentitySignature, 3) }),
    code: 'ERR_COLLATERAL_QE_IDENTITY_SIGNATURE',
  },
  {
    name: 'TCB info issuer chain = the PCK CRL issuer chain (wrong signer)',
    mutate: (c) => ({ tcbInfoIssuerChain: c.pckCrlIssuerChain }),
    code: 'ERR_COLLATERAL_TCB_INFO_SIGNATURE',
  },
  {
    name: 'QE identity issuer chain empty',
    mutate: () => ({ qeIdentityIssuerChain: '' }),
    code: 'ERR_COLLATERAL_QE_IDENTITY_SIGNATURE',
  },
  {
    name: 'PCK CRL: 5th-from-last byte, inside the signature (peer gap G1)',
    mutate: (c) => ({ pckCrl: hexFlip(c.pckCrl!, -5) }),
    code: 'ERR_PKI_CRL_SIGNATURE',
  },
  {
    name: 'Root CA CRL: signature byte (peer gap G1)',
    mutate: (c) => ({ rootCaCrl: hexFlip(c.rootCaCrl!, -5) }),
    code: 'ERR_PKI_CRL_SIGNATURE',
  },
  {
    name: 'PCK CRL replaced by deadbeef (peer gap G2)',
    mutate: () => ({ pckCrl: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) }),
    code: 'ERR_DER_INVALID',
  },
  {
    name: 'PCK CRL of the Processor CA for a Platform-CA leaf (peer gap G3)',
    mutate: () => ({ pckCrl: SGX_COLL.pckCrl! }),
    code: 'ERR_PKI_CRL_ISSUER',
  },
  {
    name: 'Root CA CRL in place of the PCK CRL',
    mutate: (c) => ({ pckCrl: c.rootCaCrl! }),
    code: 'ERR_PKI_CRL_ISSUER',
  },
  { name: 'PCK CRL missing', mutate: () => ({ pckCrl: new Uint8Array(0) }), code: 'ERR_PKI_CRL_MISSING' },
  {
    name: 'Root CA CRL missing',
    mutate: () => ({ rootCaCrl: new Uint8Array(0) }),
    code: 'ERR_PKI_CRL_MISSING',
  },
  {
    name: 'SGX TCB info for a TDX quote',
    mutate: () => ({
      tcbInfo: SGX_COLL.tcbInfo,
      tcbInfoSignature: SGX_COLL.tcbInfoSignature,
      tcbInfoIssuerChain: SGX_COLL.tcbInfoIssuerChain,
    }),
    code: 'ERR_VERIFY_TEE_MISMATCH',
  },
  {
    name: 'SGX QE identity for a TDX quote',
    mutate: () => ({
      qeIdentity: SGX_COLL.qeIdentity,
      qeIdentitySignature: SGX_COLL.qeIdentitySignature,
      qeIdentityIssuerChain: SGX_COLL.qeIdentityIssuerChain,
    }),
    code: 'ERR_VERIFY_TEE_MISMATCH',
  },
];

describe('collateral mutations (phala tdx_quote)', () => {
  for (const m of COLLATERAL_MUTATIONS) {
    test(`${m.name} → ${m.code}`, () => {
      const c = createCollateral({ ...TDX_COLL, ...m.mutate(TDX_COLL) });
      assert.throws(() => verifyQuote(TDX, c, { now: TDX_AT, cache: new VerifierCache() }), code(m.code));
    });
  }

  test('TCB info for another FMSPC → ERR_COLLATERAL_FMSPC_MISMATCH', () => {
    // The near collateral (FMSPC 20A06F, same Platform CA) with the phala tdx_quote (B0C06F), at the near time.
    const near = collateral('phala-dcap-qvl/near_tdx_quote_collateral.json');
    assert.throws(
      () => verifyQuote(TDX, near, { now: new Date('2025-10-02T07:03:50Z') }),
      code('ERR_COLLATERAL_FMSPC_MISMATCH'),
    );
  });

  test('the signature check of a TCB info runs once per distinct text (cache), the time check every call', () => {
    const cache = new VerifierCache();
    verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache });
    assert.equal(cache.tcbInfo.size, 1);
    assert.equal(cache.qeIdentity.size, 1);
    verifyQuote(TDX, createCollateral({ ...TDX_COLL }), { now: TDX_AT, cache });
    assert.equal(cache.tcbInfo.size, 1);
    assert.throws(
      () => verifyQuote(TDX, TDX_COLL, { now: new Date(TDX_AT.getTime() + 40 * 86400_000), cache }),
      code('ERR_COLLATERAL_EXPIRED'),
    );
    // a tampered text is a different cache key and fails its own signature check
    const bad = createCollateral({
      ...TDX_COLL,
      tcbInfo: TDX_COLL.tcbInfo.replace('"UpToDate"', '"UpToDatX"'),
    });
    assert.throws(
      () => verifyQuote(TDX, bad, { now: TDX_AT, cache }),
      code('ERR_COLLATERAL_TCB_INFO_SIGNATURE'),
    );
  });

  test('opt-in platform cache gives the same verdicts', () => {
    const cache = new VerifierCache({ cachePlatform: true });
    for (let i = 0; i < 3; i++)
      assert.equal(verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache }).tcbStatus, 'UpToDate');
    const m = TDX.slice();
    m[636]! ^= 1;
    assert.throws(() => verifyQuote(m, TDX_COLL, { now: TDX_AT, cache }), code('ERR_VERIFY_QUOTE_SIGNATURE'));
    const n = TDX.slice();
    n[1154]! ^= 1;
    assert.throws(
      () => verifyQuote(n, TDX_COLL, { now: TDX_AT, cache }),
      code('ERR_VERIFY_QE_REPORT_SIGNATURE'),
    );
  });

  test('the PCK leaf signature is re-verified on every call unless cachePlatform is on', () => {
    const checksOf = (fn: () => unknown): number => {
      const before = certificateSignatureChecks();
      fn();
      return certificateSignatureChecks() - before;
    };
    const cache = new VerifierCache();
    verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache });
    // Warm collateral: the one certificate signature computed per call is the PCK leaf's.
    for (let i = 0; i < 3; i++)
      assert.equal(
        checksOf(() => verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache })),
        1,
      );
    // The same with the process-wide default cache, once its collateral is warm.
    verifyQuote(TDX, TDX_COLL, { now: TDX_AT });
    assert.equal(
      checksOf(() => verifyQuote(TDX, TDX_COLL, { now: TDX_AT })),
      1,
    );
    const platform = new VerifierCache({ cachePlatform: true });
    verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache: platform });
    assert.equal(
      checksOf(() => verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache: platform })),
      0,
    );
    // A platform-cached leaf does not leak into a verifier without the opt-in.
    assert.equal(
      checksOf(() => verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache })),
      1,
    );
    // Dropping the platform entries (collateral stays warm) brings the check back.
    platform.platform?.clear();
    assert.equal(
      checksOf(() => verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache: platform })),
      1,
    );
  });

  test('the PCK leaf is parsed (its key imported) on every call unless cachePlatform is on; CA and root are not', () => {
    const parsesOf = (fn: () => unknown): number => {
      const before = certificateParses();
      fn();
      return certificateParses() - before;
    };
    for (const [quote, coll, at] of [
      [TDX, TDX_COLL, TDX_AT],
      [SGX, SGX_COLL, SGX_AT],
    ] as const) {
      const cache = new VerifierCache();
      verifyQuote(quote, coll, { now: at, cache });
      // Warm collateral: exactly one certificate is parsed per call, the PCK leaf; the PCK CA, the
      // root and the TCB signing chain come from the caches (they are collateral).
      for (let i = 0; i < 3; i++)
        assert.equal(
          parsesOf(() => verifyQuote(quote, coll, { now: at, cache })),
          1,
        );
      // inspectQuote takes the same path.
      assert.equal(
        parsesOf(() => inspectQuote(quote, coll, { now: at, cache })),
        1,
      );
      const platform = new VerifierCache({ cachePlatform: true });
      verifyQuote(quote, coll, { now: at, cache: platform });
      assert.equal(
        parsesOf(() => verifyQuote(quote, coll, { now: at, cache: platform })),
        0,
      );
      // The platform-cached leaf is not served to a verifier without the opt-in.
      assert.equal(
        parsesOf(() => verifyQuote(quote, coll, { now: at, cache })),
        1,
      );
    }
  });

  test('a tampered PCK leaf is refused on a warm cache (nothing about the leaf is remembered)', () => {
    const cache = new VerifierCache();
    assert.equal(verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache }).tcbStatus, 'UpToDate');
    // The leaf's signature value and its DER structure (offsets as in QUOTE_FLIPS).
    for (const [offset, c] of [
      [2995, 'ERR_PKI_SIGNATURE'],
      [1458, 'ERR_DER_INVALID'],
    ] as const) {
      const m = TDX.slice();
      m[offset]! ^= 0x01;
      assert.throws(() => verifyQuote(m, TDX_COLL, { now: TDX_AT, cache }), code(c));
      assert.equal(verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache }).tcbStatus, 'UpToDate');
    }
  });

  test('steps: cheap records, the same on every call, and the failed step carries the error message', () => {
    const cache = new VerifierCache();
    const a = verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache });
    const b = verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache });
    assert.deepEqual(a.steps, b.steps);
    assert.ok(a.steps.every((st) => Object.isFrozen(st) && st.ok));
    const detail = (r: typeof a, c: string) => r.steps.find((st) => st.check === c)?.detail;
    assert.match(detail(a, 'quote.parse') ?? '', /^v4 TDX quote, \d+ bytes$/);
    assert.equal(detail(a, 'pck.chain'), 'PCK leaf ← Intel SGX PCK Platform CA ← Intel SGX Root CA');
    assert.match(detail(a, 'crl.pck') ?? '', /^thisUpdate .*, nextUpdate .*, \d+ revoked$/);
    assert.match(detail(a, 'pck.extension') ?? '', /^FMSPC B0C06F000000, PCE-ID 0000, PCESVN 11$/);
    assert.equal(detail(a, 'tcb.status'), 'UpToDate');
    const m = TDX.slice();
    m[636]! ^= 1;
    const r = inspectQuote(m, TDX_COLL, { now: TDX_AT, cache });
    const last = r.steps.at(-1)!;
    assert.deepEqual([last.check, last.ok], ['quote.signature', false]);
    assert.equal(last.detail, r.error?.message);
    assert.equal(r.steps.filter((st) => !st.ok).length, 1);
  });

  test('explicit trust anchors: X509Certificate of the Intel root works; an unrelated root fails', () => {
    const r = verifyQuote(TDX, TDX_COLL, {
      now: TDX_AT,
      trustAnchors: [new X509Certificate(INTEL_SGX_ROOT_CA_PEM)],
    });
    assert.equal(r.tcbStatus, 'UpToDate');
    const ias = text('intel-roots/ias_report_signing_ca.pem');
    assert.throws(
      () => verifyQuote(TDX, TDX_COLL, { now: TDX_AT, trustAnchors: [ias] }),
      code('ERR_PKI_UNTRUSTED_ROOT'),
    );
  });
});

describe('time windows', () => {
  const at = (iso: string) => ({ now: new Date(iso) });
  test('t + 40 days → ERR_COLLATERAL_EXPIRED', () => {
    assert.throws(
      () => verifyQuote(TDX, TDX_COLL, { now: new Date(TDX_AT.getTime() + 40 * 86400_000) }),
      code('ERR_COLLATERAL_EXPIRED'),
    );
  });
  test('before the TCB info issueDate (t = 1750000000, peer gap G6) → ERR_COLLATERAL_NOT_YET_VALID', () => {
    assert.throws(
      () => verifyQuote(TDX, TDX_COLL, { now: new Date(1750000000 * 1000) }),
      code('ERR_COLLATERAL_NOT_YET_VALID'),
    );
  });
  test('TCB info not yet valid while the QE identity is → ERR_COLLATERAL_NOT_YET_VALID', () => {
    // assembled 50806F: QE identity from 2023-06-08, TCB info from 2023-06-18.
    assert.throws(
      () =>
        verifyQuote(
          bytes('oasis-core/pcs/quote_v4_tdx_ecdsa_p256_out_of_date.bin'),
          A50806F,
          at('2023-06-10T00:00:00Z'),
        ),
      code('ERR_COLLATERAL_NOT_YET_VALID'),
    );
  });
  test('QE identity expired while the TCB info is valid → ERR_COLLATERAL_EXPIRED', () => {
    // assembled 50806F: QE identity until 2023-07-08T07:24:59Z, TCB info until 2023-07-18
    assert.throws(
      () =>
        verifyQuote(
          bytes('oasis-core/pcs/quote_v4_tdx_ecdsa_p256_out_of_date.bin'),
          A50806F,
          at('2023-07-10T00:00:00Z'),
        ),
      (e) => code('ERR_COLLATERAL_EXPIRED')(e) && /QE identity/.test((e as Error).message),
    );
  });
  test('PCK CRL expired one second before everything else → ERR_PKI_CRL_EXPIRED', () => {
    // phala tdx_quote: PCK CRL nextUpdate 2025-07-19T10:00:35Z, TCB info 10:16:03Z, QE identity 10:32:27Z
    assert.throws(() => verifyQuote(TDX, TDX_COLL, at('2025-07-19T10:00:36Z')), code('ERR_PKI_CRL_EXPIRED'));
    assert.equal(verifyQuote(TDX, TDX_COLL, at('2025-07-19T10:00:35Z')).tcbStatus, 'UpToDate');
  });
  test('CRLs not yet valid (oasis v3 with go-tdx-guest 2023 CRLs at 2022-12-20, peer gap G12) → ERR_PKI_CRL_NOT_YET_VALID', () => {
    const c = createCollateral({
      ...OASIS_V3_COLL,
      rootCaCrl: bytes('go-tdx-guest/rootcrl.der'),
      pckCrl: bytes('go-tdx-guest/pckcrl'),
    });
    assert.throws(() => verifyQuote(OASIS_V3, c, { now: OASIS_V3_AT }), code('ERR_PKI_CRL_NOT_YET_VALID'));
  });
  test('the 50806F collateral at 2053: its TCB Signing certificate (2018..2025) expired first → ERR_PKI_CERT_EXPIRED', () => {
    const q = bytes('oasis-core/pcs/quote_v4_tdx_ecdsa_p256_out_of_date.bin');
    assert.throws(
      () => verifyQuote(q, A50806F, at('2053-07-01T00:00:00Z')),
      (e) => code('ERR_PKI_CERT_EXPIRED')(e) && /TCB Signing/.test((e as Error).message),
    );
    assert.throws(() => verifyQuote(q, A50806F, at('2023-07-20T00:00:00Z')), code('ERR_COLLATERAL_EXPIRED'));
  });
});

describe('inspectQuote', () => {
  test('success: same result and steps as verifyQuote', () => {
    const r = inspectQuote(TDX, TDX_COLL, { now: TDX_AT });
    assert.equal(r.verified, true);
    assert.equal(r.result?.tcbStatus, 'UpToDate');
    assert.equal(r.error, undefined);
    assert.equal(r.steps, r.result?.steps);
    assert.equal(r.facts.tcbStatus, 'UpToDate');
  });

  test('failure: facts known so far, the failing step last, never throws', () => {
    const r = inspectQuote(
      bytes('phala-dcap-qvl/tdx_quote_outdated'),
      collateral('phala-dcap-qvl/tdx_quote_outdated_collateral.json'),
      {
        now: new Date('2026-03-20T10:41:14Z'),
      },
    );
    assert.equal(r.verified, false);
    assert.equal(r.error?.code, 'ERR_VERIFY_TCB_NO_MATCH');
    assert.equal(r.facts.quoteVersion, 5);
    assert.equal(r.facts.teeType, 'TDX');
    assert.equal(r.facts.fmspc, '90C06F000000');
    assert.equal(r.facts.qeTcbStatus, 'UpToDate');
    assert.equal(r.facts.tcbStatus, undefined);
    assert.equal(r.facts.paddingBytes, 0);
    assert.equal(r.steps.at(-1)?.check, 'tcb.level');
    assert.equal(r.steps.at(-1)?.ok, false);
    const garbage = inspectQuote(new Uint8Array(10), TDX_COLL, { now: TDX_AT });
    assert.equal(garbage.verified, false);
    assert.equal(garbage.error?.code, 'ERR_WIRE_TRUNCATED');
    assert.deepEqual(garbage.facts, {});
  });

  test('misuse throws TypeError', () => {
    assert.throws(() => verifyQuote('x' as unknown as Uint8Array, TDX_COLL, { now: TDX_AT }), TypeError);
    assert.throws(() => verifyQuote(TDX, TDX_COLL, { now: new Date(Number.NaN) }), TypeError);
    assert.throws(() => inspectQuote(TDX, TDX_COLL, {} as { now: Date }), TypeError);
  });
});

describe('TCB steps on edited collateral (genuine files cannot be edited and re-signed)', () => {
  const tdxInfo = parseTcbInfo(TDX_COLL.tcbInfo);
  const q = parseQuote(TDX, { allowTrailing: true });
  assert.ok(q.version === 4 && q.body.kind === 'td10' && q.pckCertChain !== null);
  const td = q.body;
  const ext = parsePckExtensions(q.pckCertChain[0]!);
  const platform = { sgxTcbComponents: ext.tcbComponents, pceSvn: ext.pceSvn, teeTcbSvn: td.teeTcbSvn };

  test('G7: a TCB info with another PCE-ID → ERR_COLLATERAL_PCEID_MISMATCH', () => {
    assert.throws(
      () => matchTcbInfoPlatform({ ...tdxInfo, pceId: '0001' }, { fmspc: ext.fmspcHex, pceId: ext.pceIdHex }),
      code('ERR_COLLATERAL_PCEID_MISMATCH'),
    );
    assert.throws(
      () => matchTcbInfoPlatform(tdxInfo, { fmspc: '00A067110000', pceId: ext.pceIdHex }),
      code('ERR_COLLATERAL_FMSPC_MISMATCH'),
    );
    matchTcbInfoPlatform(tdxInfo, { fmspc: ext.fmspcHex.toLowerCase(), pceId: ext.pceIdHex });
  });

  test('G8: TDX components 0 and 1 are skipped when the module version is non-zero', () => {
    // Raise tdxtcbcomponents[0] above tee_tcb_svn[0] in every level: still matches (module version 1).
    const raised = {
      ...tdxInfo,
      tcbLevels: tdxInfo.tcbLevels.map((l) => ({
        ...l,
        tdxTcbComponents: l.tdxTcbComponents!.map((c, i) => (i === 0 ? { svn: 255 } : c)),
      })),
    };
    assert.equal(selectTcbLevel(raised, platform).tcbStatus, 'UpToDate');
    // …but not with module version 0: then all 16 are compared.
    const v0 = td.teeTcbSvn.slice();
    v0[1] = 0;
    assert.throws(
      () => selectTcbLevel(raised, { ...platform, teeTcbSvn: v0 }),
      code('ERR_VERIFY_TCB_NO_MATCH'),
    );
    // component 2 is always compared
    const raised2 = {
      ...tdxInfo,
      tcbLevels: tdxInfo.tcbLevels.map((l) => ({
        ...l,
        tdxTcbComponents: l.tdxTcbComponents!.map((c, i) => (i === 2 ? { svn: 255 } : c)),
      })),
    };
    assert.throws(
      () => selectTcbLevel(raised2, platform),
      (e) => code('ERR_VERIFY_TCB_NO_MATCH')(e) && /TDX TCB component 3/.test((e as Error).message),
    );
  });

  test('G4: TDX module identity checks', () => {
    assert.equal(checkTdxModule(tdxInfo, td).id, 'TDX_01');
    const wrongSigner = { ...td, mrSignerSeam: new Uint8Array(48).fill(1) };
    assert.throws(() => checkTdxModule(tdxInfo, wrongSigner), code('ERR_VERIFY_TDX_MODULE_MISMATCH'));
    const seamAttr = { ...td, seamAttributes: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]) };
    assert.throws(() => checkTdxModule(tdxInfo, seamAttr), code('ERR_VERIFY_TDX_MODULE_MISMATCH'));
    const unknownVersion = td.teeTcbSvn.slice();
    unknownVersion[1] = 7; // no TDX_07 identity
    assert.throws(
      () => checkTdxModule(tdxInfo, { ...td, teeTcbSvn: unknownVersion }),
      code('ERR_VERIFY_TDX_MODULE_MISMATCH'),
    );
    const lowSvn = td.teeTcbSvn.slice();
    lowSvn[0] = 1; // below TDX_01's lowest level (isvsvn 2)
    assert.throws(
      () => checkTdxModule(tdxInfo, { ...td, teeTcbSvn: lowSvn }),
      code('ERR_VERIFY_TCB_NO_MATCH'),
    );
    const outOfDate = td.teeTcbSvn.slice();
    outOfDate[0] = 3; // TDX_01 level isvsvn 2: OutOfDate
    const m = checkTdxModule(tdxInfo, { ...td, teeTcbSvn: outOfDate });
    assert.equal(m.level?.tcbStatus, 'OutOfDate');
    assert.equal(convergeTcbStatus('UpToDate', m.level!.tcbStatus, 'UpToDate'), 'OutOfDate');
    // module version 0: tdxModule's MRSIGNER and attributes
    const v0 = td.teeTcbSvn.slice();
    v0[1] = 0;
    assert.equal(checkTdxModule(tdxInfo, { ...td, teeTcbSvn: v0 }).level, undefined);
    assert.throws(
      () => checkTdxModule(tdxInfo, { ...wrongSigner, teeTcbSvn: v0 }),
      code('ERR_VERIFY_TDX_MODULE_MISMATCH'),
    );
  });

  test('QE identity mismatches and QE TCB levels', () => {
    const qeId = parseQeIdentity(TDX_COLL.qeIdentity);
    const qe = q.qeReportBody;
    assert.equal(matchQeIdentity(qeId, qe).tcbStatus, 'UpToDate');
    const cases: [string, object][] = [
      ['MRSIGNER', { mrSigner: new Uint8Array(32) }],
      ['ISVPRODID', { isvProdId: qe.isvProdId + 1 }],
      ['MISCSELECT', { miscSelect: 1 }],
      ['ATTRIBUTES', { attributes: new Uint8Array(16) }],
    ];
    for (const [name, patch] of cases) {
      assert.throws(
        () => matchQeIdentity(qeId, { ...qe, ...patch }),
        (e) => code('ERR_VERIFY_QE_IDENTITY_MISMATCH')(e) && (e as Error).message.includes(name),
      );
    }
    // masked-out attribute bit (MODE64BIT, mask FB) does not matter
    const attrs = qe.attributes.slice();
    attrs[0]! ^= 0x04;
    assert.equal(matchQeIdentity(qeId, { ...qe, attributes: attrs }).tcbStatus, 'UpToDate');
    assert.throws(() => matchQeIdentity(qeId, { ...qe, isvSvn: 3 }), code('ERR_VERIFY_TCB_NO_MATCH'));
    const sgxQe = parseQeIdentity(SGX_COLL.qeIdentity);
    const sgxQuote = parseQuote(SGX);
    assert.ok(sgxQuote.version === 3);
    const lvl = matchQeIdentity(sgxQe, { ...sgxQuote.qeReportBody, isvSvn: 7 });
    assert.equal(lvl.tcbStatus, 'OutOfDate');
    assert.deepEqual(lvl.advisoryIds, ['INTEL-SA-00615']);
  });

  test('status convergence (QVL convergeTcbStatusWithQeTcbStatus) and advisory merge', () => {
    assert.equal(convergeTcbStatus('SWHardeningNeeded', 'OutOfDate'), 'OutOfDate');
    assert.equal(convergeTcbStatus('ConfigurationNeeded', 'OutOfDate'), 'OutOfDateConfigurationNeeded');
    assert.equal(
      convergeTcbStatus('ConfigurationAndSWHardeningNeeded', 'UpToDate'),
      'ConfigurationAndSWHardeningNeeded',
    );
    assert.equal(
      convergeTcbStatus('OutOfDateConfigurationNeeded', 'OutOfDate'),
      'OutOfDateConfigurationNeeded',
    );
    assert.equal(convergeTcbStatus('UpToDate', 'UpToDate', 'Revoked'), 'Revoked');
    assert.deepEqual(mergeAdvisoryIds(['INTEL-SA-00615', 'INTEL-SA-00289'], [], ['INTEL-SA-00615']), [
      'INTEL-SA-00289',
      'INTEL-SA-00615',
    ]);
  });

  test('Revoked platform level → ERR_VERIFY_TCB_REVOKED is raised by the pipeline (level selection returns it)', () => {
    const revoked = {
      ...tdxInfo,
      tcbLevels: tdxInfo.tcbLevels.map((l) => ({ ...l, tcbStatus: 'Revoked' as const })),
    };
    assert.equal(selectTcbLevel(revoked, platform).tcbStatus, 'Revoked');
  });
});

describe('fuzz: mutated quotes and collateral never verify; only AttestErrors escape', () => {
  const cache = new VerifierCache();
  /** Where the PEM text of the PCK chain begins in the TDX quote. */
  const PEM_START = Buffer.from(TDX).indexOf('-----BEGIN CERTIFICATE-----');
  test('whitespace inside the PCK chain PEM is not signed: \n → \r decodes to the same chain and verifies alike', () => {
    const at = Buffer.from(TDX).indexOf(0x0a, PEM_START + 30);
    const m = TDX.slice();
    m[at] = 0x0d;
    assert.deepEqual(
      verifyQuote(m, TDX_COLL, { now: TDX_AT, cache }),
      verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache }),
    );
  });
  test('random byte changes in the quote (phala tdx_quote)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: TDX.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (offset, x) => {
          const m = TDX.slice();
          m[offset]! ^= x;
          let verified: VerifiedQuote;
          try {
            verified = verifyQuote(m, TDX_COLL, { now: TDX_AT, cache });
          } catch (e) {
            assert.ok(isAttestError(e), String(e));
            return;
          }
          // The one change that may verify: PEM whitespace for PEM whitespace inside the PCK chain
          // (RFC 7468 §3), which is not signed and decodes to the same DER: the same facts.
          const ws = [0x20, 0x09, 0x0d, 0x0a];
          assert.ok(
            offset >= PEM_START && ws.includes(TDX[offset]!) && ws.includes(m[offset]!),
            `a quote with byte ${offset} ^ ${x} verified`,
          );
          assert.deepEqual(verified, verifyQuote(TDX, TDX_COLL, { now: TDX_AT, cache }));
        },
      ),
      { numRuns: 100 },
    );
  });

  test('random truncations and extensions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: SGX.length - 1 }),
        fc.uint8Array({ maxLength: 8 }),
        (len, tail) => {
          const m = new Uint8Array(len + tail.length);
          m.set(SGX.subarray(0, len));
          m.set(tail, len);
          try {
            verifyQuote(m, SGX_COLL, { now: SGX_AT, cache });
          } catch (e) {
            assert.ok(isAttestError(e), String(e));
            return;
          }
          assert.fail('a truncated quote verified');
        },
      ),
      { numRuns: 100 },
    );
  });

  test('random changes in the collateral fields', () => {
    const fields = [
      'tcbInfo',
      'qeIdentity',
      'tcbInfoSignature',
      'qeIdentitySignature',
      'pckCrl',
      'rootCaCrl',
    ] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.nat(), fc.integer({ min: 1, max: 255 }), (field, pos, x) => {
        const v = TDX_COLL[field]!;
        let patched: Partial<Collateral>;
        if (typeof v === 'string') {
          const i = pos % v.length;
          const ch = String.fromCharCode((v.charCodeAt(i) ^ x) & 0x7f || 0x20);
          if (ch === v[i]) return;
          patched = { [field]: v.slice(0, i) + ch + v.slice(i + 1) };
        } else {
          const m = v.slice();
          m[pos % m.length]! ^= x;
          patched = { [field]: m };
        }
        const c = createCollateral({ ...TDX_COLL, ...patched });
        try {
          verifyQuote(TDX, c, { now: TDX_AT, cache });
        } catch (e) {
          assert.ok(isAttestError(e), String(e));
          return;
        }
        assert.fail(`collateral with ${field}[${pos}] changed verified`);
      }),
      { numRuns: 100 },
    );
  });
});

describe('end to end with the PCS client', () => {
  test('collateral fetched from a local PCCS verifies like the assembled file', async () => {
    const { createServer } = await import('node:http');
    const { PcsClient } = await import('../../src/collateral/index.ts');
    const chain = A50806F.tcbInfoIssuerChain;
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (body: Uint8Array | string, headers: Record<string, string> = {}) => {
        res.writeHead(200, headers);
        res.end(body);
      };
      if (url.pathname.endsWith('/pckcrl'))
        return send(bytes('go-tdx-guest/pckcrl'), {
          'SGX-PCK-CRL-Issuer-Chain': encodeURIComponent(A50806F.pckCrlIssuerChain),
        });
      if (url.pathname.endsWith('/rootcacrl'))
        return send(Buffer.from(bytes('go-tdx-guest/rootcrl.der')).toString('hex'));
      if (url.pathname.endsWith('/tcb'))
        return send(text('oasis-core/pcs/tcb_info_v3_tdx_fmspc_50806F000000.json'), {
          'TCB-Info-Issuer-Chain': encodeURIComponent(chain),
        });
      if (url.pathname.endsWith('/qe/identity'))
        return send(text('oasis-core/pcs/qe_identity_v2_tdx.json'), {
          'SGX-Enclave-Identity-Issuer-Chain': encodeURIComponent(chain),
        });
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const quote = bytes('oasis-core/pcs/quote_v4_tdx_ecdsa_p256_out_of_date.bin');
      const c = await new PcsClient({
        baseUrl: `http://127.0.0.1:${port}`,
        now: () => A50806F_AT,
      }).getCollateralForQuote(quote);
      const r = inspectQuote(quote, c, { now: A50806F_AT });
      assert.equal(r.error?.code, 'ERR_VERIFY_TCB_NO_MATCH');
      assert.ok(r.steps.find((s) => s.check === 'crl.pck')?.ok);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
