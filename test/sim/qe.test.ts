/**
 * The simulated QE's quotes: byte for byte what the wire encoders produce from the same parts
 * (DCAP-VERIFICATION.md §1.1), with the signature over header ‖ body (§1.2 G).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { seedBytes, signWith } from '../../src/sim/keys.ts';
import { createSimulatedPki } from '../../src/sim/pki.ts';
import { createSimulatedQe, generateSgxQuote, generateTdxQuote, type SimulatedQe } from '../../src/sim/qe.ts';
import { concatBytes } from '../../src/wire/hex.ts';
import {
  CERT_DATA_TYPE_PCK_CERT_CHAIN,
  type EcdsaQuoteInit,
  encodeQuoteSignedBytes,
  encodeQuoteV3,
  encodeQuoteV4,
  INTEL_QE_VENDOR_ID,
  parseQuote,
} from '../../src/wire/quote.ts';
import { REPORT_BODY_SIZE, TD_REPORT10_SIZE } from '../../src/wire/report.ts';

const seed = seedBytes('qe-test');
const pki = await createSimulatedPki({
  seed,
  notBefore: new Date('2025-01-01T00:00:00Z'),
  platform: {
    ppid: new Uint8Array(16).fill(1),
    cpuSvn: new Uint8Array(16).fill(2),
    pceSvn: 13,
    pceId: new Uint8Array(2),
    fmspc: Uint8Array.of(0, 0x90, 0x6e, 0xa1, 0, 0),
    caType: 'processor',
  },
});
const sgxQe = createSimulatedQe({ seed, kind: 'QE', pki });
const tdQe = createSimulatedQe({ seed, kind: 'TD_QE', pki });

/** The quote encoded whole by the wire encoders, as the QE did before it kept a template. */
function encodedWhole(qe: SimulatedQe, body: Uint8Array): Uint8Array {
  const version = qe.kind === 'QE' ? 3 : 4;
  const header = {
    teeType: qe.kind === 'QE' ? ('SGX' as const) : ('TDX' as const),
    qeSvn: qe.kind === 'QE' ? qe.isvSvn : 0,
    pceSvn: qe.kind === 'QE' ? qe.pceSvn : 0,
    qeVendorId: INTEL_QE_VENDOR_ID,
    userData: concatBytes(qe.qeId, new Uint8Array(4)),
  };
  const init: EcdsaQuoteInit = {
    header,
    body,
    signatureData: {
      signature: signWith(qe.attestationKey, encodeQuoteSignedBytes(version, header, body)),
      attestationKey: qe.attestationKey.publicKeyRaw,
      qeReport: qe.qeReport,
      qeReportSignature: qe.qeReportSignature,
      qeAuthData: qe.qeAuthData,
      certificationData: { type: CERT_DATA_TYPE_PCK_CERT_CHAIN, data: qe.certificationData },
    },
  };
  return version === 3 ? encodeQuoteV3(init) : encodeQuoteV4(init);
}

describe('sim/qe: quotes', () => {
  test('SGX v3 and TDX v4 quotes equal the whole wire encoding, quote after quote (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: REPORT_BODY_SIZE, maxLength: REPORT_BODY_SIZE }),
        fc.uint8Array({ minLength: TD_REPORT10_SIZE, maxLength: TD_REPORT10_SIZE }),
        (sgxBody, tdReport) => {
          assert.deepEqual(generateSgxQuote(sgxQe, sgxBody), encodedWhole(sgxQe, sgxBody));
          assert.deepEqual(generateTdxQuote(tdQe, tdReport), encodedWhole(tdQe, tdReport));
        },
      ),
      { numRuns: 40 },
    );
  });

  test('a quote is its own copy: changing one does not change the next', () => {
    const body = new Uint8Array(REPORT_BODY_SIZE).fill(0x42);
    const a = generateSgxQuote(sgxQe, body);
    const expected = a.slice();
    a.fill(0);
    assert.deepEqual(generateSgxQuote(sgxQe, body), expected);
    const q = parseQuote(expected);
    assert.equal(q.version, 3);
    if (q.version !== 3) return;
    assert.deepEqual(q.signedBytes.subarray(48), body);
  });

  test('wrong kinds and sizes are refused', () => {
    assert.throws(() => generateSgxQuote(tdQe, new Uint8Array(REPORT_BODY_SIZE)), RangeError);
    assert.throws(() => generateTdxQuote(sgxQe, new Uint8Array(TD_REPORT10_SIZE)), RangeError);
    assert.throws(() => generateSgxQuote(sgxQe, new Uint8Array(100)), RangeError);
    assert.throws(() => generateTdxQuote(tdQe, new Uint8Array(REPORT_BODY_SIZE)), RangeError);
  });
});
