/**
 * Protobuf records ⇄ SGX structs (PROTOCOL-SEED.md §2.4): the §2.5 reference encodings computed with
 * C++ libprotobuf, round trips, and the element-count checks the seed lacked (§11.2 B3, B5, B6, B8).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  appAttOkMessage,
  attestationResultFromMessage,
  attestationResultToMessage,
  decodeProtocolFrame,
  encodeProtocolMessage,
  msg1FromMessage,
  msg1ToMessage,
  msg2BytesFromMessage,
  msg2ToMessage,
  msg3BytesFromMessage,
  msg3ToMessage,
} from '../../src/protocol/convert.ts';
import { fromHex, toHex } from '../../src/wire/hex.ts';
import {
  decodeAttestationMessage,
  decodeMessageMSG1,
  decodeMessageMSG2,
  decodeMessageMSG3,
  encodeAttestationMessage,
  encodeMessageMSG1,
  encodeMessageMSG2,
  encodeMessageMSG3,
  RA_MSG_TYPES,
} from '../../src/wire/messages.ts';
import { encodeAttestationResult, parseMsg1, parseMsg2, parsePlatformInfoBlob } from '../../src/wire/ra.ts';
import { code } from '../helpers/errors.ts';
import { SAMPLE1, sample1Bytes } from '../helpers/intel-sample.ts';

const S = SAMPLE1;
const hex = sample1Bytes;

// PROTOCOL-SEED.md §2.5 (checked against C++ libprotobuf 3.21.12).
const REF_MSG1 =
  '08011231e801cf010f97018a01f401248a01f5015b56f001ac017f78397110b801dc0188010d50f00139850137fe01ad011fc701591a2fc701238101fd014a0248df01d30174da01454862c801b601734326428f011f890117e701a9012af50127b301cc014d220403010000';
const REF_MSG2 =
  '080210a8011a356a8301dc018401d4014c8a01bb015e42af01ee018d01e901f4015771fd017366d701fa01ad01fa01f2011714dd015ab9019e019701222e79a7013872f201b801d601be011891017ff701b501d301e501649b011218af0139296c241938290bc601ac010c62280132105365727669636520580000000000000038014228ea86f2a608d499a9dc0bde84bdf50e8dd3d3bf05f1facfb306d7f5b7d50ff2afd0e80ddaf2fabc094a2886a0e08a06a5fff6f302ab99ebf003cf88d5b80e919593db02c2eececa0df1eec4df09b1ea96dd06521af801fa0164fe017a9e01dc01f401f00159bd017827c20155b9015800';
const REF_MSG3_SHA256 = '421a0bff819d870f3141d1cea6af1f0897b797a631b2cfc6e35f5d0ac859f965';
const REF_ATT =
  '080410910118002000280032120000000000000000000000000000000000003a0200004204000000004a0400000000522897bde6d505dda9dc900ffadbeabf0de6e6f58f07d7e8a7ef08eedf8af205bb95b2a20d84b98fd4065a2888e0b5900fc296aef10ec2e096ac0ebfb3969602f8efdcf70eb6d9d4e608b7c4ca8e05ed8be5af066216f201258a01f901092ddb01dc014a73bd01154902100d6802720c0000000000000000000000007a19c301c80130dd0168fe016cd201bd01245414a101980170b1018201023409';

/** The attestation result the seed's SP sends for sample set 1 (§2.5 last row, §5.7). */
function seedAttestationResult(): Uint8Array {
  const gcm = S.gcmSeed;
  return encodeAttestationResult({
    platformInfoBlob: parsePlatformInfoBlob(hex('attestationResult').subarray(0, 97)),
    mac: hex('resultMac'),
    payloadTag: fromHex(gcm.tag),
    payload: fromHex(gcm.ciphertext),
  });
}

