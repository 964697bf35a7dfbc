import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createCollateral,
  parseCollateralJson,
  splitSignedBody,
  writeCollateralJson,
} from '../../src/collateral/collateral.ts';
import { parseQeIdentity } from '../../src/collateral/qe-identity.ts';
import { parseTcbInfo } from '../../src/collateral/tcb-info.ts';
import { isAttestError } from '../../src/errors.ts';

const V = new URL('../vectors/', import.meta.url);
const text = (p: string): string => readFileSync(new URL(p, V), 'utf8');

const COLLATERAL_FILES = [
  'phala-dcap-qvl/sgx_quote_collateral.json',
  'phala-dcap-qvl/tdx_quote_collateral.json',
  'phala-dcap-qvl/tdx_quote_outdated_collateral.json',
  'phala-dcap-qvl/near_tdx_quote_collateral.json',
  'assembled/tdx_50806F_2023-06-18_collateral.json',
  'assembled/tdx_90C06F_2026-02-20_collateral.json',
];

const code = (c: string) => (e: unknown) => isAttestError(e) && e.code === c;

describe('parseCollateralJson (dcap-qvl QuoteCollateralV3)', () => {
  for (const f of COLLATERAL_FILES) {
    test(`parses ${f} and keeps the signed texts exactly`, () => {
      const raw = JSON.parse(text(f)) as Record<string, string>;
      const c = parseCollateralJson(text(f));
      assert.ok(Object.isFrozen(c));
      assert.equal(c.tcbInfo, raw.tcb_info);
      assert.equal(c.qeIdentity, raw.qe_identity);
      assert.equal(c.tcbInfoSignature.length, 64);
      assert.equal(c.qeIdentitySignature.length, 64);
      assert.equal(Buffer.from(c.pckCrl!).toString('hex'), raw.pck_crl!.toLowerCase());
      assert.equal(c.rootCaCrl![0], 0x30);
      // round trip
      const again = parseCollateralJson(writeCollateralJson(c));
      assert.deepEqual(again, c);
    });
  }

  test('absent or empty CRLs parse as absent', () => {
    const raw = JSON.parse(text(COLLATERAL_FILES[0]!)) as Record<string, unknown>;
    raw.pck_crl = '';
    delete raw.root_ca_crl;
    const c = parseCollateralJson(JSON.stringify(raw));
    assert.equal(c.pckCrl, undefined);
    assert.equal(c.rootCaCrl, undefined);
    assert.ok(!('pckCrl' in c));
    const w = JSON.parse(writeCollateralJson(c)) as Record<string, string>;
    assert.equal(w.pck_crl, '');
  });

  test('byte arrays are accepted for CRLs and signatures', () => {
    const raw = JSON.parse(text(COLLATERAL_FILES[1]!)) as Record<string, unknown>;
    raw.tcb_info_signature = [...Buffer.from(raw.tcb_info_signature as string, 'hex')];
    const c = parseCollateralJson(JSON.stringify(raw));
    assert.equal(
      Buffer.from(c.tcbInfoSignature).toString('hex'),
      JSON.parse(text(COLLATERAL_FILES[1]!)).tcb_info_signature,
    );
  });

  test('malformed JSON → ERR_JSON_INVALID', () => {
    assert.throws(() => parseCollateralJson('{"pck_crl":'), code('ERR_JSON_INVALID'));
    assert.throws(() => parseCollateralJson(''), code('ERR_JSON_INVALID'));
  });

  const wrong: [string, unknown][] = [
    ['tcb_info', 5],
    ['tcb_info', undefined],
    ['qe_identity', null],
    ['pck_crl_issuer_chain', []],
    ['tcb_info_signature', 'abcd'],
    ['tcb_info_signature', 'zz'.repeat(64)],
    ['qe_identity_signature', [1, 2, 300]],
    ['pck_crl', 'abc'],
    ['root_ca_crl', { a: 1 }],
  ];
  for (const [key, value] of wrong) {
    test(`wrong type for ${key} (${JSON.stringify(value)}) → ERR_COLLATERAL_FORMAT`, () => {
      const raw = JSON.parse(text(COLLATERAL_FILES[0]!)) as Record<string, unknown>;
      if (value === undefined) delete raw[key];
      else raw[key] = value;
      assert.throws(() => parseCollateralJson(JSON.stringify(raw)), code('ERR_COLLATERAL_FORMAT'));
    });
  }

  test('not an object → ERR_COLLATERAL_FORMAT', () => {
    assert.throws(() => parseCollateralJson('[1]'), code('ERR_COLLATERAL_FORMAT'));
  });

  test('createCollateral copies and freezes; rejects bad signatures', () => {
    const c = parseCollateralJson(text(COLLATERAL_FILES[0]!));
    const copy = createCollateral({ ...c });
    assert.deepEqual(copy, c);
    assert.notEqual(copy.tcbInfoSignature, c.tcbInfoSignature);
    assert.throws(
      () => createCollateral({ ...c, tcbInfoSignature: new Uint8Array(63) }),
      code('ERR_COLLATERAL_FORMAT'),
    );
  });

  test('fuzz: arbitrary JSON values only raise AttestErrors', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (s) => {
        try {
          parseCollateralJson(s);
        } catch (e) {
          assert.ok(isAttestError(e), String(e));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('splitSignedBody (PCS v4 bodies)', () => {
  test('extracts the exact inner text of tcbInfo (oasis SGX)', () => {
    const body = text('oasis-core/pcs/tcb_info_v3_fmspc_00606A000000.json');
    const s = splitSignedBody(body, 'tcbInfo');
    assert.ok(body.includes(s.signedText));
    assert.ok(s.signedText.startsWith('{"id":"SGX"'));
    assert.equal(s.signature.length, 64);
    // the text is byte-identical to a substring: never re-serialised
    assert.equal(body.indexOf(s.signedText), '{"tcbInfo":'.length);
  });

  test('the assembled 50806F collateral holds the exact inner texts of the oasis bodies', () => {
    const c = parseCollateralJson(text('assembled/tdx_50806F_2023-06-18_collateral.json'));
    const tcb = splitSignedBody(text('oasis-core/pcs/tcb_info_v3_tdx_fmspc_50806F000000.json'), 'tcbInfo');
    const qe = splitSignedBody(text('oasis-core/pcs/qe_identity_v2_tdx.json'), 'enclaveIdentity');
    assert.equal(c.tcbInfo, tcb.signedText);
    assert.deepEqual(c.tcbInfoSignature, tcb.signature);
    assert.equal(c.qeIdentity, qe.signedText);
    assert.deepEqual(c.qeIdentitySignature, qe.signature);
  });

  test('whitespace and member order are preserved', () => {
    const inner = '{ "id" : "QE",\n "x": [1, {"a":"}"}] }';
    const body = `{ "signature" : "${'ab'.repeat(64)}" ,\n "enclaveIdentity" :${inner}}`;
    assert.equal(splitSignedBody(body, 'enclaveIdentity').signedText, inner);
  });

  test('missing member / bad signature / not JSON', () => {
    assert.throws(
      () => splitSignedBody(`{"signature":"${'ab'.repeat(64)}"}`, 'tcbInfo'),
      code('ERR_COLLATERAL_FORMAT'),
    );
    assert.throws(
      () => splitSignedBody('{"tcbInfo":{},"signature":"ab"}', 'tcbInfo'),
      code('ERR_COLLATERAL_FORMAT'),
    );
    assert.throws(() => splitSignedBody('{"tcbInfo":', 'tcbInfo'), code('ERR_JSON_INVALID'));
  });
});

describe('parseTcbInfo', () => {
  test('SGX v3 (phala sgx_quote)', () => {
    const t = parseTcbInfo(parseCollateralJson(text(COLLATERAL_FILES[0]!)).tcbInfo);
    assert.equal(t.id, 'SGX');
    assert.equal(t.version, 3);
    assert.equal(t.fmspc, '00A067110000');
    assert.equal(t.pceId, '0000');
    assert.equal(t.tcbEvaluationDataNumber, 17);
    assert.equal(t.issueDate, '2025-06-19T10:56:11Z');
    assert.equal(t.nextUpdateMs, Date.parse('2025-07-19T10:56:11Z'));
    assert.equal(t.tdxModule, undefined);
    const l = t.tcbLevels[1]!;
    assert.equal(l.tcbStatus, 'ConfigurationAndSWHardeningNeeded');
    assert.deepEqual(l.advisoryIds, ['INTEL-SA-00289', 'INTEL-SA-00615']);
    assert.equal(l.sgxTcbComponents.length, 16);
    assert.equal(l.pceSvn, 13);
    assert.ok(Object.isFrozen(t) && Object.isFrozen(t.tcbLevels) && Object.isFrozen(l));
  });

  test('TDX v3 with module identities (phala tdx_quote)', () => {
    const t = parseTcbInfo(parseCollateralJson(text(COLLATERAL_FILES[1]!)).tcbInfo);
    assert.equal(t.id, 'TDX');
    assert.equal(t.fmspc, 'B0C06F000000');
    assert.equal(t.tdxModule!.mrSigner.length, 48);
    assert.deepEqual(
      t.tdxModuleIdentities!.map((m) => m.id),
      ['TDX_03', 'TDX_01'],
    );
    assert.equal(t.tdxModuleIdentities![1]!.tcbLevels[1]!.tcbStatus, 'OutOfDate');
    assert.equal(t.tcbLevels[0]!.tdxTcbComponents!.length, 16);
    assert.equal(t.tcbLevels[0]!.sgxTcbComponents[0]!.category, 'BIOS');
  });

  test('lowercase FMSPC is normalised to uppercase (oasis 50806f)', () => {
    const t = parseTcbInfo(
      splitSignedBody(text('go-tdx-guest/sample_tcbInfo_response'), 'tcbInfo').signedText,
    );
    assert.equal(t.fmspc, '50806F000000');
    assert.equal(t.tdxModuleIdentities, undefined);
  });

  test('TCB info v2 (SGX, flat components)', () => {
    const comps = Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`sgxtcbcomp${String(i + 1).padStart(2, '0')}svn`, i]),
    );
    const doc = {
      version: 2,
      issueDate: '2020-01-01T00:00:00Z',
      nextUpdate: '2020-02-01T00:00:00Z',
      fmspc: '00906ea10000',
      pceId: '0000',
      tcbType: 0,
      tcbEvaluationDataNumber: 5,
      tcbLevels: [{ tcb: { ...comps, pcesvn: 10 }, tcbDate: '2019-11-13T00:00:00Z', tcbStatus: 'UpToDate' }],
    };
    const t = parseTcbInfo(JSON.stringify(doc));
    assert.equal(t.id, 'SGX');
    assert.equal(t.version, 2);
    assert.equal(t.tcbLevels[0]!.sgxTcbComponents[15]!.svn, 15);
    assert.deepEqual(t.tcbLevels[0]!.advisoryIds, []);
  });

  const base = () =>
    JSON.parse(parseCollateralJson(text(COLLATERAL_FILES[1]!)).tcbInfo) as Record<string, unknown> & {
      tcbLevels: Record<string, unknown>[];
    };
  const cases: [string, (d: ReturnType<typeof base>) => void, string][] = [
    ['version 4', (d) => (d.version = 4), 'ERR_COLLATERAL_UNSUPPORTED_VERSION'],
    ['version "3"', (d) => (d.version = '3'), 'ERR_COLLATERAL_UNSUPPORTED_VERSION'],
    ['id XYZ', (d) => (d.id = 'XYZ'), 'ERR_COLLATERAL_UNSUPPORTED_VERSION'],
    ['fmspc too short', (d) => (d.fmspc = '00'), 'ERR_COLLATERAL_FORMAT'],
    ['issueDate not a date', (d) => (d.issueDate = 'yesterday'), 'ERR_COLLATERAL_FORMAT'],
    ['unknown status', (d) => (d.tcbLevels[0]!.tcbStatus = 'UpToDatX'), 'ERR_COLLATERAL_FORMAT'],
    ['no levels', (d) => (d.tcbLevels = []), 'ERR_COLLATERAL_FORMAT'],
    [
      '15 components',
      (d) => {
        const tcb = d.tcbLevels[0]!.tcb as { sgxtcbcomponents: unknown[] };
        tcb.sgxtcbcomponents.pop();
      },
      'ERR_COLLATERAL_FORMAT',
    ],
    [
      'svn 256',
      (d) => {
        const tcb = d.tcbLevels[0]!.tcb as { tdxtcbcomponents: { svn: number }[] };
        tcb.tdxtcbcomponents[3]!.svn = 256;
      },
      'ERR_COLLATERAL_FORMAT',
    ],
    ['TDX without tdxModule', (d) => delete d.tdxModule, 'ERR_COLLATERAL_FORMAT'],
    ['advisoryIDs not strings', (d) => (d.tcbLevels[0]!.advisoryIDs = [1]), 'ERR_COLLATERAL_FORMAT'],
  ];
  for (const [name, mutate, c] of cases) {
    test(`${name} → ${c}`, () => {
      const d = base();
      mutate(d);
      assert.throws(() => parseTcbInfo(JSON.stringify(d)), code(c));
    });
  }
  test('not JSON → ERR_JSON_INVALID', () => {
    assert.throws(() => parseTcbInfo('{'), code('ERR_JSON_INVALID'));
  });
});

describe('parseQeIdentity', () => {
  test('QE v2 (oasis) and TD_QE (phala)', () => {
    const qe = parseQeIdentity(
      splitSignedBody(text('oasis-core/pcs/qe_identity_v2.json'), 'enclaveIdentity').signedText,
    );
    assert.equal(qe.id, 'QE');
    assert.equal(qe.isvProdId, 1);
    assert.equal(qe.miscSelectMask, 0xffffffff);
    assert.equal(qe.attributes.length, 16);
    assert.equal(qe.mrSigner.length, 32);
    assert.ok(qe.tcbLevels.length > 1);
    const td = parseQeIdentity(parseCollateralJson(text(COLLATERAL_FILES[1]!)).qeIdentity);
    assert.equal(td.id, 'TD_QE');
    assert.equal(td.isvProdId, 2);
    assert.deepEqual(td.tcbLevels[0], {
      isvSvn: 4,
      tcbDate: '2024-03-13T00:00:00Z',
      tcbStatus: 'UpToDate',
      advisoryIds: [],
    });
  });

  const base = () =>
    JSON.parse(parseCollateralJson(text(COLLATERAL_FILES[0]!)).qeIdentity) as Record<string, unknown> & {
      tcbLevels: Record<string, unknown>[];
    };
  const cases: [string, (d: ReturnType<typeof base>) => void, string][] = [
    ['version 1', (d) => (d.version = 1), 'ERR_COLLATERAL_UNSUPPORTED_VERSION'],
    ['id PCE', (d) => (d.id = 'PCE'), 'ERR_COLLATERAL_UNSUPPORTED_VERSION'],
    ['mrsigner short', (d) => (d.mrsigner = 'ab'), 'ERR_COLLATERAL_FORMAT'],
    ['isvprodid string', (d) => (d.isvprodid = '1'), 'ERR_COLLATERAL_FORMAT'],
    [
      'SWHardeningNeeded is not a QE status',
      (d) => (d.tcbLevels[0]!.tcbStatus = 'SWHardeningNeeded'),
      'ERR_COLLATERAL_FORMAT',
    ],
    ['tcb missing', (d) => delete d.tcbLevels[0]!.tcb, 'ERR_COLLATERAL_FORMAT'],
    ['nextUpdate missing', (d) => delete d.nextUpdate, 'ERR_COLLATERAL_FORMAT'],
  ];
  for (const [name, mutate, c] of cases) {
    test(`${name} → ${c}`, () => {
      const d = base();
      mutate(d);
      assert.throws(() => parseQeIdentity(JSON.stringify(d)), code(c));
    });
  }

  test('fuzz: TCB info / QE identity parsers only raise AttestErrors', () => {
    fc.assert(
      fc.property(fc.json(), (s) => {
        for (const f of [parseTcbInfo, parseQeIdentity]) {
          try {
            f(s);
          } catch (e) {
            assert.ok(isAttestError(e), String(e));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
