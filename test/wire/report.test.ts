/**
 * sgx_report_body_t and TD report 1.0 / 1.5: known answers from genuine quotes, offsets,
 * flags, size errors, and encode(parse(x)) === x.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAttestError } from '../../src/errors.ts';
import { toHex } from '../../src/wire/hex.ts';
import {
  encodeReportBody,
  encodeTdReport,
  parseReportBody,
  parseTdReport,
  REPORT_BODY_ATTRIBUTES_OFFSET,
  REPORT_BODY_CONFIG_SVN_OFFSET,
  REPORT_BODY_ISV_FAMILY_ID_OFFSET,
  REPORT_BODY_ISV_PROD_ID_OFFSET,
  REPORT_BODY_ISV_SVN_OFFSET,
  REPORT_BODY_MISC_SELECT_OFFSET,
  REPORT_BODY_MR_ENCLAVE_OFFSET,
  REPORT_BODY_MR_SIGNER_OFFSET,
  REPORT_BODY_REPORT_DATA_OFFSET,
  REPORT_BODY_SIZE,
  TD_REPORT_MR_SERVICE_TD_OFFSET,
  TD_REPORT_MR_TD_OFFSET,
  TD_REPORT_REPORT_DATA_OFFSET,
  TD_REPORT_RTMR_OFFSET,
  TD_REPORT_TD_ATTRIBUTES_OFFSET,
  TD_REPORT_TEE_TCB_SVN2_OFFSET,
  TD_REPORT10_SIZE,
  TD_REPORT15_SIZE,
} from '../../src/wire/report.ts';

const vector = (p: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../vectors/${p}`, import.meta.url)));
const code = (c: string) => (e: unknown) => isAttestError(e) && e.code === c;

// Bodies sliced by hand at the offsets of DCAP-VERIFICATION.md §1.1 (v3/v4 body at 48, v5 at 54).
const sgxQuote = vector('phala-dcap-qvl/sgx_quote');
const oasisV3 = vector('oasis-core/pcs/quote_v3_ecdsa_p256_pck_chain.bin');
const oasisV4 = vector('oasis-core/pcs/quote_v4_tdx_ecdsa_p256.bin');
const v5 = vector('go-tdx-guest/quote_v5_sample.dat');
const spr = vector('go-tdx-guest/tdx_prod_quote_SPR_E4.dat');

describe('sgx_report_body_t (PROTOCOL-SEED.md §5.4)', () => {
  test('oasis v3 pck_chain body: MRENCLAVE 68823bc6…, MRSIGNER 9affcfae…, not debug', () => {
    const body = parseReportBody(oasisV3.subarray(48, 48 + 384));
    assert.equal(body.kind, 'sgx');
    assert.ok(toHex(body.mrEnclave).startsWith('68823bc6'));
    assert.ok(toHex(body.mrSigner).startsWith('9affcfae'));
    assert.equal(body.debug, false);
    assert.equal(body.mrEnclave.length, 32);
    assert.equal(body.reportData.length, 64);
    assert.equal(body.attributesFlags & 0x2n, 0n);
    assert.ok(Object.isFrozen(body));
  });

  test('fields come from the named offsets', () => {
    const raw = sgxQuote.slice(48, 48 + 384);
    const body = parseReportBody(raw);
    const dv = new DataView(raw.buffer);
    assert.equal(body.miscSelect, dv.getUint32(REPORT_BODY_MISC_SELECT_OFFSET, true));
    assert.equal(body.isvProdId, dv.getUint16(REPORT_BODY_ISV_PROD_ID_OFFSET, true));
    assert.equal(body.isvSvn, dv.getUint16(REPORT_BODY_ISV_SVN_OFFSET, true));
    assert.equal(body.configSvn, dv.getUint16(REPORT_BODY_CONFIG_SVN_OFFSET, true));
    assert.deepEqual(
      body.mrEnclave,
      raw.slice(REPORT_BODY_MR_ENCLAVE_OFFSET, REPORT_BODY_MR_ENCLAVE_OFFSET + 32),
    );
    assert.deepEqual(
      body.mrSigner,
      raw.slice(REPORT_BODY_MR_SIGNER_OFFSET, REPORT_BODY_MR_SIGNER_OFFSET + 32),
    );
    assert.deepEqual(body.reportData, raw.slice(REPORT_BODY_REPORT_DATA_OFFSET));
    assert.equal(body.attributesFlags, dv.getBigUint64(REPORT_BODY_ATTRIBUTES_OFFSET, true));
    assert.equal(body.attributesXfrm, dv.getBigUint64(REPORT_BODY_ATTRIBUTES_OFFSET + 8, true));
  });

  test('byte fields are copies of the input', () => {
    const raw = sgxQuote.slice(48, 48 + 384);
    const body = parseReportBody(raw);
    raw.fill(0xee);
    assert.notEqual(body.mrEnclave[0], 0xee);
  });

  test('no byte field aliases the input: SGX body, TD report 1.0 and 1.5, Uint8Array or Buffer', () => {
    const cases: readonly [string, Uint8Array, (b: Uint8Array) => object][] = [
      ['sgx', sgxQuote.subarray(48, 48 + REPORT_BODY_SIZE), (b) => parseReportBody(b)],
      ['td10', oasisV4.subarray(48, 48 + TD_REPORT10_SIZE), (b) => parseTdReport(b)],
      ['td15', v5.subarray(54, 54 + TD_REPORT15_SIZE), (b) => parseTdReport(b)],
    ];
    for (const [name, raw, parse] of cases) {
      for (const input of [raw.slice(), Buffer.from(raw)]) {
        const record = parse(input);
        const fields: [string, Uint8Array][] = [];
        for (const [k, v] of Object.entries(record)) {
          if (v instanceof Uint8Array) fields.push([k, v]);
          else if (Array.isArray(v)) for (const [i, m] of v.entries()) fields.push([`${k}[${i}]`, m]);
        }
        assert.ok(fields.length >= 12, name);
        const before = fields.map(([, f]) => f.slice());
        for (const [k, f] of fields) {
          assert.notEqual(f.buffer, input.buffer, `${name}.${k}`);
          assert.equal(Object.getPrototypeOf(f), Uint8Array.prototype, `${name}.${k}`);
        }
        input.fill(0xee);
        fields.forEach(([k, f], i) => {
          assert.deepEqual(f, before[i], `${name}.${k} changed when the input was overwritten`);
        });
        assert.deepEqual(record, parse(raw));
      }
    }
  });

  test('DEBUG is ATTRIBUTES.FLAGS bit 1', () => {
    const attributes = new Uint8Array(16);
    attributes[0] = 0x07; // as in both genuine IAS reports (debug enclaves)
    assert.equal(parseReportBody(encodeReportBody({ attributes })).debug, true);
    attributes[0] = 0x05;
    assert.equal(parseReportBody(encodeReportBody({ attributes })).debug, false);
  });

  test('encode places each field at its offset and defaults to zero', () => {
    const mrEnclave = new Uint8Array(32).fill(1);
    const isvFamilyId = new Uint8Array(16).fill(2);
    const out = encodeReportBody({ mrEnclave, isvFamilyId, isvSvn: 0x1234, miscSelect: 0xdeadbeef });
    assert.equal(out.length, REPORT_BODY_SIZE);
    assert.deepEqual(out.slice(REPORT_BODY_MR_ENCLAVE_OFFSET, REPORT_BODY_MR_ENCLAVE_OFFSET + 32), mrEnclave);
    assert.deepEqual(
      out.slice(REPORT_BODY_ISV_FAMILY_ID_OFFSET, REPORT_BODY_ISV_FAMILY_ID_OFFSET + 16),
      isvFamilyId,
    );
    assert.equal(out[REPORT_BODY_ISV_SVN_OFFSET], 0x34);
    assert.equal(out[REPORT_BODY_ISV_SVN_OFFSET + 1], 0x12);
    assert.equal(out[REPORT_BODY_MISC_SELECT_OFFSET], 0xef);
    assert.equal(out.filter((b) => b !== 0).length, 32 + 16 + 2 + 4);
  });

  test('size errors: 383 bytes is truncated, 385 has a trailing byte', () => {
    assert.throws(() => parseReportBody(new Uint8Array(383)), code('ERR_WIRE_TRUNCATED'));
    assert.throws(() => parseReportBody(new Uint8Array(385)), code('ERR_WIRE_TRAILING_BYTES'));
  });

  test('encode rejects wrong sizes and out-of-range integers with RangeError', () => {
    assert.throws(() => encodeReportBody({ mrEnclave: new Uint8Array(31) }), RangeError);
    assert.throws(() => encodeReportBody({ isvSvn: 0x10000 }), RangeError);
    assert.throws(() => encodeReportBody({ miscSelect: -1 }), RangeError);
  });

  test('property: encode(parse(x)) === x for any 384 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 384, maxLength: 384 }), (raw) => {
        assert.deepEqual(encodeReportBody(parseReportBody(raw)), raw);
      }),
      { numRuns: 300 },
    );
  });
});

describe('TD report 1.0 / 1.5 (DCAP-VERIFICATION.md §1.1)', () => {
  test('oasis v4 TD report 1.0: teeTcbSvn 05 01 07, SEPT_VE_DISABLE, not debug', () => {
    const td = parseTdReport(oasisV4.subarray(48, 48 + 584));
    assert.equal(td.kind, 'td10');
    assert.equal(toHex(td.teeTcbSvn).slice(0, 6), '050107');
    assert.equal(toHex(td.tdAttributes), '0000001000000000');
    assert.equal(td.septVeDisable, true);
    assert.equal(td.debug, false);
    assert.equal(td.rtmr.length, 4);
    assert.ok(Object.isFrozen(td) && Object.isFrozen(td.rtmr));
  });

  test('go-tdx-guest SPR_E4: TD attributes 0000004000000000 (PKS, no SEPT_VE_DISABLE)', () => {
    const td = parseTdReport(spr.subarray(48, 48 + 584));
    assert.equal(toHex(td.tdAttributes), '0000004000000000');
    assert.equal(td.tdAttributesFlags, 1n << 30n);
    assert.equal(td.septVeDisable, false);
  });

  test('go-tdx-guest v5 TD report 1.5: teeTcbSvn 0b 01 04, with teeTcbSvn2 and mrServiceTd', () => {
    const raw = v5.slice(54, 54 + 648);
    const td = parseTdReport(raw);
    assert.equal(td.kind, 'td15');
    assert.equal(toHex(td.teeTcbSvn).slice(0, 6), '0b0104');
    if (td.kind !== 'td15') return;
    assert.deepEqual(
      td.teeTcbSvn2,
      raw.slice(TD_REPORT_TEE_TCB_SVN2_OFFSET, TD_REPORT_TEE_TCB_SVN2_OFFSET + 16),
    );
    assert.deepEqual(td.mrServiceTd, raw.slice(TD_REPORT_MR_SERVICE_TD_OFFSET));
    assert.deepEqual(td.mrTd, raw.slice(TD_REPORT_MR_TD_OFFSET, TD_REPORT_MR_TD_OFFSET + 48));
    assert.deepEqual(td.rtmr[3], raw.slice(TD_REPORT_RTMR_OFFSET + 144, TD_REPORT_RTMR_OFFSET + 192));
    assert.deepEqual(
      td.reportData,
      raw.slice(TD_REPORT_REPORT_DATA_OFFSET, TD_REPORT_REPORT_DATA_OFFSET + 64),
    );
  });

  test('DEBUG is TDATTRIBUTES bit 0', () => {
    const tdAttributes = new Uint8Array(8);
    tdAttributes[0] = 1;
    const td = parseTdReport(encodeTdReport({ kind: 'td10', tdAttributes }));
    assert.equal(td.debug, true);
    const raw = encodeTdReport({ kind: 'td15', tdAttributes });
    assert.equal(raw[TD_REPORT_TD_ATTRIBUTES_OFFSET], 1);
    assert.equal(raw.length, TD_REPORT15_SIZE);
  });

  test('size errors: other sizes parse as 1.5 and fail', () => {
    assert.throws(() => parseTdReport(new Uint8Array(583)), code('ERR_WIRE_TRUNCATED'));
    assert.throws(() => parseTdReport(new Uint8Array(647)), code('ERR_WIRE_TRUNCATED'));
    assert.throws(() => parseTdReport(new Uint8Array(649)), code('ERR_WIRE_TRAILING_BYTES'));
  });

  test('encode rejects wrong sizes, a wrong rtmr count and an unknown kind', () => {
    assert.throws(() => encodeTdReport({ kind: 'td10', mrTd: new Uint8Array(32) }), RangeError);
    assert.throws(() => encodeTdReport({ kind: 'td10', rtmr: [new Uint8Array(48)] }), RangeError);
    assert.throws(() => encodeTdReport({ kind: 'td11' as 'td10' }), RangeError);
  });

  test('encode(parse(x)) === x for the genuine TD reports', () => {
    for (const raw of [oasisV4.slice(48, 632), spr.slice(48, 632), v5.slice(54, 702)])
      assert.deepEqual(encodeTdReport(parseTdReport(raw)), raw);
  });

  test('property: encode(parse(x)) === x for any 584 or 648 bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: TD_REPORT10_SIZE, maxLength: TD_REPORT10_SIZE }),
          fc.uint8Array({ minLength: TD_REPORT15_SIZE, maxLength: TD_REPORT15_SIZE }),
        ),
        (raw) => {
          assert.deepEqual(encodeTdReport(parseTdReport(raw)), raw);
        },
      ),
      { numRuns: 300 },
    );
  });
});