describe('PROTOCOL-SEED.md §2.5 reference encodings', () => {
  test('MSG1 from msg1_sample1', () => {
    const m = msg1ToMessage(parseMsg1(hex('msg1')));
    assert.equal(toHex(encodeMessageMSG1(m)), REF_MSG1);
    assert.deepEqual(msg1FromMessage(decodeMessageMSG1(fromHex(REF_MSG1))), parseMsg1(hex('msg1')));
  });

  test('MSG2 from msg2_sample1 (size 168, no SigRL)', () => {
    const m = msg2ToMessage(parseMsg2(hex('msg2')));
    assert.equal(toHex(encodeMessageMSG2(m)), REF_MSG2);
    assert.deepEqual(m.signatureX[0], 0x84dc836a);
    assert.deepEqual(msg2BytesFromMessage(decodeMessageMSG2(fromHex(REF_MSG2))), hex('msg2'));
  });

  test('MSG3 from msg3_sample1 (size 1452, 1886 bytes)', () => {
    const body = encodeMessageMSG3(msg3ToMessage(hex('msg3')));
    assert.equal(body.length, 1886);
    assert.equal(createHash('sha256').update(body).digest('hex'), REF_MSG3_SHA256);
    assert.ok(toHex(body).startsWith('080310ac0b1a17571908a1013bd00137a801'));
    assert.deepEqual(msg3BytesFromMessage(decodeMessageMSG3(body)), hex('msg3'));
  });

  test('AttestationMessage as the seed SP sends it for sample set 1 (203 bytes)', () => {
    const att = seedAttestationResult();
    const body = encodeAttestationMessage(attestationResultToMessage(att));
    assert.equal(toHex(body), REF_ATT);
    assert.deepEqual(attestationResultFromMessage(decodeAttestationMessage(body)), att);
  });

  test('frames: encodeProtocolMessage / decodeProtocolFrame round trip every type', () => {
    const msgs = [
      { type: RA_MSG_TYPES.RA_VERIFICATION, message: { type: 5 } },
      { type: RA_MSG_TYPES.RA_MSG0, message: { type: 0, epid: 0 } },
      { type: RA_MSG_TYPES.RA_MSG0, message: { type: 0, epid: 0, status: 0 } },
      { type: RA_MSG_TYPES.RA_MSG1, message: msg1ToMessage(parseMsg1(hex('msg1'))) },
      { type: RA_MSG_TYPES.RA_MSG2, message: msg2ToMessage(parseMsg2(hex('msg2'))) },
      { type: RA_MSG_TYPES.RA_MSG3, message: msg3ToMessage(hex('msg3')) },
      { type: RA_MSG_TYPES.RA_ATT_RESULT, message: attestationResultToMessage(seedAttestationResult()) },
    ] as const;
    const bodies = ['0805', '08001000', '080010001800', REF_MSG1, REF_MSG2, undefined, REF_ATT];
    msgs.forEach((m, i) => {
      const frame = encodeProtocolMessage(m);
      assert.equal(frame.type, m.type);
      if (bodies[i] !== undefined) assert.equal(toHex(frame.body), bodies[i]);
      const back = decodeProtocolFrame(frame);
      assert.equal(back.type, m.type);
      assert.deepEqual(encodeProtocolMessage(back).body, frame.body);
    });
    const ok = encodeProtocolMessage(appAttOkMessage());
    assert.equal(toHex(ok.body), '08061000', '§2.5: InitialMessage{type:6,size:0}');
    assert.throws(
      () => decodeProtocolFrame({ type: 7, body: new Uint8Array(0) }),
      code('ERR_PROTOBUF_INVALID'),
    );
    assert.throws(
      () => decodeProtocolFrame({ type: 0, body: fromHex('0800') }),
      code('ERR_PROTOBUF_MISSING_FIELD'),
    );
  });
});

describe('element counts and sizes (PROTOCOL-SEED.md §11.2 B3, B5, B6, B8)', () => {
  const msg2 = msg2ToMessage(parseMsg2(hex('msg2')));
  const msg3 = msg3ToMessage(hex('msg3'));
  const att = attestationResultToMessage(seedAttestationResult());
  const short = (b: Uint8Array) => b.subarray(0, b.length - 1);

  const cases: { name: string; fn: () => unknown }[] = [
    {
      name: 'MSG1 GaX 31 bytes',
      fn: () => msg1FromMessage({ ...msg1ToMessage(parseMsg1(hex('msg1'))), GaX: new Uint8Array(31) }),
    },
    {
      name: 'MSG1 GID 5 bytes',
      fn: () => msg1FromMessage({ ...msg1ToMessage(parseMsg1(hex('msg1'))), GID: new Uint8Array(5) }),
    },
    {
      name: 'MSG2 publicKeyGy short',
      fn: () => msg2BytesFromMessage({ ...msg2, publicKeyGy: short(msg2.publicKeyGy) }),
    },
    {
      name: 'MSG2 7 signature words',
      fn: () => msg2BytesFromMessage({ ...msg2, signatureX: msg2.signatureX.slice(1) }),
    },
    { name: 'MSG2 smac 15 bytes', fn: () => msg2BytesFromMessage({ ...msg2, smac: short(msg2.smac) }) },
    {
      name: 'MSG2 size_sigrl ≠ SigRL length (B8)',
      fn: () => msg2BytesFromMessage({ ...msg2, sizeSigrl: 4 }),
    },
    { name: 'MSG2 size ≠ 168 + n', fn: () => msg2BytesFromMessage({ ...msg2, size: 170 }) },
    { name: 'MSG2 quote_type over 16 bits', fn: () => msg2BytesFromMessage({ ...msg2, quoteType: 0x10000 }) },
    { name: 'MSG3 size not 336 + q (B5)', fn: () => msg3BytesFromMessage({ ...msg3, size: 99_999 }) },
    {
      name: 'MSG3 empty quote',
      fn: () => msg3BytesFromMessage({ ...msg3, quote: new Uint8Array(0), size: 336 }),
    },
    {
      name: 'MSG3 sec_property 255 bytes',
      fn: () => msg3BytesFromMessage({ ...msg3, secProperty: short(msg3.secProperty) }),
    },
    { name: 'ATT size 146', fn: () => attestationResultFromMessage({ ...att, size: 146 }) },
    {
      name: 'ATT result_size ≠ payload (B6)',
      fn: () => attestationResultFromMessage({ ...att, resultSize: 1000 }),
    },
    {
      name: 'ATT reserved absent',
      fn: () => attestationResultFromMessage({ ...att, reserved: new Uint8Array(0) }),
    },
    {
      name: 'ATT payload tag short',
      fn: () => attestationResultFromMessage({ ...att, payloadTag: short(att.payloadTag) }),
    },
    {
      name: 'ATT epid_group_status over 8 bits',
      fn: () => attestationResultFromMessage({ ...att, epidGroupStatus: 256 }),
    },
  ];
  for (const c of cases) {
    test(`${c.name} → ERR_PROTOBUF_INVALID`, () => {
      assert.throws(c.fn, code('ERR_PROTOBUF_INVALID'));
    });
  }
});
