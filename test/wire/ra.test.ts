import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAttestError, ParseError } from '../../src/errors.ts';
import { fromHex, toHex } from '../../src/wire/hex.ts';
import {
  type AttestationResult,
  ec256PublicToSec1,
  ec256SignatureToP1363,
  encodeAttestationResult,
  encodeMsg0,
  encodeMsg1,
  encodeMsg2,
  encodeMsg3,
  encodePlatformInfoBlob,
  MAX_ATTESTATION_PAYLOAD_SIZE,
  MAX_MSG3_QUOTE_SIZE,
  MAX_SIG_RL_SIZE,
  type Msg1,
  type Msg2,
  type Msg3,
  msg2MacData,
  msg2SignatureData,
  msg3MacData,
  p1363ToEc256Signature,
  parseAttestationResult,
  parseMsg0,
  parseMsg1,
  parseMsg2,
  parseMsg3,
  parsePlatformInfoBlob,
  platformInfoBlobSignatureData,
  sec1ToEc256Public,
} from '../../src/wire/ra.ts';
import { type Sample1Key, SAMPLE1 as V } from '../helpers/intel-sample.ts';
import { assertNoAlias } from '../helpers/no-alias.ts';

const h = (k: Sample1Key): Uint8Array => fromHex(V[k]);
const ATT = V.attestationResult + V.gcmIntel.ciphertext;

