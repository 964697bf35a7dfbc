/**
 * parseQuote on every genuine quote in test/vectors (facts from test/vectors/README.md and
 * DCAP-VERIFICATION.md §1.1), truncation and byte-flip tables asserting codes, the encoders,
 * and fast-check properties (only AttestErrors escape; encode/parse round trips).
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAttestError, ParseError } from '../../src/errors.ts';
import { fromHex, isAllZero, toHex } from '../../src/wire/hex.ts';
import {
  type EcdsaQuote,
  encodeQuoteSignedBytes,
  encodeQuoteV2,
  encodeQuoteV3,
  encodeQuoteV4,
  encodeQuoteV5,
  INTEL_QE_VENDOR_ID,
  MAX_EPID_SIGNATURE_SIZE,
  parseEpidQuoteBody,
  parseQuote,
  type Quote,
  quoteVersion,
} from '../../src/wire/quote.ts';
import { encodeReportBody, parseReportBody } from '../../src/wire/report.ts';
import { assertNoAlias } from '../helpers/no-alias.ts';

const vector = (p: string): Uint8Array => {
  const raw = new Uint8Array(readFileSync(new URL(`../vectors/${p}`, import.meta.url)));
  return p.endsWith('.txt') ? fromHex(new TextDecoder().decode(raw)) : raw;
};
const code = (c: string) => (e: unknown) => isAttestError(e) && e.code === c;
const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const setU16 = (b: Uint8Array, at: number, v: number) =>
  new DataView(b.buffer, b.byteOffset).setUint16(at, v, true);
const setU32 = (b: Uint8Array, at: number, v: number) =>
  new DataView(b.buffer, b.byteOffset).setUint32(at, v, true);
const ecdsa = (q: Quote): EcdsaQuote => {
  assert.notEqual(q.version, 2);
  return q as EcdsaQuote;
};

interface Row {
  readonly file: string;
  readonly version: 3 | 4 | 5;
  readonly teeType: 'SGX' | 'TDX';
  readonly bodyKind: 'sgx' | 'td10' | 'td15';
  readonly qeSvn: number;
  readonly pceSvn: number;
  /** Signature data length L and structure end, DCAP-VERIFICATION.md §1.1 table. */
  readonly sigLen: number;
  readonly length: number;
  readonly fileSize: number;
  readonly trailingAllZero: boolean;
  readonly certType: 3 | 5;
  /** SGX: MRENCLAVE / MRSIGNER prefixes; TDX: first 3 bytes of teeTcbSvn and TD attributes. */
  readonly facts: Readonly<Record<string, string>>;
}

// Facts from test/vectors/README.md (sections 1-3) and the DCAP-VERIFICATION.md §1.1 layout table.
const ROWS: readonly Row[] = [
  {
    file: 'phala-dcap-qvl/sgx_quote',
    version: 3,
    teeType: 'SGX',
    bodyKind: 'sgx',
    qeSvn: 10,
    pceSvn: 15,
    sigLen: 4164,
    length: 4600,
    fileSize: 4600,
    trailingAllZero: true,
    certType: 5,
    facts: {},
  },
  {
    file: 'phala-dcap-qvl/tdx_quote',
    version: 4,
    teeType: 'TDX',
    bodyKind: 'td10',
    qeSvn: 0,
    pceSvn: 0,
    sigLen: 4300,
    length: 4936,
    fileSize: 5006,
    trailingAllZero: true,
    certType: 5,
    facts: { teeTcbSvn: '060103' },
  },
  {
    file: 'phala-dcap-qvl/tdx_quote_outdated',
    version: 5,
    teeType: 'TDX',
    bodyKind: 'td15',
    qeSvn: 0,
    pceSvn: 0,
    sigLen: 4300,
    length: 5006,
    fileSize: 5006,
    trailingAllZero: true,
    certType: 5,
    facts: {},
  },
  {
    file: 'phala-dcap-qvl/near_tdx_quote_hex.txt',
    version: 4,
    teeType: 'TDX',
    bodyKind: 'td10',
    qeSvn: 0,
    pceSvn: 0,
    sigLen: 4300,
    length: 4936,
    fileSize: 5006,
    trailingAllZero: true,
    certType: 5,
    facts: {},
  },
  {
    file: 'oasis-core/pcs/quote_v3_ecdsa_p256_pck_chain.bin',
    version: 3,
    teeType: 'SGX',
    bodyKind: 'sgx',
    qeSvn: 9,
    pceSvn: 13,
    sigLen: 4294,
    length: 4730,
    fileSize: 4730,
    trailingAllZero: true,
    certType: 5,
    facts: { mrEnclave: '68823bc6', mrSigner: '9affcfae' },
  },
  {
    file: 'oasis-core/pcs/quote_v3_ecdsa_p256_eppid.bin',
    version: 3,
    teeType: 'SGX',
    bodyKind: 'sgx',
    qeSvn: 7,
    pceSvn: 12,
    sigLen: 1020,
    length: 1456,
    fileSize: 1456,
    trailingAllZero: true,
    certType: 3,
    facts: {},
  },
  {
    file: 'oasis-core/pcs/quote_v4_tdx_ecdsa_p256.bin',
    version: 4,
    teeType: 'TDX',
    bodyKind: 'td10',
    qeSvn: 0,
    pceSvn: 0,
    sigLen: 4300,
    length: 4936,
    fileSize: 4936,
    trailingAllZero: true,
    certType: 5,
    facts: { teeTcbSvn: '050107', tdAttributes: '0000001000000000' },
  },
  {
    file: 'oasis-core/pcs/quote_v4_tdx_ecdsa_p256_out_of_date.bin',
    version: 4,
    teeType: 'TDX',
    bodyKind: 'td10',
    qeSvn: 0,
    pceSvn: 0,
    sigLen: 4299,
    length: 4935,
    fileSize: 4935,
    trailingAllZero: true,
    certType: 5,
    facts: {},
  },
  {
    file: 'oasis-core/pcs/quote_v4_tdx_ecdsa_p256_trailing.bin',
    version: 4,
    teeType: 'TDX',
    bodyKind: 'td10',
    qeSvn: 0,
    pceSvn: 0,
    sigLen: 4300,
    length: 4936,
    fileSize: 5006,
    trailingAllZero: true,
    certType: 5,
    facts: {},
  },
  {
    file: 'go-tdx-guest/tdx_prod_quote_SPR_E4.dat',
    version: 4,
    teeType: 'TDX',
    bodyKind: 'td10',
    qeSvn: 0,
    pceSvn: 0,
    sigLen: 4299,
    length: 4935,
    fileSize: 4974,
    trailingAllZero: false,
    certType: 5,
    facts: { tdAttributes: '0000004000000000' },
  },
  {
    file: 'go-tdx-guest/quote_v5_sample.dat',
    version: 5,
    teeType: 'TDX',
    bodyKind: 'td15',
    qeSvn: 0,
    pceSvn: 0,
    sigLen: 4300,
    length: 5006,
    fileSize: 5006,
    trailingAllZero: true,
    certType: 5,
    facts: { teeTcbSvn: '0b0104' },
  },
  {
    file: 'go-tdx-guest/cos-113-tdx-quote.dat',
    version: 4,
    teeType: 'TDX',
    bodyKind: 'td10',
    qeSvn: 0,
    pceSvn: 0,
    sigLen: 4299,
    length: 4935,
    fileSize: 8000,
    trailingAllZero: true,
    certType: 5,
    facts: {},
  },
];