function parseFailure(code: string, field?: string, offset?: number) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof ParseError, `expected a ParseError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (field !== undefined) assert.equal(e.field, field);
    if (offset !== undefined) assert.equal(e.offset, offset);
    return true;
  };
}

function withU32(hex: string, offset: number, value: number): Uint8Array {
  const b = fromHex(hex);
  new DataView(b.buffer).setUint32(offset, value, true);
  return b;
}

describe('P-256 byte-order conversions (PROTOCOL-SEED.md §5.1)', () => {
  test('g_sp_pub_key LE → SEC1 04 ‖ X ‖ Y big-endian (§6.3) and back', () => {
    const sec1 = ec256PublicToSec1(h('spPublicKeyLE'));
    assert.equal(sec1.length, 65);
    assert.equal(sec1[0], 4);
    assert.match(toHex(sec1.subarray(1, 33)), /^38eb4b1c.*8a1272$/);
    assert.match(toHex(sec1.subarray(33)), /^065e1411.*4081d4$/);
    assert.equal(toHex(sec1ToEc256Public(sec1)), V.spPublicKeyLE);
  });

  test('sample sign_gb_ga → P1363: r = g_b.x big-endian, s as recomputed in §7', () => {
    const m2 = parseMsg2(h('msg2'));
    const p = ec256SignatureToP1363(m2.signGbGa);
    assert.equal(toHex(p.subarray(0, 32)), toHex(ec256PublicToSec1(m2.gB).subarray(1, 33)));
    assert.equal(toHex(p.subarray(32)), V.signGbGaSBE);
    assert.equal(toHex(p1363ToEc256Signature(p)), toHex(m2.signGbGa));
  });

  const bad = [
    {
      name: 'public of 63 bytes',
      run: () => ec256PublicToSec1(new Uint8Array(63)),
      code: 'ERR_WIRE_TRUNCATED',
    },
    {
      name: 'public of 65 bytes',
      run: () => ec256PublicToSec1(new Uint8Array(65)),
      code: 'ERR_WIRE_TRAILING_BYTES',
    },
    {
      name: 'SEC1 of 64 bytes',
      run: () => sec1ToEc256Public(new Uint8Array(64)),
      code: 'ERR_WIRE_TRUNCATED',
    },
    {
      name: 'SEC1 compressed prefix 0x02',
      run: () => sec1ToEc256Public(Uint8Array.of(2, ...new Uint8Array(64))),
      code: 'ERR_WIRE_INVALID_VALUE',
    },
    {
      name: 'SEC1 hybrid prefix 0x06',
      run: () => sec1ToEc256Public(Uint8Array.of(6, ...new Uint8Array(64))),
      code: 'ERR_WIRE_INVALID_VALUE',
    },
    {
      name: 'signature of 32 bytes',
      run: () => ec256SignatureToP1363(new Uint8Array(32)),
      code: 'ERR_WIRE_TRUNCATED',
    },
    {
      name: 'P1363 of 72 bytes',
      run: () => p1363ToEc256Signature(new Uint8Array(72)),
      code: 'ERR_WIRE_TRAILING_BYTES',
    },
  ];
  for (const c of bad) {
    test(`refuses ${c.name} with ${c.code}`, () => {
      assert.throws(c.run, parseFailure(c.code));
    });
  }

  test('property: conversions are involutions', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (b) => {
        assert.equal(toHex(sec1ToEc256Public(ec256PublicToSec1(b))), toHex(b));
        assert.equal(toHex(p1363ToEc256Signature(ec256SignatureToP1363(b))), toHex(b));
        assert.equal(toHex(ec256SignatureToP1363(b).subarray(0, 32)), toHex(b.subarray(0, 32).reverse()));
      }),
      { numRuns: 200 },
    );
  });
});

describe('Intel sample messages parse into the SDK fields (§5.2, §5.6)', () => {
  test('msg0', () => {
    assert.deepEqual(parseMsg0(fromHex('00000000')), { extendedEpidGroupId: 0 });
    assert.equal(parseMsg0(fromHex('01020304')).extendedEpidGroupId, 0x04030201);
    assert.equal(toHex(encodeMsg0({ extendedEpidGroupId: 0x04030201 })), '01020304');
  });

  test('msg1_sample1: g_a and gid 03010000', () => {
    const m1 = parseMsg1(h('msg1'));
    assert.equal(toHex(m1.gA), V.msg1.slice(0, 128));
    assert.equal(toHex(m1.gid), '03010000');
    assert.ok(Object.isFrozen(m1));
    assert.equal(toHex(encodeMsg1(m1)), V.msg1);
  });

  test('msg2_sample1: g_b, spid "Service X", quote_type 1, kdf_id 1, no SigRL', () => {
    const m2 = parseMsg2(h('msg2'));
    assert.equal(toHex(m2.gB), V.gB);
    assert.equal(toHex(m2.spid), V.spid);
    assert.equal(m2.quoteType, 1);
    assert.equal(m2.kdfId, 1);
    assert.equal(toHex(m2.mac), V.msg2Mac);
    assert.equal(m2.sigRl.length, 0);
    assert.ok(Object.isFrozen(m2));
    assert.equal(toHex(encodeMsg2(m2)), V.msg2);
    assert.equal(toHex(msg2MacData(m2)), V.msg2.slice(0, 296));
    assert.equal(toHex(msg2SignatureData(m2.gB, parseMsg1(h('msg1')).gA)), V.gB + V.msg1.slice(0, 128));
  });

  test('msg3_sample1: mac, g_a, zero ps_sec_prop, a 1116-byte quote', () => {
    const m3 = parseMsg3(h('msg3'));
    assert.equal(toHex(m3.mac), V.msg3Mac);
    assert.equal(toHex(m3.gA), V.msg1.slice(0, 128));
    assert.equal(toHex(m3.psSecProp), '00'.repeat(256));
    assert.equal(m3.quote.length, 1116);
    assert.equal(toHex(m3.quote.subarray(0, 4)), '02000100'); // version 2, sign_type 1 (§5.3)
    assert.equal(toHex(encodeMsg3(m3)), V.msg3);
    assert.equal(toHex(msg3MacData(m3)), V.msg3.slice(32));
  });

  test('attestation_msg_sample1 (+ its 8-byte ciphertext): all-zero PIB statuses, BE signature, payload_size 8', () => {
    const att = parseAttestationResult(fromHex(ATT));
    const pib = att.platformInfoBlob;
    assert.equal(pib.epidGroupStatus, 0);
    assert.equal(pib.tcbEvaluationStatus, 0);
    assert.equal(pib.pseEvaluationStatus, 0);
    assert.equal(toHex(pib.latestEquivalentTcbPsvn), '00'.repeat(18));
    assert.equal(toHex(pib.signature.subarray(0, 4)), '979eb95a');
    assert.equal(toHex(att.mac), V.resultMac);
    assert.equal(toHex(att.reserved), '00'.repeat(12));
    assert.equal(toHex(att.payloadTag), V.gcmIntel.tag);
    assert.equal(toHex(att.payload), V.gcmIntel.ciphertext);
    assert.ok(Object.isFrozen(att) && Object.isFrozen(pib));
    assert.equal(toHex(encodeAttestationResult(att)), ATT);
    assert.equal(toHex(encodePlatformInfoBlob(pib)), ATT.slice(0, 194));
    assert.equal(toHex(parsePlatformInfoBlob(fromHex(ATT.slice(0, 194))).signature), toHex(pib.signature));
    assert.equal(toHex(platformInfoBlobSignatureData(pib)), '00'.repeat(33));
  });

  test('status fields are little-endian at their §5.6 offsets', () => {
    const b = fromHex(ATT);
    b.set([0x05, 0x34, 0x12, 0x78, 0x56], 0);
    const pib = parseAttestationResult(b).platformInfoBlob;
    assert.deepEqual(
      [pib.epidGroupStatus, pib.tcbEvaluationStatus, pib.pseEvaluationStatus],
      [0x05, 0x1234, 0x5678],
    );
  });

  test('encodeAttestationResult defaults reserved to zeros', () => {
    const att = parseAttestationResult(fromHex(ATT));
    const { reserved: _r, ...rest } = att;
    assert.equal(toHex(encodeAttestationResult(rest)), ATT);
  });

  test('parse results do not alias the input', () => {
    const input = h('msg2');
    const m2 = parseMsg2(input);
    input.fill(0xaa);
    assert.equal(toHex(m2.gB), V.gB);
  });
});

describe('parse results never alias the caller buffer (reader.ts guarantee)', () => {
  const msg2WithSigRl = encodeMsg2({
    ...parseMsg2(h('msg2')),
    sigRl: Uint8Array.from({ length: 40 }, (_, i) => i),
  });
  const rows: readonly { name: string; raw: Uint8Array; parse: (b: Uint8Array) => unknown }[] = [
    { name: 'msg1', raw: h('msg1'), parse: parseMsg1 },
    { name: 'msg2 (no SigRL)', raw: h('msg2'), parse: parseMsg2 },
    { name: 'msg2 (40-byte SigRL)', raw: msg2WithSigRl, parse: parseMsg2 },
    { name: 'msg3 (with its quote)', raw: h('msg3'), parse: parseMsg3 },
    { name: 'attestation result', raw: fromHex(ATT), parse: parseAttestationResult },
    { name: 'platform info blob', raw: fromHex(ATT).subarray(0, 97), parse: parsePlatformInfoBlob },
  ];
  for (const row of rows) {
    for (const [kind, copy] of [
      ['Uint8Array', (b: Uint8Array) => b.slice()],
      ['Buffer', (b: Uint8Array) => Buffer.from(b)],
    ] as const) {
      test(`${row.name} (${kind} input): overwriting the input after parsing changes no field`, () => {
        assertNoAlias(row.raw, row.parse, copy, row.name);
      });
    }
  }
});

describe('truncation, trailing bytes and caps (ERR_WIRE_*)', () => {
  const truncations = [
    {
      name: 'msg0 of 3 bytes',
      run: () => parseMsg0(new Uint8Array(3)),
      field: 'msg0.extendedEpidGroupId',
      offset: 0,
    },
    { name: 'msg1 empty', run: () => parseMsg1(new Uint8Array(0)), field: 'msg1.gA', offset: 0 },
    {
      name: 'msg1 without gid',
      run: () => parseMsg1(h('msg1').subarray(0, 64)),
      field: 'msg1.gid',
      offset: 64,
    },
    {
      name: 'msg1 of 67 bytes',
      run: () => parseMsg1(h('msg1').subarray(0, 67)),
      field: 'msg1.gid',
      offset: 64,
    },
    { name: 'msg2 in spid', run: () => parseMsg2(h('msg2').subarray(0, 70)), field: 'msg2.spid', offset: 64 },
    {
      name: 'msg2 in quote_type',
      run: () => parseMsg2(h('msg2').subarray(0, 81)),
      field: 'msg2.quoteType',
      offset: 80,
    },
    {
      name: 'msg2 in kdf_id',
      run: () => parseMsg2(h('msg2').subarray(0, 83)),
      field: 'msg2.kdfId',
      offset: 82,
    },
    {
      name: 'msg2 in sign_gb_ga',
      run: () => parseMsg2(h('msg2').subarray(0, 100)),
      field: 'msg2.signGbGa',
      offset: 84,
    },
    { name: 'msg2 in mac', run: () => parseMsg2(h('msg2').subarray(0, 150)), field: 'msg2.mac', offset: 148 },
    {
      name: 'msg2 of 167 bytes',
      run: () => parseMsg2(h('msg2').subarray(0, 167)),
      field: 'msg2.sigRlSize',
      offset: 164,
    },
    {
      name: 'msg2 sig_rl_size 16, no SigRL',
      run: () => parseMsg2(withU32(V.msg2, 164, 16)),
      field: 'msg2.sigRl',
      offset: 168,
    },
    { name: 'msg3 in g_a', run: () => parseMsg3(h('msg3').subarray(0, 20)), field: 'msg3.gA', offset: 16 },
    {
      name: 'msg3 of 335 bytes',
      run: () => parseMsg3(h('msg3').subarray(0, 335)),
      field: 'msg3.psSecProp',
      offset: 80,
    },
    {
      name: 'result in the PIB',
      run: () => parseAttestationResult(fromHex(ATT).subarray(0, 50)),
      field: 'attestationResult.platformInfoBlob',
      offset: 0,
    },
    {
      name: 'result in mac',
      run: () => parseAttestationResult(fromHex(ATT).subarray(0, 100)),
      field: 'attestationResult.mac',
      offset: 97,
    },
    {
      name: 'result in payload_size',
      run: () => parseAttestationResult(fromHex(ATT).subarray(0, 115)),
      field: 'attestationResult.payloadSize',
      offset: 113,
    },
    {
      name: 'result in reserved',
      run: () => parseAttestationResult(fromHex(ATT).subarray(0, 120)),
      field: 'attestationResult.reserved',
      offset: 117,
    },
    {
      name: 'result in payload_tag',
      run: () => parseAttestationResult(fromHex(ATT).subarray(0, 144)),
      field: 'attestationResult.payloadTag',
      offset: 129,
    },
    {
      name: 'the 145-byte sample without its 8-byte payload',
      run: () => parseAttestationResult(h('attestationResult')),
      field: 'attestationResult.payload',
      offset: 145,
    },
    {
      name: 'PIB of 96 bytes',
      run: () => parsePlatformInfoBlob(fromHex(ATT.slice(0, 192))),
      field: 'platformInfoBlob.signature',
      offset: 33,
    },
  ];
  for (const t of truncations) {
    test(`${t.name} → ERR_WIRE_TRUNCATED at ${t.field} (offset ${t.offset})`, () => {
      assert.throws(t.run, parseFailure('ERR_WIRE_TRUNCATED', t.field, t.offset));
    });
  }

  const trailing = [
    { name: 'msg0 + 1 byte', run: () => parseMsg0(new Uint8Array(5)), offset: 4 },
    { name: 'msg1 + 1 byte', run: () => parseMsg1(fromHex(`${V.msg1}00`)), offset: 68 },
    { name: 'msg2 + 1 byte after an empty SigRL', run: () => parseMsg2(fromHex(`${V.msg2}00`)), offset: 168 },
    {
      name: 'msg2 with sig_rl_size 1 and 2 SigRL bytes',
      run: () => parseMsg2(withU32(`${V.msg2}aabb`, 164, 1)),
      offset: 169,
    },
    {
      name: 'result + 1 byte after the payload',
      run: () => parseAttestationResult(fromHex(`${ATT}00`)),
      offset: 153,
    },
    { name: 'PIB + 1 byte', run: () => parsePlatformInfoBlob(fromHex(`${ATT.slice(0, 194)}00`)), offset: 97 },
  ];
  for (const t of trailing) {
    test(`${t.name} → ERR_WIRE_TRAILING_BYTES (offset ${t.offset})`, () => {
      assert.throws(t.run, parseFailure('ERR_WIRE_TRAILING_BYTES', undefined, t.offset));
    });
  }

  test('msg3 has no trailing bytes: everything after ps_sec_prop is the quote', () => {
    assert.equal(parseMsg3(fromHex(`${V.msg3}00`)).quote.length, 1117);
    assert.equal(parseMsg3(h('msg3').subarray(0, 336)).quote.length, 0);
  });

  const caps = [
    {
      name: `msg2 sig_rl_size ${MAX_SIG_RL_SIZE + 1}`,
      run: () => parseMsg2(withU32(V.msg2, 164, MAX_SIG_RL_SIZE + 1)),
      field: 'msg2.sigRl',
    },
    {
      name: 'msg2 sig_rl_size 0xffffffff',
      run: () => parseMsg2(withU32(V.msg2, 164, 0xffffffff)),
      field: 'msg2.sigRl',
    },
    {
      name: `msg3 quote of ${MAX_MSG3_QUOTE_SIZE + 1} bytes`,
      run: () => parseMsg3(new Uint8Array(336 + MAX_MSG3_QUOTE_SIZE + 1)),
      field: 'msg3.quote',
    },
    {
      name: 'result payload_size 0xffffffff',
      run: () => parseAttestationResult(withU32(ATT, 113, 0xffffffff)),
      field: 'attestationResult.payload',
    },
    {
      name: `result payload_size ${MAX_ATTESTATION_PAYLOAD_SIZE + 1}`,
      run: () => parseAttestationResult(withU32(ATT, 113, MAX_ATTESTATION_PAYLOAD_SIZE + 1)),
      field: 'attestationResult.payload',
    },
  ];
  for (const c of caps) {
    test(`${c.name} → ERR_WIRE_LENGTH_LIMIT at ${c.field}`, () => {
      assert.throws(c.run, parseFailure('ERR_WIRE_LENGTH_LIMIT', c.field));
    });
  }

  test('a SigRL up to the cap parses, and its length is sig_rl_size', () => {
    const sigRl = new Uint8Array(1000).fill(7);
    const m2 = parseMsg2(h('msg2'));
    const bytes = encodeMsg2({ ...m2, sigRl });
    assert.equal(bytes.length, 168 + 1000);
    assert.equal(new DataView(bytes.buffer).getUint32(164, true), 1000);
    assert.equal(toHex(parseMsg2(bytes).sigRl), toHex(sigRl));
  });
});

describe('encoders refuse malformed records', () => {
  const m1 = parseMsg1(h('msg1'));
  const m2 = parseMsg2(h('msg2'));
  const m3 = parseMsg3(h('msg3'));
  const att = parseAttestationResult(fromHex(ATT));
  const misuse = [
    { name: 'msg0 id of 2^32', run: () => encodeMsg0({ extendedEpidGroupId: 2 ** 32 }) },
    { name: 'msg0 id -1', run: () => encodeMsg0({ extendedEpidGroupId: -1 }) },
    { name: 'msg1 g_a of 65 bytes', run: () => encodeMsg1({ ...m1, gA: new Uint8Array(65) }) },
    { name: 'msg1 gid of 3 bytes', run: () => encodeMsg1({ ...m1, gid: new Uint8Array(3) }) },
    { name: 'msg2 quote_type 0x10000', run: () => encodeMsg2({ ...m2, quoteType: 0x10000 }) },
    { name: 'msg2 kdf_id 1.5', run: () => encodeMsg2({ ...m2, kdfId: 1.5 }) },
    { name: 'msg2 spid of 15 bytes', run: () => encodeMsg2({ ...m2, spid: new Uint8Array(15) }) },
    { name: 'msg2 mac of 32 bytes', run: () => encodeMsg2({ ...m2, mac: new Uint8Array(32) }) },
    {
      name: 'msg3 ps_sec_prop of 255 bytes',
      run: () => encodeMsg3({ ...m3, psSecProp: new Uint8Array(255) }),
    },
    {
      name: 'result reserved of 11 bytes',
      run: () => encodeAttestationResult({ ...att, reserved: new Uint8Array(11) }),
    },
    {
      name: 'PIB epid_group_status 256',
      run: () => encodePlatformInfoBlob({ ...att.platformInfoBlob, epidGroupStatus: 256 }),
    },
    {
      name: 'PIB signature of 65 bytes',
      run: () => encodePlatformInfoBlob({ ...att.platformInfoBlob, signature: new Uint8Array(65) }),
    },
  ];
  for (const c of misuse) {
    test(`${c.name} → RangeError`, () => {
      assert.throws(c.run, RangeError);
    });
  }
  test('a field that is not a Uint8Array → TypeError', () => {
    assert.throws(() => encodeMsg1({ ...m1, gA: [1, 2, 3] as unknown as Uint8Array }), TypeError);
  });
  test('oversized variable fields → ERR_WIRE_LENGTH_LIMIT', () => {
    assert.throws(
      () => encodeMsg2({ ...m2, sigRl: new Uint8Array(MAX_SIG_RL_SIZE + 1) }),
      parseFailure('ERR_WIRE_LENGTH_LIMIT'),
    );
    assert.throws(
      () => encodeMsg3({ ...m3, quote: new Uint8Array(MAX_MSG3_QUOTE_SIZE + 1) }),
      parseFailure('ERR_WIRE_LENGTH_LIMIT'),
    );
  });
});

describe('properties: roundtrips and the fuzz invariant', () => {
  const NO_NULL_PROTO = { noNullPrototype: true } as const;
  const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
  const msg1Arb: fc.Arbitrary<Msg1> = fc.record({ gA: bytes(64), gid: bytes(4) }, NO_NULL_PROTO);
  const msg2Arb: fc.Arbitrary<Msg2> = fc.record(
    {
      gB: bytes(64),
      spid: bytes(16),
      quoteType: fc.integer({ min: 0, max: 0xffff }),
      kdfId: fc.integer({ min: 0, max: 0xffff }),
      signGbGa: bytes(64),
      mac: bytes(16),
      sigRl: fc.uint8Array({ maxLength: 300 }),
    },
    NO_NULL_PROTO,
  );
  const msg3Arb: fc.Arbitrary<Msg3> = fc.record(
    {
      mac: bytes(16),
      gA: bytes(64),
      psSecProp: bytes(256),
      quote: fc.uint8Array({ maxLength: 1200 }),
    },
    NO_NULL_PROTO,
  );
  const attArb: fc.Arbitrary<AttestationResult> = fc.record(
    {
      platformInfoBlob: fc.record(
        {
          epidGroupStatus: fc.integer({ min: 0, max: 0xff }),
          tcbEvaluationStatus: fc.integer({ min: 0, max: 0xffff }),
          pseEvaluationStatus: fc.integer({ min: 0, max: 0xffff }),
          latestEquivalentTcbPsvn: bytes(18),
          latestPseIsvsvn: bytes(2),
          latestPsdaSvn: bytes(4),
          performanceRekeyGid: bytes(4),
          signature: bytes(64),
        },
        NO_NULL_PROTO,
      ),
      mac: bytes(16),
      reserved: bytes(12),
      payloadTag: bytes(16),
      payload: fc.uint8Array({ maxLength: 64 }),
    },
    NO_NULL_PROTO,
  );

  const cases = [
    {
      name: 'msg0',
      arb: fc.record({ extendedEpidGroupId: fc.nat({ max: 0xffffffff }) }, NO_NULL_PROTO),
      enc: encodeMsg0,
      dec: parseMsg0,
    },
    { name: 'msg1', arb: msg1Arb, enc: encodeMsg1, dec: parseMsg1 },
    { name: 'msg2', arb: msg2Arb, enc: encodeMsg2, dec: parseMsg2 },
    { name: 'msg3', arb: msg3Arb, enc: encodeMsg3, dec: parseMsg3 },
    { name: 'attestation result', arb: attArb, enc: encodeAttestationResult, dec: parseAttestationResult },
  ] as const;
  for (const c of cases) {
    test(`${c.name}: parse(encode(r)) equals r and encode(parse(x)) === x`, () => {
      const enc = c.enc as (r: unknown) => Uint8Array;
      const dec = c.dec as (b: Uint8Array) => unknown;
      fc.assert(
        fc.property(c.arb as fc.Arbitrary<unknown>, (rec) => {
          const x = enc(rec);
          const parsed = dec(x);
          assert.deepEqual(parsed, rec);
          assert.equal(toHex(enc(parsed)), toHex(x));
        }),
        { numRuns: 200 },
      );
    });
  }

  const parsers = [
    ['parseMsg0', parseMsg0],
    ['parseMsg1', parseMsg1],
    ['parseMsg2', parseMsg2],
    ['parseMsg3', parseMsg3],
    ['parseAttestationResult', parseAttestationResult],
    ['parsePlatformInfoBlob', parsePlatformInfoBlob],
    ['ec256PublicToSec1', ec256PublicToSec1],
    ['sec1ToEc256Public', sec1ToEc256Public],
    ['ec256SignatureToP1363', ec256SignatureToP1363],
    ['p1363ToEc256Signature', p1363ToEc256Signature],
  ] as const;
  for (const [name, parse] of parsers) {
    test(`${name}: arbitrary bytes parse or throw only AttestErrors`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), (input) => {
          try {
            parse(input);
          } catch (e) {
            assert.ok(isAttestError(e), `non-AttestError escaped: ${String(e)}`);
          }
        }),
        { numRuns: 300 },
      );
    });
  }

  test('mutated sample messages parse or throw only AttestErrors', () => {
    const samples = [
      [h('msg1'), parseMsg1],
      [h('msg2'), parseMsg2],
      [h('msg3'), parseMsg3],
      [fromHex(ATT), parseAttestationResult],
    ] as const;
    fc.assert(
      fc.property(
        fc.nat({ max: 3 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: 40 }),
        (which, at, value, cut) => {
          const [bytes, parse] = samples[which]!;
          const b = bytes.slice(0, Math.max(0, bytes.length - cut));
          if (b.length > 0) b[at % b.length] = value;
          try {
            (parse as (x: Uint8Array) => unknown)(b);
          } catch (e) {
            assert.ok(isAttestError(e), `non-AttestError escaped: ${String(e)}`);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