const GENUINE = ROWS.map((row) => ({ row, bytes: vector(row.file) }));

describe('parseQuote: genuine quotes (test/vectors/README.md)', () => {
  for (const { row, bytes } of GENUINE) {
    test(`${row.file}: v${row.version} ${row.teeType} ${row.bodyKind}, L=${row.sigLen}, ends at ${row.length}`, () => {
      assert.equal(bytes.length, row.fileSize);
      assert.equal(quoteVersion(bytes), row.version);
      const q = ecdsa(parseQuote(bytes, { allowTrailing: true }));
      assert.ok(Object.isFrozen(q));
      assert.equal(q.version, row.version);
      assert.equal(q.attestationKeyType, 2);
      assert.equal(q.teeType, row.teeType);
      assert.equal(q.bodyKind, row.bodyKind);
      assert.equal(q.body.kind, row.bodyKind);
      assert.equal(q.qeSvn, row.qeSvn);
      assert.equal(q.pceSvn, row.pceSvn);
      assert.deepEqual(q.qeVendorId, INTEL_QE_VENDOR_ID);
      assert.equal(q.userData.length, 20);
      assert.equal(q.signatureDataLength, row.sigLen);
      assert.equal(q.length, row.length);
      assert.equal(q.trailingBytes, row.fileSize - row.length);
      assert.equal(q.trailingAllZero, row.trailingAllZero);
      // Signed bytes: [0, s), s = 432 (v3), 632 (v4 TD10), 702 (v5 TD15); DCAP-VERIFICATION.md §1.1.
      const s = row.version === 3 ? 432 : row.version === 4 ? 632 : 702;
      assert.deepEqual(q.signedBytes, bytes.subarray(0, s));
      assert.equal(u32(bytes, s), row.sigLen);
      assert.deepEqual(q.signature, bytes.subarray(s + 4, s + 68));
      assert.deepEqual(q.attestationKey, bytes.subarray(s + 68, s + 132));
      assert.equal(q.qeReport.length, 384);
      assert.deepEqual(q.qeReportBody, parseReportBody(q.qeReport));
      assert.equal(q.qeReportSignature.length, 64);
      // "All of them carry 32 bytes of QE auth data" (DCAP-VERIFICATION.md §1.1).
      assert.equal(q.qeAuthData.length, 32);
      assert.equal(q.certificationData.type, row.certType);
      if (row.version === 5 && q.version === 5) {
        assert.equal(q.bodyType, 3);
        assert.equal(q.bodySize, 648);
      }
      if (q.body.kind === 'sgx') {
        if (row.facts.mrEnclave) assert.ok(toHex(q.body.mrEnclave).startsWith(row.facts.mrEnclave));
        if (row.facts.mrSigner) assert.ok(toHex(q.body.mrSigner).startsWith(row.facts.mrSigner));
        assert.equal(q.body.debug, false);
      } else {
        if (row.facts.teeTcbSvn) assert.equal(toHex(q.body.teeTcbSvn).slice(0, 6), row.facts.teeTcbSvn);
        if (row.facts.tdAttributes) assert.equal(toHex(q.body.tdAttributes), row.facts.tdAttributes);
        assert.equal(q.body.debug, false);
      }
    });
  }

  test('strict parse: quotes without trailing bytes parse; the others fail at their true length', () => {
    for (const { row, bytes } of GENUINE) {
      if (row.fileSize === row.length) {
        assert.equal(parseQuote(bytes).length, row.length, row.file);
        continue;
      }
      assert.throws(
        () => parseQuote(bytes),
        (e: unknown) =>
          e instanceof ParseError && e.code === 'ERR_WIRE_TRAILING_BYTES' && e.offset === row.length,
        row.file,
      );
    }
  });

  test('oasis trailing.bin: 5006 bytes, strict fails, allowTrailing gives the true length 4936 and 70 zero bytes', () => {
    const bytes = vector('oasis-core/pcs/quote_v4_tdx_ecdsa_p256_trailing.bin');
    assert.throws(() => parseQuote(bytes), code('ERR_WIRE_TRAILING_BYTES'));
    const q = parseQuote(bytes, { allowTrailing: true });
    assert.deepEqual([q.length, q.trailingBytes, q.trailingAllZero], [4936, 70, true]);
  });

  test('go-tdx-guest SPR_E4: first 4935 bytes are oasis out_of_date; 39 non-zero trailing bytes', () => {
    const spr = vector('go-tdx-guest/tdx_prod_quote_SPR_E4.dat');
    const ood = vector('oasis-core/pcs/quote_v4_tdx_ecdsa_p256_out_of_date.bin');
    assert.deepEqual(spr.subarray(0, 4935), ood);
    const q = parseQuote(spr, { allowTrailing: true });
    assert.equal(q.trailingBytes, 39);
    assert.equal(q.trailingAllZero, false);
    assert.equal(
      new TextDecoder().decode(spr.subarray(q.length)),
      '\nextra bytes(only for testing purpose)\n',
    );
  });

  test('oasis eppid: certification data type 3 with PCESVN 12, PCEID 0 and no PCK chain', () => {
    const q = ecdsa(parseQuote(vector('oasis-core/pcs/quote_v3_ecdsa_p256_eppid.bin')));
    assert.equal(q.pckCertChain, null);
    const cd = q.certificationData;
    assert.equal(cd.type, 3);
    if (cd.type !== 3) return;
    assert.equal(cd.data.length, 404);
    assert.equal(cd.encryptedPpid.length, 384);
    assert.equal(cd.cpuSvn.length, 16);
    assert.equal(cd.pceSvn, 12);
    assert.equal(cd.pceId, 0);
  });

  test('type 5: three PEM certificates (leaf, CA, root), raw bytes kept', () => {
    for (const { row, bytes } of GENUINE) {
      if (row.certType !== 5) continue;
      const q = ecdsa(parseQuote(bytes, { allowTrailing: true }));
      const cd = q.certificationData;
      assert.equal(cd.type, 5);
      if (cd.type !== 5) continue;
      assert.equal(cd.data.length, row.sigLen - 128 - (row.version === 3 ? 0 : 6) - 384 - 64 - 2 - 32 - 6);
      assert.equal(cd.pemCertificates.length, 3, row.file);
      assert.deepEqual(q.pckCertChain, cd.pemCertificates);
      for (const pem of cd.pemCertificates) {
        assert.ok(pem.startsWith('-----BEGIN CERTIFICATE-----'));
        assert.ok(pem.endsWith('-----END CERTIFICATE-----'));
      }
      const root = new X509Certificate(cd.pemCertificates[2]!);
      assert.match(root.subject, /CN=Intel SGX Root CA/);
    }
  });

  test('the parsed parts verify as DCAP says: QE report data, QE report signature, quote signature', () => {
    for (const { row, bytes } of GENUINE) {
      const q = ecdsa(parseQuote(bytes, { allowTrailing: true }));
      // QE report data = SHA-256(attestation key ‖ QE auth data) ‖ 0^32.
      const h = createHash('sha256').update(q.attestationKey).update(q.qeAuthData).digest();
      assert.deepEqual(q.qeReportBody.reportData.subarray(0, 32), new Uint8Array(h), row.file);
      assert.ok(isAllZero(q.qeReportBody.reportData.subarray(32)));
      // The quote signature (raw r‖s) over signedBytes with the raw X‖Y attestation key.
      const key = createPublicKey({
        key: {
          kty: 'EC',
          crv: 'P-256',
          x: Buffer.from(q.attestationKey.subarray(0, 32)).toString('base64url'),
          y: Buffer.from(q.attestationKey.subarray(32)).toString('base64url'),
        },
        format: 'jwk',
      });
      assert.ok(verify('sha256', q.signedBytes, { key, dsaEncoding: 'ieee-p1363' }, q.signature), row.file);
      // The QE report signature with the PCK leaf key.
      if (q.pckCertChain !== null) {
        const leaf = new X509Certificate(q.pckCertChain[0]!);
        const ok = verify(
          'sha256',
          q.qeReport,
          { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' },
          q.qeReportSignature,
        );
        assert.ok(ok, row.file);
      }
    }
  });

  test('encodeQuoteV3/V4/V5 rebuild every genuine quote byte for byte', () => {
    for (const { row, bytes } of GENUINE) {
      const q = ecdsa(parseQuote(bytes, { allowTrailing: true }));
      const parts = { header: q, body: q.body, signatureData: q };
      const out =
        q.version === 3
          ? encodeQuoteV3(parts)
          : q.version === 4
            ? encodeQuoteV4(parts)
            : encodeQuoteV5(parts);
      assert.deepEqual(out, bytes.subarray(0, row.length), row.file);
      assert.deepEqual(encodeQuoteSignedBytes(q.version, q, q.body), q.signedBytes);
    }
  });
});

describe('parseQuote: EPID v2 (PROTOCOL-SEED.md §5.3)', () => {
  const avr = JSON.parse(
    readFileSync(
      new URL('../vectors/oasis-core/ias/avr_v4_body_sw_hardening_needed.json', import.meta.url),
      'utf8',
    ),
  ) as { isvEnclaveQuoteBody: string };
  const quoteBody = new Uint8Array(Buffer.from(avr.isvEnclaveQuoteBody, 'base64'));

  test('parseEpidQuoteBody on a genuine isvEnclaveQuoteBody (432 bytes, linkable, debug enclave)', () => {
    const b = parseEpidQuoteBody(quoteBody);
    assert.equal(b.version, 2);
    assert.equal(b.signType, 1);
    assert.equal(toHex(b.epidGroupId), 'c50b0000');
    assert.equal(b.qeSvn, 11);
    assert.equal(b.pceSvn, 10);
    assert.equal(b.body.attributesFlags, 0x07n);
    assert.equal(b.body.debug, true);
    assert.throws(() => parseEpidQuoteBody(quoteBody.subarray(0, 431)), code('ERR_WIRE_TRUNCATED'));
  });

  test('a full v2 quote: size comes from signature_len; round trip through encodeQuoteV2', () => {
    const signature = new Uint8Array(680).fill(0xab);
    const bytes = new Uint8Array([...quoteBody, 0xa8, 0x02, 0, 0, ...signature]);
    assert.equal(bytes.length, 1116);
    const q = parseQuote(bytes);
    assert.equal(q.version, 2);
    if (q.version !== 2) return;
    assert.equal(q.signatureLength, 680);
    assert.deepEqual(q.signature, signature);
    assert.deepEqual(q.signedBytes, quoteBody);
    assert.equal(q.length, 1116);
    assert.deepEqual(encodeQuoteV2(q), bytes);
    // A shorter signature changes the size, it is never a constant.
    const short = encodeQuoteV2({ ...q, signature: new Uint8Array(10) });
    assert.equal(parseQuote(short).length, 446);
  });

  test('v2 errors: unknown sign type, truncated signature, signature over the cap, trailing bytes', () => {
    const base = encodeQuoteV2({ body: {}, signType: 1, signature: new Uint8Array(16) });
    const bad = base.slice();
    setU16(bad, 2, 2);
    assert.throws(() => parseQuote(bad), code('ERR_WIRE_INVALID_VALUE'));
    assert.throws(() => parseQuote(base.subarray(0, base.length - 1)), code('ERR_WIRE_TRUNCATED'));
    const big = base.slice();
    setU32(big, 432, MAX_EPID_SIGNATURE_SIZE + 1);
    assert.throws(() => parseQuote(big), code('ERR_WIRE_LENGTH_LIMIT'));
    assert.throws(() => parseQuote(new Uint8Array([...base, 0])), code('ERR_WIRE_TRAILING_BYTES'));
  });
});

describe('parseQuote: truncation table', () => {
  const sgx = vector('phala-dcap-qvl/sgx_quote');
  const tdx4 = vector('oasis-core/pcs/quote_v4_tdx_ecdsa_p256.bin');
  const tdx5 = vector('go-tdx-guest/quote_v5_sample.dat');
  const eppid = vector('oasis-core/pcs/quote_v3_ecdsa_p256_eppid.bin');

  test('every strict prefix of a v3, v4, v5 and type-3 quote is ERR_WIRE_TRUNCATED', () => {
    for (const bytes of [sgx, tdx4, tdx5, eppid]) {
      for (let n = 0; n < bytes.length; n++) {
        assert.throws(
          () => parseQuote(bytes.subarray(0, n), { allowTrailing: true }),
          code('ERR_WIRE_TRUNCATED'),
          `prefix ${n}`,
        );
      }
    }
  });

  // One row per class of prefix length: which field the parser was reading when the input ended.
  const TABLE: readonly { name: string; bytes: Uint8Array; n: number; field: string }[] = [
    { name: 'empty', bytes: sgx, n: 0, field: 'quote.header' },
    { name: 'inside the version', bytes: sgx, n: 1, field: 'quote.header' },
    { name: 'inside the header', bytes: tdx4, n: 47, field: 'quote.header' },
    { name: 'v3 body', bytes: sgx, n: 48, field: 'quote.body' },
    { name: 'v4 body', bytes: tdx4, n: 631, field: 'quote.body' },
    { name: 'v5 body descriptor', bytes: tdx5, n: 50, field: 'quote.bodySize' },
    { name: 'v5 body', bytes: tdx5, n: 54, field: 'quote.body' },
    { name: 'signature data length', bytes: sgx, n: 433, field: 'quote.signatureDataLength' },
    { name: 'signature data', bytes: sgx, n: 436, field: 'quote.signatureData' },
    { name: 'signature data, one byte short', bytes: sgx, n: 4599, field: 'quote.signatureData' },
  ];
  for (const row of TABLE) {
    test(`truncated in ${row.name} (${row.n} bytes): ${row.field}`, () => {
      assert.throws(
        () => parseQuote(row.bytes.subarray(0, row.n)),
        (e: unknown) => e instanceof ParseError && e.code === 'ERR_WIRE_TRUNCATED' && e.field === row.field,
      );
    });
  }
});

describe('parseQuote: byte-flip table', () => {
  const sgx = vector('phala-dcap-qvl/sgx_quote');
  const tdx4 = vector('oasis-core/pcs/quote_v4_tdx_ecdsa_p256.bin');
  const tdx5 = vector('go-tdx-guest/quote_v5_sample.dat');
  const eppid = vector('oasis-core/pcs/quote_v3_ecdsa_p256_eppid.bin');
  // Offsets (DCAP-VERIFICATION.md §1.1): v3 signature data at 432, v4 at 632, v5 at 702.
  const V3_QE_AUTH = 432 + 4 + 128 + 384 + 64; // u16 QE auth data size
  const V3_CERT = V3_QE_AUTH + 2 + 32; // u16 certification data type
  const V4_OUTER = 632 + 4 + 128; // u16 outer type (6), u32 size
  const V4_CERT = V4_OUTER + 6 + 384 + 64 + 2 + 32;

  const TABLE: readonly {
    name: string;
    bytes: Uint8Array;
    mutate: (b: Uint8Array) => void;
    code: string;
  }[] = [
    { name: 'version 0', bytes: sgx, mutate: (b) => setU16(b, 0, 0), code: 'ERR_QUOTE_UNSUPPORTED_VERSION' },
    { name: 'version 1', bytes: sgx, mutate: (b) => setU16(b, 0, 1), code: 'ERR_QUOTE_UNSUPPORTED_VERSION' },
    { name: 'version 6', bytes: tdx4, mutate: (b) => setU16(b, 0, 6), code: 'ERR_QUOTE_UNSUPPORTED_VERSION' },
    {
      name: 'version 0xffff',
      bytes: tdx5,
      mutate: (b) => setU16(b, 0, 0xffff),
      code: 'ERR_QUOTE_UNSUPPORTED_VERSION',
    },
    {
      name: 'v3 read as EPID v2 (sign type 2)',
      bytes: sgx,
      mutate: (b) => setU16(b, 0, 2),
      code: 'ERR_WIRE_INVALID_VALUE',
    },
    {
      name: 'key type 3 (P-384)',
      bytes: sgx,
      mutate: (b) => setU16(b, 2, 3),
      code: 'ERR_QUOTE_UNSUPPORTED_KEY_TYPE',
    },
    {
      name: 'key type 0',
      bytes: tdx4,
      mutate: (b) => setU16(b, 2, 0),
      code: 'ERR_QUOTE_UNSUPPORTED_KEY_TYPE',
    },
    {
      name: 'key type 3 on v5',
      bytes: tdx5,
      mutate: (b) => setU16(b, 2, 3),
      code: 'ERR_QUOTE_UNSUPPORTED_KEY_TYPE',
    },
    {
      name: 'v3 with TEE type TDX',
      bytes: sgx,
      mutate: (b) => setU32(b, 4, 0x81),
      code: 'ERR_QUOTE_UNSUPPORTED_TEE_TYPE',
    },
    {
      name: 'v4 TDX quote read as v3',
      bytes: tdx4,
      mutate: (b) => setU16(b, 0, 3),
      code: 'ERR_QUOTE_UNSUPPORTED_TEE_TYPE',
    },
    {
      name: 'TEE type 0x80',
      bytes: tdx4,
      mutate: (b) => setU32(b, 4, 0x80),
      code: 'ERR_QUOTE_UNSUPPORTED_TEE_TYPE',
    },
    {
      name: 'TEE type 0x81000000',
      bytes: tdx5,
      mutate: (b) => setU32(b, 4, 0x81000000),
      code: 'ERR_QUOTE_UNSUPPORTED_TEE_TYPE',
    },
    {
      name: 'TEE type 1 on v3',
      bytes: sgx,
      mutate: (b) => setU32(b, 4, 1),
      code: 'ERR_QUOTE_UNSUPPORTED_TEE_TYPE',
    },
    {
      name: 'v3 read as v5 (body type from the body)',
      bytes: sgx,
      mutate: (b) => setU16(b, 0, 5),
      code: 'ERR_QUOTE_UNSUPPORTED_BODY_TYPE',
    },
    {
      name: 'v5 body type 0',
      bytes: tdx5,
      mutate: (b) => setU16(b, 48, 0),
      code: 'ERR_QUOTE_UNSUPPORTED_BODY_TYPE',
    },
    {
      name: 'v5 body type 4',
      bytes: tdx5,
      mutate: (b) => setU16(b, 48, 4),
      code: 'ERR_QUOTE_UNSUPPORTED_BODY_TYPE',
    },
    {
      name: 'v5 body type 2 with 648 bytes',
      bytes: tdx5,
      mutate: (b) => setU16(b, 48, 2),
      code: 'ERR_QUOTE_UNSUPPORTED_BODY_TYPE',
    },
    {
      name: 'v5 body type 1 (SGX) on TDX',
      bytes: tdx5,
      mutate: (b) => {
        setU16(b, 48, 1);
        setU32(b, 50, 384);
      },
      code: 'ERR_QUOTE_UNSUPPORTED_BODY_TYPE',
    },
    {
      name: 'v5 body size 584 for type 3',
      bytes: tdx5,
      mutate: (b) => setU32(b, 50, 584),
      code: 'ERR_QUOTE_UNSUPPORTED_BODY_TYPE',
    },
    {
      name: 'v5 body size 0xffffffff',
      bytes: tdx5,
      mutate: (b) => setU32(b, 50, 0xffffffff),
      code: 'ERR_QUOTE_UNSUPPORTED_BODY_TYPE',
    },
    {
      name: 'signature data length + 1',
      bytes: sgx,
      mutate: (b) => setU32(b, 432, 4165),
      code: 'ERR_WIRE_TRUNCATED',
    },
    {
      name: 'signature data length - 1',
      bytes: sgx,
      mutate: (b) => setU32(b, 432, 4163),
      code: 'ERR_WIRE_TRUNCATED',
    },
    {
      name: 'signature data length 0',
      bytes: tdx4,
      mutate: (b) => setU32(b, 632, 0),
      code: 'ERR_WIRE_TRUNCATED',
    },
    {
      name: 'signature data length over 128 KiB',
      bytes: sgx,
      mutate: (b) => setU32(b, 432, 128 * 1024 + 1),
      code: 'ERR_WIRE_LENGTH_LIMIT',
    },
    {
      name: 'signature data length 0xffffffff',
      bytes: tdx5,
      mutate: (b) => setU32(b, 702, 0xffffffff),
      code: 'ERR_WIRE_LENGTH_LIMIT',
    },
    {
      name: 'v4 outer type 5',
      bytes: tdx4,
      mutate: (b) => setU16(b, V4_OUTER, 5),
      code: 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
    },
    {
      name: 'v4 outer type 0',
      bytes: tdx4,
      mutate: (b) => setU16(b, V4_OUTER, 0),
      code: 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
    },
    {
      name: 'v3 quote read as v4 (no type 6)',
      bytes: sgx,
      mutate: (b) => setU16(b, 0, 4),
      code: 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
    },
    {
      name: 'v4 outer size + 1',
      bytes: tdx4,
      mutate: (b) => setU32(b, V4_OUTER + 2, u32(b, V4_OUTER + 2) + 1),
      code: 'ERR_WIRE_TRUNCATED',
    },
    {
      name: 'v4 outer size - 1',
      bytes: tdx4,
      mutate: (b) => setU32(b, V4_OUTER + 2, u32(b, V4_OUTER + 2) - 1),
      code: 'ERR_WIRE_TRUNCATED',
    },
    {
      name: 'v4 signature data length + 1 on a padded quote',
      bytes: vector('oasis-core/pcs/quote_v4_tdx_ecdsa_p256_trailing.bin'),
      mutate: (b) => setU32(b, 632, 4301),
      code: 'ERR_WIRE_TRAILING_BYTES',
    },
    {
      name: 'QE auth data size over 4 KiB',
      bytes: sgx,
      mutate: (b) => setU16(b, V3_QE_AUTH, 4097),
      code: 'ERR_WIRE_LENGTH_LIMIT',
    },
    {
      name: 'QE auth data size 0xffff',
      bytes: tdx4,
      mutate: (b) => setU16(b, V4_OUTER + 6 + 448, 0xffff),
      code: 'ERR_WIRE_LENGTH_LIMIT',
    },
    {
      name: 'certification data type 0',
      bytes: sgx,
      mutate: (b) => setU16(b, V3_CERT, 0),
      code: 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
    },
    {
      name: 'certification data type 8',
      bytes: sgx,
      mutate: (b) => setU16(b, V3_CERT, 8),
      code: 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
    },
    {
      name: 'certification data type 6 in v3',
      bytes: sgx,
      mutate: (b) => setU16(b, V3_CERT, 6),
      code: 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
    },
    {
      name: 'nested type 6 in v4',
      bytes: tdx4,
      mutate: (b) => setU16(b, V4_CERT, 6),
      code: 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
    },
    {
      name: 'certification data size over 64 KiB',
      bytes: sgx,
      mutate: (b) => setU32(b, V3_CERT + 2, 64 * 1024 + 1),
      code: 'ERR_WIRE_LENGTH_LIMIT',
    },
    {
      name: 'certification data size + 1',
      bytes: tdx4,
      mutate: (b) => setU32(b, V4_CERT + 2, u32(b, V4_CERT + 2) + 1),
      code: 'ERR_WIRE_TRUNCATED',
    },
    {
      name: 'type 5 data that is not PEM (first byte)',
      bytes: sgx,
      mutate: (b) => {
        b[V3_CERT + 6] = 0x58;
      },
      code: 'ERR_PEM_INVALID',
    },
    {
      name: 'type 5 data with a non-ASCII byte',
      bytes: tdx4,
      mutate: (b) => {
        b[V4_CERT + 6 + 100] = 0x80;
      },
      code: 'ERR_PEM_INVALID',
    },
    {
      name: 'type 5 data with a non-base64 byte',
      bytes: tdx4,
      mutate: (b) => {
        b[V4_CERT + 6 + 100] = 0x21;
      },
      code: 'ERR_PEM_INVALID',
    },
    {
      name: 'type 5 data with END removed',
      bytes: tdx5,
      mutate: (b) => {
        const end = 702 + 4 + u32(b, 702) - 10;
        b[end] = 0x2e;
      },
      code: 'ERR_PEM_INVALID',
    },
    {
      name: 'type 5 relabelled as type 3 (404 bytes expected)',
      bytes: sgx,
      mutate: (b) => setU16(b, V3_CERT, 3),
      code: 'ERR_WIRE_INVALID_VALUE',
    },
    {
      name: 'type 3 data size 403',
      bytes: eppid,
      mutate: (b) => {
        setU32(b, 432, 1019);
        setU32(b, V3_CERT + 2, 403);
      },
      code: 'ERR_WIRE_INVALID_VALUE',
    },
  ];
  for (const row of TABLE) {
    test(`${row.name}: ${row.code}`, () => {
      const b = row.bytes.slice();
      row.mutate(b);
      assert.throws(
        () => parseQuote(b, { allowTrailing: row.code !== 'ERR_WIRE_TRAILING_BYTES' && b.length > 0 }),
        code(row.code),
      );
    });
  }

  test('bytes outside the parsed structure (body, signatures, keys) do not change the parse outcome', () => {
    // A verifier catches these (DCAP-VERIFICATION.md §9.1); the parser must keep them exactly.
    for (const at of [48 + 64, 432 + 4, 432 + 4 + 64, 432 + 4 + 128, 432 + 4 + 128 + 384]) {
      const b = sgx.slice();
      b[at] = (b[at] ?? 0) ^ 0xff;
      const q = ecdsa(parseQuote(b));
      assert.deepEqual(encodeQuoteV3({ header: q, body: q.body, signatureData: q }), b);
    }
  });

  test('unknown types become certification data types 1, 2, 4, 7 as raw bytes', () => {
    for (const type of [1, 2, 4, 7]) {
      const b = sgx.slice();
      setU16(b, V3_CERT, type);
      const q = ecdsa(parseQuote(b));
      assert.equal(q.certificationData.type, type);
      assert.equal(q.pckCertChain, null);
      assert.equal(q.certificationData.data.length, u32(b, V3_CERT + 2));
    }
  });
});

describe('quote encoders', () => {
  test('encodeQuoteV4 builds an SGX v4 quote (TEE type 0, SGX body) that parses', () => {
    const bytes = encodeQuoteV4({
      header: { teeType: 'SGX', qeSvn: 3, pceSvn: 4 },
      body: { isvSvn: 7, mrEnclave: new Uint8Array(32).fill(9) },
      signatureData: {
        signature: new Uint8Array(64),
        attestationKey: new Uint8Array(64),
        qeReport: encodeReportBody({}),
        qeReportSignature: new Uint8Array(64),
        qeAuthData: new Uint8Array(0),
        certificationData: { type: 4, data: new Uint8Array([1, 2, 3]) },
      },
    });
    const q = ecdsa(parseQuote(bytes));
    assert.equal(q.version, 4);
    assert.equal(q.teeType, 'SGX');
    assert.equal(q.bodyKind, 'sgx');
    assert.equal(q.qeSvn, 3);
    if (q.body.kind === 'sgx') assert.equal(q.body.isvSvn, 7);
    assert.deepEqual(q.certificationData.data, new Uint8Array([1, 2, 3]));
  });

  test('encodeQuoteV5 writes body types 1, 2 and 3', () => {
    const sd = {
      signature: new Uint8Array(64),
      attestationKey: new Uint8Array(64),
      qeReport: new Uint8Array(384),
      qeReportSignature: new Uint8Array(64),
      qeAuthData: new Uint8Array(4),
      certificationData: { type: 7, data: new Uint8Array(8) },
    };
    const cases = [
      { tee: 'SGX', body: {}, type: 1, kind: 'sgx' },
      { tee: 'TDX', body: { kind: 'td10' }, type: 2, kind: 'td10' },
      { tee: 'TDX', body: { kind: 'td15' }, type: 3, kind: 'td15' },
    ] as const;
    for (const c of cases) {
      const q = parseQuote(encodeQuoteV5({ header: { teeType: c.tee }, body: c.body, signatureData: sd }));
      assert.equal(q.version, 5);
      if (q.version !== 5) continue;
      assert.equal(q.bodyType, c.type);
      assert.equal(q.bodyKind, c.kind);
      assert.equal(q.signedBytes.length, 48 + 6 + q.bodySize);
    }
  });

  test('encoders reject wrong sizes with RangeError', () => {
    const sd = {
      signature: new Uint8Array(63),
      attestationKey: new Uint8Array(64),
      qeReport: new Uint8Array(384),
      qeReportSignature: new Uint8Array(64),
      qeAuthData: new Uint8Array(0),
      certificationData: { type: 5, data: new Uint8Array(0) },
    };
    assert.throws(
      () => encodeQuoteV3({ header: { teeType: 'SGX' }, body: {}, signatureData: sd }),
      RangeError,
    );
    assert.throws(
      () =>
        encodeQuoteV3({
          header: { teeType: 'SGX', qeSvn: -1 },
          body: {},
          signatureData: { ...sd, signature: new Uint8Array(64) },
        }),
      RangeError,
    );
  });

  test('quoteVersion peeks without parsing; fewer than 2 bytes is truncated', () => {
    assert.equal(quoteVersion(new Uint8Array([7, 0])), 7);
    assert.throws(() => quoteVersion(new Uint8Array([3])), code('ERR_WIRE_TRUNCATED'));
    assert.throws(() => parseQuote(new Uint8Array(47).fill(3)), code('ERR_WIRE_TRUNCATED'));
  });

  test('misuse: a non-Uint8Array is a TypeError', () => {
    assert.throws(() => parseQuote('0300' as unknown as Uint8Array), TypeError);
  });
});

describe('parseQuote: properties (only AttestErrors escape)', () => {
  const onlyAttestErrors = (b: Uint8Array, allowTrailing: boolean): void => {
    try {
      parseQuote(b, { allowTrailing });
    } catch (e) {
      if (!isAttestError(e)) throw e;
    }
  };
  const HEADERS = [
    [3, 0, 2, 0, 0, 0, 0, 0],
    [4, 0, 2, 0, 0x81, 0, 0, 0],
    [4, 0, 2, 0, 0, 0, 0, 0],
    [5, 0, 2, 0, 0x81, 0, 0, 0],
    [2, 0, 1, 0, 0, 0, 0, 0],
  ].map((h) => new Uint8Array(h));

  test('arbitrary bytes, and arbitrary bytes behind a valid header start', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }),
          fc
            .tuple(fc.constantFrom(...HEADERS), fc.uint8Array({ minLength: 0, maxLength: 3000 }))
            .map(([h, t]) => new Uint8Array([...h, ...t])),
        ),
        fc.boolean(),
        onlyAttestErrors,
      ),
      { numRuns: 400 },
    );
  });

  test('mutated and truncated genuine quotes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...GENUINE.map((g) => g.bytes)),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.boolean(),
        (bytes, flips, cut, allowTrailing) => {
          const b = bytes.slice(0, cut === undefined ? bytes.length : cut % (bytes.length + 1));
          for (const [at, v] of flips) if (b.length > 0) b[at % b.length] = v;
          onlyAttestErrors(b, allowTrailing);
        },
      ),
      { numRuns: 400 },
    );
  });

  test('mutations of the length and type fields of a genuine v4 quote', () => {
    const base = vector('oasis-core/pcs/quote_v4_tdx_ecdsa_p256.bin');
    const FIELDS = [0, 2, 4, 632, 632 + 4 + 128, 632 + 4 + 128 + 2, 632 + 4 + 128 + 6 + 448, 1252, 1254];
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), fc.integer({ min: 0, max: 0xffffffff }), (at, v) => {
        const b = base.slice();
        setU32(b, at, v);
        onlyAttestErrors(b, true);
      }),
      { numRuns: 400 },
    );
  });

  test('parse(encode(parts)) gives the parts back, and encode(parse(x)) === x', () => {
    const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
    const arb = fc.record({
      version: fc.constantFrom(3 as const, 4 as const, 5 as const),
      tdx: fc.boolean(),
      td15: fc.boolean(),
      qeSvn: fc.integer({ min: 0, max: 0xffff }),
      pceSvn: fc.integer({ min: 0, max: 0xffff }),
      userData: bytes(20),
      reportData: bytes(64),
      signature: bytes(64),
      attestationKey: bytes(64),
      qeReport: bytes(384),
      qeReportSignature: bytes(64),
      qeAuthData: fc.uint8Array({ maxLength: 64 }),
      certType: fc.constantFrom(1, 2, 4, 7),
      certData: fc.uint8Array({ maxLength: 256 }),
    });
    fc.assert(
      fc.property(arb, (p) => {
        const tdx = p.version !== 3 && p.tdx;
        const kind = !tdx ? 'sgx' : p.version === 5 && p.td15 ? 'td15' : 'td10';
        const parts = {
          header: {
            teeType: tdx ? ('TDX' as const) : ('SGX' as const),
            qeSvn: p.qeSvn,
            pceSvn: p.pceSvn,
            userData: p.userData,
          },
          body: kind === 'sgx' ? { reportData: p.reportData } : { kind, reportData: p.reportData },
          signatureData: {
            signature: p.signature,
            attestationKey: p.attestationKey,
            qeReport: p.qeReport,
            qeReportSignature: p.qeReportSignature,
            qeAuthData: p.qeAuthData,
            certificationData: { type: p.certType, data: p.certData },
          },
        };
        const enc = p.version === 3 ? encodeQuoteV3 : p.version === 4 ? encodeQuoteV4 : encodeQuoteV5;
        const raw = enc(parts);
        const q = ecdsa(parseQuote(raw));
        assert.equal(q.version, p.version);
        assert.equal(q.bodyKind, kind);
        assert.equal(q.qeSvn, p.qeSvn);
        assert.equal(q.pceSvn, p.pceSvn);
        assert.deepEqual(q.userData, p.userData);
        assert.deepEqual(q.body.reportData, p.reportData);
        assert.deepEqual(q.signature, p.signature);
        assert.deepEqual(q.attestationKey, p.attestationKey);
        assert.deepEqual(q.qeReport, p.qeReport);
        assert.deepEqual(q.qeAuthData, p.qeAuthData);
        assert.equal(q.certificationData.type, p.certType);
        assert.deepEqual(q.certificationData.data, p.certData);
        assert.equal(q.length, raw.length);
        assert.deepEqual(enc({ header: q, body: q.body, signatureData: q }), raw);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parse results never alias the caller buffer (reader.ts guarantee)', () => {
  const sgx = vector('phala-dcap-qvl/sgx_quote');
  const tdx4 = vector('phala-dcap-qvl/tdx_quote');
  const tdx5 = vector('go-tdx-guest/quote_v5_sample.dat');
  const eppid = vector('oasis-core/pcs/quote_v3_ecdsa_p256_eppid.bin');
  const v2 = encodeQuoteV2({
    body: { reportData: new Uint8Array(64).fill(7) },
    basename: new Uint8Array(32).fill(9),
    signature: new Uint8Array(680).fill(3),
  });

  const rows: readonly { name: string; raw: Uint8Array; parse: (b: Uint8Array) => unknown }[] = [
    { name: 'SGX v3 (type 5 chain)', raw: sgx, parse: (b) => parseQuote(b) },
    {
      name: 'TDX v4 (trailing zeros allowed)',
      raw: tdx4,
      parse: (b) => parseQuote(b, { allowTrailing: true }),
    },
    { name: 'TDX v5', raw: tdx5, parse: (b) => parseQuote(b) },
    { name: 'SGX v3 (type 3, encrypted PPID)', raw: eppid, parse: (b) => parseQuote(b) },
    { name: 'EPID v2', raw: v2, parse: (b) => parseQuote(b) },
    { name: 'EPID v2 quote body', raw: v2.subarray(0, 432), parse: (b) => parseEpidQuoteBody(b) },
  ];
  for (const row of rows) {
    test(`${row.name}: overwriting the input after parsing changes no field`, () => {
      assertNoAlias(row.raw, row.parse);
    });
  }

  test('a Buffer input (whose slice() is a view) is copied too, into plain Uint8Arrays', () => {
    assertNoAlias(
      sgx,
      (b) => parseQuote(b),
      (b) => Buffer.from(b),
    );
    assertNoAlias(
      tdx4,
      (b) => parseQuote(b, { allowTrailing: true }),
      (b) => Buffer.from(b),
    );
  });

  test('an input that is a view into a larger buffer is copied, not just re-viewed', () => {
    const big = new Uint8Array(sgx.length + 100);
    big.set(sgx, 50);
    const q = ecdsa(parseQuote(big.subarray(50, 50 + sgx.length)));
    const mrEnclave = q.body.kind === 'sgx' ? q.body.mrEnclave.slice() : new Uint8Array();
    big.fill(0);
    assert.equal(q.body.kind, 'sgx');
    if (q.body.kind === 'sgx') assert.deepEqual(q.body.mrEnclave, mrEnclave);
    assert.deepEqual(q.signedBytes, sgx.subarray(0, 432));
  });
});

describe('parseQuote: error offsets and field paths (pinned)', () => {
  // Expected values were recorded from the parser before the one-copy reader (attestkit issue 6);
  // the reader rewrite must not move a single offset or rename a single field.
  const SRC: Readonly<Record<string, Uint8Array>> = {
    sgx: vector('phala-dcap-qvl/sgx_quote'),
    tdx4: vector('oasis-core/pcs/quote_v4_tdx_ecdsa_p256.bin'),
    tdx5: vector('go-tdx-guest/quote_v5_sample.dat'),
    eppid: vector('oasis-core/pcs/quote_v3_ecdsa_p256_eppid.bin'),
  };
  interface Pinned {
    name: string;
    src: string;
    /** Keep only the first `cut` bytes. */
    cut?: number;
    /** Append this many bytes (the first one is 1). */
    grow?: number;
    /** Writes [offset, width, value] (little-endian) after cutting and growing. */
    set?: [number, 1 | 2 | 4, number][];
    allowTrailing?: boolean;
    code: string;
    offset: number;
    field: string;
    need?: number;
    have?: number;
  }
  const TABLE: readonly Pinned[] = [
    {
      name: 'empty',
      src: 'sgx',
      cut: 0,
      code: 'ERR_WIRE_TRUNCATED',
      offset: 0,
      field: 'quote.header',
      need: 48,
      have: 0,
    },
    {
      name: 'inside the version',
      src: 'sgx',
      cut: 1,
      code: 'ERR_WIRE_TRUNCATED',
      offset: 0,
      field: 'quote.header',
      need: 48,
      have: 1,
    },
    {
      name: 'inside the header',
      src: 'tdx4',
      cut: 47,
      code: 'ERR_WIRE_TRUNCATED',
      offset: 0,
      field: 'quote.header',
      need: 48,
      have: 47,
    },
    {
      name: 'v3 body start',
      src: 'sgx',
      cut: 48,
      code: 'ERR_WIRE_TRUNCATED',
      offset: 48,
      field: 'quote.body',
      need: 384,
      have: 0,
    },
    {
      name: 'v3 inside the body (mrEnclave)',
      src: 'sgx',
      cut: 118,
      code: 'ERR_WIRE_TRUNCATED',
      offset: 48,
      field: 'quote.body',
      need: 384,
      have: 70,
    },
    {
      name: 'v4 inside the TD report',
      src: 'tdx4',
      cut: 248,
      code: 'ERR_WIRE_TRUNCATED',
      offset: 48,
      field: 'quote.body',
      need: 584,
      have: 200,
    },
    {
      name: 'v5 body descriptor',
      src: 'tdx5',
      cut: 50,
      code: 'ERR_WIRE_TRUNCATED',
      offset: 50,
      field: 'quote.bodySize',
      need: 4,
      have: 0,
    },
    {
      name: 'v5 body',
      src: 'tdx5',
      cut: 54,
      code: 'ERR_WIRE_TRUNCATED',
      offset: 54,
      field: 'quote.body',
      need: 648,
      have: 0,
    },
    {
      name: 'v3 signature data length',
      src: 'sgx',
      cut: 433,
      code: 'ERR_WIRE_TRUNCATED',
      offset: 432,
      field: 'quote.signatureDataLength',
      need: 4,
      have: 1,
    },
    {
      name: 'v3 signature data',
      src: 'sgx',
      cut: 436,
      code: 'ERR_WIRE_TRUNCATED',
      offset: 436,
      field: 'quote.signatureData',
      need: 4164,
      have: 0,
    },
    {
      name: 'v3 one byte short',
      src: 'sgx',
      cut: 4599,
      code: 'ERR_WIRE_TRUNCATED',
      offset: 436,
      field: 'quote.signatureData',
      need: 4164,
      have: 4163,
    },
    {
      name: 'v3 trailing bytes',
      src: 'sgx',
      grow: 3,
      code: 'ERR_WIRE_TRAILING_BYTES',
      offset: 4600,
      field: 'quote',
      have: 3,
    },
    {
      name: 'v4 signature data length + 1 over a trailing byte',
      src: 'tdx4',
      grow: 1,
      set: [[632, 4, 4301]],
      allowTrailing: true,
      code: 'ERR_WIRE_TRAILING_BYTES',
      offset: 4936,
      field: 'quote.signatureData',
      have: 1,
    },
    {
      name: 'version 6',
      src: 'tdx4',
      set: [[0, 2, 6]],
      code: 'ERR_QUOTE_UNSUPPORTED_VERSION',
      offset: 0,
      field: 'quote.version',
    },
    {
      name: 'v3 read as EPID v2',
      src: 'sgx',
      set: [[0, 2, 2]],
      code: 'ERR_WIRE_INVALID_VALUE',
      offset: 2,
      field: 'quote.signType',
    },
    {
      name: 'key type 3',
      src: 'sgx',
      set: [[2, 2, 3]],
      code: 'ERR_QUOTE_UNSUPPORTED_KEY_TYPE',
      offset: 2,
      field: 'quote.attestationKeyType',
    },
    {
      name: 'v3 with TEE type TDX',
      src: 'sgx',
      set: [[4, 4, 129]],
      code: 'ERR_QUOTE_UNSUPPORTED_TEE_TYPE',
      offset: 4,
      field: 'quote.teeType',
    },
    {
      name: 'TEE type 5',
      src: 'tdx4',
      set: [[4, 4, 5]],
      code: 'ERR_QUOTE_UNSUPPORTED_TEE_TYPE',
      offset: 4,
      field: 'quote.teeType',
    },
    {
      name: 'v5 body type 9',
      src: 'tdx5',
      set: [[48, 2, 9]],
      code: 'ERR_QUOTE_UNSUPPORTED_BODY_TYPE',
      offset: 48,
      field: 'quote.bodyType',
    },
    {
      name: 'v5 body size 584 for type 3',
      src: 'tdx5',
      set: [[50, 4, 584]],
      code: 'ERR_QUOTE_UNSUPPORTED_BODY_TYPE',
      offset: 50,
      field: 'quote.bodySize',
    },
    {
      name: 'signature data length + 1',
      src: 'sgx',
      set: [[432, 4, 4165]],
      code: 'ERR_WIRE_TRUNCATED',
      offset: 436,
      field: 'quote.signatureData',
      need: 4165,
      have: 4164,
    },
    {
      name: 'signature data length - 1',
      src: 'sgx',
      set: [[432, 4, 4163]],
      code: 'ERR_WIRE_TRUNCATED',
      offset: 1052,
      field: 'quote.signatureData.certificationData',
      need: 3548,
      have: 3547,
    },
    {
      name: 'signature data length over 128 KiB',
      src: 'sgx',
      set: [[432, 4, 131073]],
      code: 'ERR_WIRE_LENGTH_LIMIT',
      offset: 436,
      field: 'quote.signatureData',
      need: 131073,
      have: 4164,
    },
    {
      name: 'v4 outer type 5',
      src: 'tdx4',
      set: [[764, 2, 5]],
      code: 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
      offset: 764,
      field: 'quote.signatureData.certificationData.type',
    },
    {
      name: 'v4 outer size + 1',
      src: 'tdx4',
      set: [[766, 4, 4167]],
      code: 'ERR_WIRE_TRUNCATED',
      offset: 770,
      field: 'quote.signatureData.certificationData',
      need: 4167,
      have: 4166,
    },
    {
      name: 'v4 outer size - 1',
      src: 'tdx4',
      set: [[766, 4, 4165]],
      code: 'ERR_WIRE_TRUNCATED',
      offset: 1258,
      field: 'quote.signatureData.certificationData.certificationData',
      need: 3678,
      have: 3677,
    },
    {
      name: 'QE auth data size over 4 KiB',
      src: 'sgx',
      set: [[1012, 2, 4097]],
      code: 'ERR_WIRE_LENGTH_LIMIT',
      offset: 1014,
      field: 'quote.signatureData.qeAuthData',
      need: 4097,
      have: 3586,
    },
    {
      name: 'v4 QE auth data size + 1',
      src: 'tdx4',
      set: [[1218, 2, 33]],
      code: 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
      offset: 1253,
      field: 'quote.signatureData.certificationData.certificationData.type',
    },
    {
      name: 'certification data type 8',
      src: 'sgx',
      set: [[1046, 2, 8]],
      code: 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
      offset: 1046,
      field: 'quote.signatureData.certificationData.type',
    },
    {
      name: 'certification data type 6 in v3',
      src: 'sgx',
      set: [[1046, 2, 6]],
      code: 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
      offset: 1046,
      field: 'quote.signatureData.certificationData.type',
    },
    {
      name: 'nested type 6 in v4',
      src: 'tdx4',
      set: [[1252, 2, 6]],
      code: 'ERR_QUOTE_UNSUPPORTED_CERT_DATA_TYPE',
      offset: 1252,
      field: 'quote.signatureData.certificationData.certificationData.type',
    },
    {
      name: 'certification data size over 64 KiB',
      src: 'sgx',
      set: [[1048, 4, 65537]],
      code: 'ERR_WIRE_LENGTH_LIMIT',
      offset: 1052,
      field: 'quote.signatureData.certificationData',
      need: 65537,
      have: 3548,
    },
    {
      name: 'v4 certification data size + 1',
      src: 'tdx4',
      set: [[1254, 4, 3679]],
      code: 'ERR_WIRE_TRUNCATED',
      offset: 1258,
      field: 'quote.signatureData.certificationData.certificationData',
      need: 3679,
      have: 3678,
    },
    {
      name: 'type 5 data that is not PEM',
      src: 'sgx',
      set: [[1052, 1, 88]],
      code: 'ERR_PEM_INVALID',
      offset: 1052,
      field: 'quote.signatureData.certificationData',
    },
    {
      name: 'type 5 data with a non-ASCII byte',
      src: 'tdx4',
      set: [[1358, 1, 128]],
      code: 'ERR_PEM_INVALID',
      offset: 1358,
      field: 'quote.signatureData.certificationData.certificationData',
    },
    {
      name: 'type 5 data with a non-base64 byte',
      src: 'tdx4',
      set: [[1358, 1, 33]],
      code: 'ERR_PEM_INVALID',
      offset: 1358,
      field: 'quote.signatureData.certificationData.certificationData',
    },
    {
      name: 'type 5 data with padding inside',
      src: 'sgx',
      set: [[1252, 1, 61]],
      code: 'ERR_PEM_INVALID',
      offset: 1253,
      field: 'quote.signatureData.certificationData',
    },
    {
      name: 'type 5 data with END removed',
      src: 'tdx5',
      set: [[4996, 1, 46]],
      code: 'ERR_PEM_INVALID',
      offset: 4057,
      field: 'quote.signatureData.certificationData.certificationData',
    },
    {
      name: 'type 5 relabelled as type 3',
      src: 'sgx',
      set: [[1046, 2, 3]],
      code: 'ERR_WIRE_INVALID_VALUE',
      offset: 1052,
      field: 'quote.signatureData.certificationData',
    },
    {
      name: 'type 3 data size 403',
      src: 'eppid',
      set: [
        [432, 4, 1019],
        [1048, 4, 403],
      ],
      code: 'ERR_WIRE_INVALID_VALUE',
      offset: 1052,
      field: 'quote.signatureData.certificationData',
    },
  ];
  for (const row of TABLE) {
    test(`${row.name}: ${row.code} at ${row.offset} in ${row.field}`, () => {
      const src = SRC[row.src]!;
      let b = src.slice(0, row.cut ?? src.length);
      if (row.grow !== undefined) {
        const g = new Uint8Array(b.length + row.grow);
        g.set(b);
        g[b.length] = 1;
        b = g;
      }
      for (const [offset, width, value] of row.set ?? []) {
        if (width === 1) b[offset] = value;
        else if (width === 2) setU16(b, offset, value);
        else setU32(b, offset, value);
      }
      assert.throws(
        () => parseQuote(b, { allowTrailing: row.allowTrailing === true }),
        (e: unknown) => {
          assert.ok(e instanceof ParseError, `expected a ParseError, got ${String(e)}`);
          assert.deepEqual(
            { code: e.code, offset: e.offset, field: e.field, need: e.need, have: e.have },
            { code: row.code, offset: row.offset, field: row.field, need: row.need, have: row.have },
          );
          return true;
        },
      );
    });
  }
});

describe('parseQuote: a byte that is not PEM text is the error reported, wherever it is', () => {
  const tdx = vector('phala-dcap-qvl/tdx_quote');
  const latin1 = Buffer.from(tdx).toString('latin1');
  const firstEnd = latin1.indexOf('-----END CERTIFICATE-----') + '-----END CERTIFICATE-----'.length;
  const notPemText = (offset: number) => (e: unknown) => {
    assert.ok(e instanceof ParseError, `expected a ParseError, got ${String(e)}`);
    assert.equal(e.code, 'ERR_PEM_INVALID');
    assert.equal(e.offset, offset);
    assert.match(e.message, /not PEM text/);
    return true;
  };

  test('between two PEM blocks (not only "text outside PEM certificate blocks")', () => {
    const b = tdx.slice();
    assert.equal(b[firstEnd], 0x0a);
    b[firstEnd] = 0x80;
    assert.throws(() => parseQuote(b, { allowTrailing: true }), notPemText(firstEnd));
  });

  test('after a block that is broken earlier (END marker spoiled, then a control byte further on)', () => {
    const b = tdx.slice();
    const last = latin1.lastIndexOf('-----BEGIN CERTIFICATE-----') + 40;
    b[firstEnd - 3] = 0x2e;
    b[last] = 0x01;
    assert.throws(() => parseQuote(b, { allowTrailing: true }), notPemText(last));
  });

  test('a NUL inside a base64 body', () => {
    const b = tdx.slice();
    const at = latin1.indexOf('-----BEGIN CERTIFICATE-----') + 200;
    b[at] = 0x00;
    assert.throws(() => parseQuote(b, { allowTrailing: true }), notPemText(at));
  });
});
