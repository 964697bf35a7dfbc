/**
 * Messages.proto encoders and the strict decoder: the reference encodings of PROTOCOL-SEED.md §2.5,
 * the strictness rules of §2.2 (missing required, byte range, uint32 overflow, truncation, wire types,
 * unpacked elements), and fast-check properties (roundtrips; arbitrary bytes raise only AttestErrors).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { create, type DescMessage, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { isAttestError } from '../../src/errors.ts';
import {
  AttestationMessageSchema,
  InitialMessageSchema,
  MessageMSG1Schema,
  MessageMSG2Schema,
  MessageMSG3Schema,
  MessageMsg0Schema,
  SecretMessageSchema,
} from '../../src/wire/gen/Messages_pb.ts';
import { fromHex, toHex } from '../../src/wire/hex.ts';
import {
  type AttestationMessageFields,
  decodeAttestationMessage,
  decodeBody,
  decodeInitialMessage,
  decodeMessageMSG1,
  decodeMessageMSG2,
  decodeMessageMSG3,
  decodeMessageMsg0,
  decodeSecretMessage,
  encodeAttestationMessage,
  encodeInitialMessage,
  encodeMessageMSG1,
  encodeMessageMSG2,
  encodeMessageMSG3,
  encodeMessageMsg0,
  encodeSecretMessage,
  isRaMsgType,
  type MessageMSG2Fields,
  RA_MSG_STATUS,
  RA_MSG_TYPES,
  RA_QUOTE_TYPES,
  signatureBytesToWords,
  signatureWordsToBytes,
} from '../../src/wire/messages.ts';

const hasCode = (code: string) => (e: unknown) => isAttestError(e) && e.code === code;

// ---- inputs: Intel's sample_messages.h @ sgx_1.8 (PROTOCOL-SEED.md §7, Appendix A) ----

const MSG1_GX = 'e8cf0f978af4248af55b56f0ac7f78397110b8dc880d50f0398537fead1fc759';
const MSG1_GY = 'c72381fd4a0248dfd374da454862c8b6734326428f1f8917e7a92af527b3cc4d';
const MSG1_GID = '03010000';

/** msg2_sample1 without its 8-byte ra_samp_response_header_t: the 168-byte sgx_ra_msg2_t. */
const MSG2_SAMPLE1 = fromHex(
  '6a83dc84d44c8abb5e42afee8de9f45771fd7366d7faadfaf21714dd5ab99e9779a73872f2b8d6be18917ff7b5d3e5649b1218af39296c241938290bc6ac0c62' +
    '53657276696365205800000000000000010001006a83dc84d44c8abb5e42afee8de9f45771fd7366d7faadfaf21714dd5ab99e9706105861a5bf7d2eabcc1a3e' +
    '4f4415e791ca642b42b753d97137f19b31b5a56bf8fa64fe7a9edcf4f059bd7827c255b900000000',
);

/** msg3_sample1, 1452 bytes. */
const MSG3_SAMPLE1 = fromHex(
  [
    '571908a13bd037a84a32f131c114ffdfe8cf0f978af4248af55b56f0ac7f78397110b8dc880d50f0398537fead1fc759c72381fd4a0248dfd374da454862c8b6',
    '734326428f1f8917e7a92af527b3cc4d000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
    '00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
    '00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
    '00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
    '00000000000000000000000000000000020001000301000001000100000000005365727669636520580000000000000000000000000000000000000000000000',
    '0202ffffff0100000000000000000000000000000000000000000000000000000000000000000000000000000000000007000000000000000700000000000000',
    'e2555dc6e66953c08d525bc02a2c5c2f0c8cfe5b01ae89ff022f97ea9b45b62e0000000000000000000000000000000000000000000000000000000000000000',
    '60277ad2fdfc57e980e876e7f878ac1909880ea5380795a7e8ea98b157841f850000000000000000000000000000000000000000000000000000000000000000',
    '00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
    '00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
    '2a0e094ce2d944733642fae0445b7b1fc28516caf1c5cdd20fe4df0f31ca36280000000000000000000000000000000000000000000000000000000000000000',
    'a802000068e31d02d1062a16ab1cfd435c1f340515c484ddee7379e72ec895776bcaffb9f4f85a429d327362ab4908a4c35c5a663876cd585b85bff05212d2c8',
    '0df86d91b8cf3f1de01d63b258a7bc0897bbcc1931db47f38e547d366e06d320ca5e8a05305056e991093513690d247155cae8ef4d1ce61f51eb123297a2bb1e',
    'f226c5e93fda79c38928096c599e2d605f353376fef5ba73c5b6449db93a90085eba333de5ffc05bbb7bbc39526f548bb544f775c528a7510d692b3afdc07c6f',
    '0fcf7632ea38d28dbe9cef3b56dc8e29408704e615a1129f2112e8d8052622231257d1b60359faa6fe24e184fb63f33df1e2702c94f1a4dc7031da9eb9f7c6ba',
    'd34e5c63f178cc38c21ad60234231a4b014ef4e60e6bfa278de3675dec79136646bbd08ec8216f375c5e5ded8e2d8d946801000084d535933ab1198eb6b05f4f',
    '668ab3e012bb07e0a36b54d5f6c802dd33783c4fdca33e5c99b82f3fdff0f063246fc217eb45d579aab5464b776d3dbfe8caaf4db55dee9ef5738d01ff841ec9',
    '782ede0397361c470c4605fc8bf5d513a308d42983fb4b3ef13de854282f3d9c8b91ccf04540030baa41382fadc31d61152009eafddbf9178419aef34b4d8ea2',
    '3e9cb3704d380105b70cb2f684bebcd5d18a22fc82b43b968fc049aaf05225da39c24cbce247e30c59ad404217304d1c34d3dba7c59cef830db89aa9291b1132',
    '74531734d6a214068bae8cb4cb20ecb32f0ef38fc384e3b84651eaa61c27311e690bc747ad7dde3f132b5e2a243785a48d4539eb9547b8575d88eb56b0a8580d',
    '9e1b803a74863a58fca60ac5665fc7a9d50c37d123fffd1d381c98d1a9243b23a21aee08314fd5aa1d67e7775c46cc0b18f6dd86f4ccb4d5cde6aeb3f0241571',
    'b365fffae51a6dc36f4373e0e8a96f68f804f2730136eb83a5f26e4e36a563ab7da1d22417b73b964bbe4ccb',
  ].join(''),
);

// ---- expected bodies (§2.5) ----

const MSG1_BODY =
  '08011231e801cf010f97018a01f401248a01f5015b56f001ac017f78397110b801dc0188010d50f00139850137fe01ad011fc701591a2fc701238101fd014a0248df01d30174da01454862c801b601734326428f011f890117e701a9012af50127b301cc014d220403010000';
const MSG2_BODY =
  '080210a8011a356a8301dc018401d4014c8a01bb015e42af01ee018d01e901f4015771fd017366d701fa01ad01fa01f2011714dd015ab9019e019701222e79a7013872f201b801d601be011891017ff701b501d301e501649b011218af0139296c241938290bc601ac010c62280132105365727669636520580000000000000038014228ea86f2a608d499a9dc0bde84bdf50e8dd3d3bf05f1facfb306d7f5b7d50ff2afd0e80ddaf2fabc094a2886a0e08a06a5fff6f302ab99ebf003cf88d5b80e919593db02c2eececa0df1eec4df09b1ea96dd06521af801fa0164fe017a9e01dc01f401f00159bd017827c20155b9015800';
const MSG3_BODY_SHA256 = '421a0bff819d870f3141d1cea6af1f0897b797a631b2cfc6e35f5d0ac859f965';
const ATT_BODY =
  '080410910118002000280032120000000000000000000000000000000000003a0200004204000000004a0400000000522897bde6d505dda9dc900ffadbeabf0de6e6f58f07d7e8a7ef08eedf8af205bb95b2a20d84b98fd4065a2888e0b5900fc296aef10ec2e096ac0ebfb3969602f8efdcf70eb6d9d4e608b7c4ca8e05ed8be5af066216f201258a01f901092ddb01dc014a73bd01154902100d6802720c0000000000000000000000007a19c301c80130dd0168fe016cd201bd01245414a101980170b1018201023409';

function msg2Fields(): MessageMSG2Fields {
  const b = MSG2_SAMPLE1;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    type: RA_MSG_TYPES.RA_MSG2,
    size: 168,
    publicKeyGx: b.slice(0, 32),
    publicKeyGy: b.slice(32, 64),
    quoteType: view.getUint16(80, true),
    spid: b.slice(64, 80),
    cmacKdfId: view.getUint16(82, true),
    signatureX: signatureBytesToWords(b.slice(84, 116)),
    signatureY: signatureBytesToWords(b.slice(116, 148)),
    smac: b.slice(148, 164),
    sizeSigrl: view.getUint32(164, true),
    sigrl: new Uint8Array(0),
  };
}

/** The PIB signature of attestation_msg_sample1 (offset 33 of the PIB), the result MAC and the SVK payload. */
function attFields(): AttestationMessageFields {
  return {
    type: RA_MSG_TYPES.RA_ATT_RESULT,
    size: 145,
    epidGroupStatus: 0,
    tcbEvaluationStatus: 0,
    pseEvaluationStatus: 0,
    latestEquivalentTcbPsvn: new Uint8Array(18),
    latestPseIsvsvn: new Uint8Array(2),
    latestPsdaSvn: new Uint8Array(4),
    performanceRekeyGid: new Uint8Array(4),
    ecSign256X: signatureBytesToWords(
      fromHex('979eb95add1417f2faadfad76673fd7157f4e98deeaf425ebb8a4cd484dc836a'),
    ),
    ecSign256Y: signatureBytesToWords(
      fromHex('08700df2428b2bee42b085e5bf99c522f837f7eeb62cd58c37a2d251ed45f965'),
    ),
    macSmk: fromHex('f2258af9092ddbdc4a73bd154902100d'),
    resultSize: 2,
    reserved: new Uint8Array(12),
    payloadTag: fromHex('c3c830dd68fe6cd2bd245414a19870b1'),
    payload: fromHex('3409'),
  };
}

describe('reference encodings (PROTOCOL-SEED.md §2.5)', () => {
  test('InitialMessage{type:5} = 0805', () => {
    assert.equal(toHex(encodeInitialMessage({ type: RA_MSG_TYPES.RA_VERIFICATION })), '0805');
  });
  test('MessageMsg0 from the App, the SP echo, and terminate', () => {
    assert.equal(toHex(encodeMessageMsg0({ type: 0, epid: 0 })), '08001000');
    assert.equal(
      toHex(encodeMessageMsg0({ type: 0, epid: 0, status: RA_MSG_STATUS.TYPE_OK })),
      '080010001800',
    );
    assert.equal(
      toHex(encodeMessageMsg0({ type: 0, epid: 0, status: RA_MSG_STATUS.TYPE_TERMINATE })),
      '080010001801',
    );
  });
  test('InitialMessage{type:6,size:0} = 08061000, the same bytes as SecretMessage{6,0}', () => {
    assert.equal(toHex(encodeInitialMessage({ type: RA_MSG_TYPES.RA_APP_ATT_OK, size: 0 })), '08061000');
    assert.equal(toHex(encodeSecretMessage({ type: 6, size: 0 })), '08061000');
  });
  test('MessageMSG1 from msg1_sample1 (108 B)', () => {
    const body = encodeMessageMSG1({
      type: RA_MSG_TYPES.RA_MSG1,
      GaX: fromHex(MSG1_GX),
      GaY: fromHex(MSG1_GY),
      GID: fromHex(MSG1_GID),
    });
    assert.equal(body.length, 108);
    assert.equal(toHex(body), MSG1_BODY);
  });
  test('MessageMSG2 from msg2_sample1 (244 B, no SigRL: sigrl omitted)', () => {
    const fields = msg2Fields();
    assert.deepEqual(
      fields.signatureX,
      [0x84dc836a, 0xbb8a4cd4, 0xeeaf425e, 0x57f4e98d, 0x6673fd71, 0xfaadfad7, 0xdd1417f2, 0x979eb95a],
    );
    assert.equal(fields.quoteType, RA_QUOTE_TYPES.SAMPLE_QUOTE_LINKABLE_SIGNATURE);
    const body = encodeMessageMSG2(fields);
    assert.equal(body.length, 244);
    assert.equal(toHex(body), MSG2_BODY);
  });
  test('MessageMSG3 from msg3_sample1 (1886 B, sha256 as in §2.5)', () => {
    const m = MSG3_SAMPLE1;
    assert.equal(m.length, 1452);
    const body = encodeMessageMSG3({
      type: RA_MSG_TYPES.RA_MSG3,
      size: 1452,
      sgxMac: m.slice(0, 16),
      gaxMsg3: m.slice(16, 48),
      gayMsg3: m.slice(48, 80),
      secProperty: m.slice(80, 336),
      quote: m.slice(336, 336 + 1116),
    });
    assert.equal(body.length, 1886);
    assert.ok(toHex(body).startsWith('080310ac0b1a17571908a1013bd00137a801'));
    assert.equal(createHash('sha256').update(body).digest('hex'), MSG3_BODY_SHA256);
  });
  test('AttestationMessage for sample set 1 (203 B)', () => {
    const fields = attFields();
    assert.deepEqual(
      fields.ecSign256X,
      [0x5ab99e97, 0xf21714dd, 0xd7faadfa, 0x71fd7366, 0x8de9f457, 0x5e42afee, 0xd44c8abb, 0x6a83dc84],
    );
    const body = encodeAttestationMessage(fields);
    assert.equal(body.length, 203);
    assert.equal(toHex(body), ATT_BODY);
  });
});

describe('decoding the reference encodings', () => {
  test('each reference body decodes back to its fields', () => {
    assert.deepEqual(decodeInitialMessage(fromHex('0805')), { type: 5 });
    assert.deepEqual(decodeMessageMsg0(fromHex('08001000')), { type: 0, epid: 0 });
    assert.equal('status' in decodeMessageMsg0(fromHex('08001000')), false, 'absent status stays absent');
    assert.deepEqual(decodeMessageMsg0(fromHex('080010001800')), { type: 0, epid: 0, status: 0 });
    assert.deepEqual(decodeSecretMessage(fromHex('08061000')), {
      type: 6,
      size: 0,
      encryptedContent: new Uint8Array(0),
      macSmk: new Uint8Array(0),
      encryptedPkey: new Uint8Array(0),
      encryptedPkeyMacSmk: new Uint8Array(0),
      encryptedX509: new Uint8Array(0),
      encryptedX509MacSmk: new Uint8Array(0),
    });
    const m1 = decodeMessageMSG1(fromHex(MSG1_BODY));
    assert.equal(toHex(m1.GaX), MSG1_GX);
    assert.equal(toHex(m1.GaY), MSG1_GY);
    assert.equal(toHex(m1.GID), MSG1_GID);
    assert.deepEqual(decodeMessageMSG2(fromHex(MSG2_BODY)), msg2Fields());
    assert.deepEqual(decodeAttestationMessage(fromHex(ATT_BODY)), attFields());
  });
  test('MSG3 roundtrips and its fields are copies', () => {
    const m = MSG3_SAMPLE1;
    const body = encodeMessageMSG3({ type: 3, size: 1452, quote: m.slice(336) });
    const d = decodeMessageMSG3(body);
    assert.equal(d.size, 1452);
    assert.equal(toHex(d.quote), toHex(m.slice(336)));
    assert.equal(d.sgxMac.length, 0);
    assert.ok(Object.isFrozen(d));
  });
  test('decodeBody dispatches on the frame type (6 parses as SecretMessage)', () => {
    const d = decodeBody(RA_MSG_TYPES.RA_APP_ATT_OK, fromHex('08061000'));
    assert.equal(d.type, 6);
    assert.equal(d.message.size, 0);
    assert.equal(decodeBody(0, fromHex('080010001801')).type, 0);
    assert.equal(decodeBody(2, fromHex(MSG2_BODY)).type, 2);
    assert.equal(decodeBody(5, fromHex('0805')).message.type, 5);
    // SecretMessage requires size (§2.2), so type 6 without it is rejected.
    assert.throws(() => decodeBody(6, fromHex('0806')), hasCode('ERR_PROTOBUF_MISSING_FIELD'));
    assert.throws(() => decodeBody(7 as never, fromHex('0807')), RangeError);
  });
  test('isRaMsgType', () => {
    for (const t of Object.values(RA_MSG_TYPES)) assert.equal(isRaMsgType(t), true);
    for (const t of [-1, 7, 1.5, '1', null]) assert.equal(isRaMsgType(t), false);
  });
});

describe('strict decoder negatives (§2.2)', () => {
  const cases: { name: string; hex: string; decode: (b: Uint8Array) => unknown; code: string }[] = [
    {
      name: 'InitialMessage without type',
      hex: '1000',
      decode: decodeInitialMessage,
      code: 'ERR_PROTOBUF_MISSING_FIELD',
    },
    {
      name: 'empty InitialMessage',
      hex: '',
      decode: decodeInitialMessage,
      code: 'ERR_PROTOBUF_MISSING_FIELD',
    },
    {
      name: 'MessageMsg0 without epid',
      hex: '0800',
      decode: decodeMessageMsg0,
      code: 'ERR_PROTOBUF_MISSING_FIELD',
    },
    {
      name: 'AttestationMessage without size',
      hex: '0804',
      decode: decodeAttestationMessage,
      code: 'ERR_PROTOBUF_MISSING_FIELD',
    },
    {
      name: 'SecretMessage without size',
      hex: '0806',
      decode: decodeSecretMessage,
      code: 'ERR_PROTOBUF_MISSING_FIELD',
    },
    {
      name: 'MSG1 GaX packed element 256',
      hex: '0801120280 02'.replace(' ', ''),
      decode: decodeMessageMSG1,
      code: 'ERR_PROTOBUF_BYTE_RANGE',
    },
    {
      name: 'MSG1 GID unpacked element 300',
      hex: '080120ac02',
      decode: decodeMessageMSG1,
      code: 'ERR_PROTOBUF_BYTE_RANGE',
    },
    {
      name: 'MSG3 quote element 0xffffffff',
      hex: '08033a05ffffffff0f',
      decode: decodeMessageMSG3,
      code: 'ERR_PROTOBUF_BYTE_RANGE',
    },
    {
      name: 'type = 2^32 (C++ truncates to 0)',
      hex: '088080808010',
      decode: decodeInitialMessage,
      code: 'ERR_PROTOBUF_INVALID',
    },
    {
      name: 'six-byte varint',
      hex: '08808080808000',
      decode: decodeInitialMessage,
      code: 'ERR_PROTOBUF_INVALID',
    },
    {
      name: 'signature word 2^32',
      hex: '0802420580808080 10'.replace(' ', ''),
      decode: decodeMessageMSG2,
      code: 'ERR_PROTOBUF_INVALID',
    },
    {
      name: 'truncated varint value',
      hex: '0880',
      decode: decodeInitialMessage,
      code: 'ERR_PROTOBUF_INVALID',
    },
    {
      name: 'truncated tag',
      hex: '0805 80'.replace(' ', ''),
      decode: decodeInitialMessage,
      code: 'ERR_PROTOBUF_INVALID',
    },
    {
      name: 'packed length past the end',
      hex: '0801120501',
      decode: decodeMessageMSG1,
      code: 'ERR_PROTOBUF_INVALID',
    },
    {
      name: 'packed element crossing the record end',
      hex: '080112018001',
      decode: decodeMessageMSG1,
      code: 'ERR_PROTOBUF_INVALID',
    },
    {
      name: 'scalar with LEN wire type',
      hex: '0a0105',
      decode: decodeInitialMessage,
      code: 'ERR_PROTOBUF_INVALID',
    },
    {
      name: 'scalar with fixed32 wire type',
      hex: '0d05000000',
      decode: decodeInitialMessage,
      code: 'ERR_PROTOBUF_INVALID',
    },
    {
      name: 'repeated with fixed64 wire type',
      hex: '0801110000000000000000',
      decode: decodeMessageMSG1,
      code: 'ERR_PROTOBUF_INVALID',
    },
    { name: 'field number 0', hex: '0005', decode: decodeInitialMessage, code: 'ERR_PROTOBUF_INVALID' },
    { name: 'unknown group', hex: '08051b1c', decode: decodeInitialMessage, code: 'ERR_PROTOBUF_INVALID' },
    { name: 'wire type 7', hex: '08051f', decode: decodeInitialMessage, code: 'ERR_PROTOBUF_INVALID' },
    {
      name: 'unknown LEN field overrunning',
      hex: '08051a05aa',
      decode: decodeInitialMessage,
      code: 'ERR_PROTOBUF_INVALID',
    },
    {
      name: 'unknown fixed64 truncated',
      hex: '080519aabb',
      decode: decodeInitialMessage,
      code: 'ERR_PROTOBUF_INVALID',
    },
    {
      name: 'unknown eleven-byte varint',
      hex: '080518ffffffffffffffffffff01',
      decode: decodeInitialMessage,
      code: 'ERR_PROTOBUF_INVALID',
    },
  ];
  for (const c of cases) {
    test(`${c.name} → ${c.code}`, () => {
      assert.throws(() => c.decode(fromHex(c.hex)), hasCode(c.code));
    });
  }
  test('errors carry the field path and offset', () => {
    assert.throws(
      () => decodeMessageMsg0(fromHex('0800')),
      (e: unknown) =>
        isAttestError(e) &&
        e.code === 'ERR_PROTOBUF_MISSING_FIELD' &&
        (e as unknown as { field: string }).field === 'MessageMsg0.epid',
    );
    assert.throws(
      () => decodeMessageMSG1(fromHex('0801120300ff02')),
      (e: unknown) => {
        const pe = e as { code: string; field: string; offset: number };
        return pe.code === 'ERR_PROTOBUF_BYTE_RANGE' && pe.field === 'MessageMSG1.GaX' && pe.offset === 5;
      },
    );
  });
});

describe('lenient where C++ is lenient (§2.2)', () => {
  test('unpacked elements are accepted, and mixed with packed records in order', () => {
    // GaX: unpacked 1, packed [2, 3], unpacked 4.
    const d = decodeMessageMSG1(fromHex('0801 1001 12020203 1004'.replaceAll(' ', '')));
    assert.deepEqual(Array.from(d.GaX), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(d.GaY), []);
  });
  test('unpacked signature words', () => {
    const d = decodeMessageMSG2(fromHex('0802 40ffffffff0f 4001'.replaceAll(' ', '')));
    assert.deepEqual(d.signatureX, [0xffffffff, 1]);
  });
  test('unknown fields are skipped, a repeated scalar keeps the last value, fields in any order', () => {
    const d = decodeMessageMsg0(
      fromHex('1007 0801 2805 3a03aabbcc 4d01020304 510102030405060708 0800'.replaceAll(' ', '')),
    );
    assert.deepEqual(d, { type: 0, epid: 7 });
  });
  test('a non-minimal varint within 5 bytes is accepted', () => {
    assert.deepEqual(decodeInitialMessage(fromHex('088500')), { type: 5 });
  });
  test('empty packed record', () => {
    assert.deepEqual(Array.from(decodeMessageMSG1(fromHex('08011200')).GaX), []);
  });
});

describe('encoder input checks', () => {
  test('misuse throws TypeError/RangeError', () => {
    assert.throws(() => encodeMessageMsg0({ type: 0 } as never), TypeError);
    assert.throws(() => encodeInitialMessage({ type: -1 }), RangeError);
    assert.throws(() => encodeInitialMessage({ type: 2 ** 32 }), RangeError);
    assert.throws(() => encodeInitialMessage({ type: 1.5 }), RangeError);
    assert.throws(() => encodeMessageMSG1({ type: 1, GaX: [1, 2] as never }), TypeError);
    assert.throws(() => encodeMessageMSG2({ type: 2, signatureX: [2 ** 32] }), RangeError);
    assert.throws(() => encodeMessageMSG2({ type: 2, signatureX: 'x' as never }), TypeError);
    assert.throws(() => decodeInitialMessage([8, 5] as never), TypeError);
  });
});

describe('signature words', () => {
  test('words ↔ bytes, little-endian', () => {
    const bytes = fromHex('6a83dc84d44c8abb');
    assert.deepEqual(signatureBytesToWords(bytes), [0x84dc836a, 0xbb8a4cd4]);
    assert.equal(toHex(signatureWordsToBytes([0x84dc836a, 0xbb8a4cd4])), '6a83dc84d44c8abb');
    assert.throws(() => signatureBytesToWords(new Uint8Array(3)), RangeError);
    assert.throws(() => signatureWordsToBytes([-1]), RangeError);
  });
  test('property: roundtrip', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 16 }), (words) => {
        assert.deepEqual(signatureBytesToWords(signatureWordsToBytes(words)), words);
      }),
      { numRuns: 200 },
    );
  });
});

describe('properties', () => {
  const decoders = [
    decodeInitialMessage,
    decodeMessageMsg0,
    decodeMessageMSG1,
    decodeMessageMSG2,
    decodeMessageMSG3,
    decodeAttestationMessage,
    decodeSecretMessage,
  ];
  test('arbitrary bytes: every decoder returns or throws an AttestError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        for (const decode of decoders) {
          try {
            decode(bytes);
          } catch (e) {
            if (!isAttestError(e)) throw e;
          }
        }
      }),
      { numRuns: 500 },
    );
  });
  test('mutated MSG2 bodies: only AttestErrors escape', () => {
    const base = fromHex(MSG2_BODY);
    fc.assert(
      fc.property(
        fc.nat({ max: base.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat({ max: base.length }),
        (at, v, cut) => {
          const b = base.slice(0, cut);
          if (at < b.length) b[at] = v;
          try {
            decodeMessageMSG2(b);
          } catch (e) {
            if (!isAttestError(e)) throw e;
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  const byteArr = fc.uint8Array({ maxLength: 40 });
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const msg2Arb = fc.record(
    {
      type: u32,
      size: u32,
      publicKeyGx: byteArr,
      publicKeyGy: byteArr,
      quoteType: u32,
      spid: byteArr,
      cmacKdfId: u32,
      signatureX: fc.array(u32, { maxLength: 10 }),
      signatureY: fc.array(u32, { maxLength: 10 }),
      smac: byteArr,
      sizeSigrl: u32,
      sigrl: byteArr,
    },
    {
      requiredKeys: [
        'type',
        'publicKeyGx',
        'publicKeyGy',
        'spid',
        'signatureX',
        'signatureY',
        'smac',
        'sigrl',
      ],
    },
  );
  test('MSG2 roundtrip, and agreement with @bufbuild/protobuf fromBinary', () => {
    fc.assert(
      fc.property(msg2Arb, (m) => {
        const body = encodeMessageMSG2(m);
        const d = decodeMessageMSG2(body);
        assert.deepEqual(d, { ...m });
        const ref = fromBinary(MessageMSG2Schema, body);
        assert.deepEqual(ref.signatureX, [...m.signatureX]);
        assert.deepEqual(ref.publicKeyGx, Array.from(m.publicKeyGx));
      }),
      { numRuns: 300 },
    );
  });
  test('MessageMsg0 roundtrip keeps status presence', () => {
    fc.assert(
      fc.property(
        fc.record({ type: u32, epid: u32, status: u32 }, { requiredKeys: ['type', 'epid'] }),
        (m) => {
          const body = encodeMessageMsg0(m);
          assert.deepEqual(decodeMessageMsg0(body), { ...m });
          assert.equal(fromBinary(MessageMsg0Schema, body).epid, m.epid);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the direct encoder writes the bytes of @bufbuild/protobuf toBinary (§2.2, §2.5)', () => {
  const WORD_FIELDS = new Set(['signatureX', 'signatureY', 'ecSign256X', 'ecSign256Y']);
  const u32 = fc.oneof(
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.constantFrom(0, 0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000, 0xfffffff, 0x10000000, 0xffffffff),
  );
  const cases: readonly [DescMessage, (m: Record<string, unknown>) => Uint8Array][] = [
    [InitialMessageSchema, (m) => encodeInitialMessage(m as never)],
    [MessageMsg0Schema, (m) => encodeMessageMsg0(m as never)],
    [MessageMSG1Schema, (m) => encodeMessageMSG1(m as never)],
    [MessageMSG2Schema, (m) => encodeMessageMSG2(m as never)],
    [MessageMSG3Schema, (m) => encodeMessageMSG3(m as never)],
    [AttestationMessageSchema, (m) => encodeAttestationMessage(m as never)],
    [SecretMessageSchema, (m) => encodeSecretMessage(m as never)],
  ];
  for (const [schema, encode] of cases) {
    test(schema.name, () => {
      const fields: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const f of schema.fields) {
        if (f.fieldKind === 'list') {
          fields[f.localName] = WORD_FIELDS.has(f.localName)
            ? fc.array(u32, { maxLength: 9 })
            : fc.uint8Array({ maxLength: 300 });
        } else {
          fields[f.localName] = u32;
          if (f.proto.label === 2) required.push(f.localName);
        }
      }
      fc.assert(
        fc.property(fc.record(fields, { requiredKeys: required }), (m) => {
          const init: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(m)) init[k] = v instanceof Uint8Array ? Array.from(v) : v;
          assert.deepEqual(encode(m), toBinary(schema, create(schema, init)));
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe('packed byte arrays: the inline fast path and the general varint path agree (§2.2)', () => {
  /** A varint of `v`, padded to `extra` more bytes (non-minimal, still ≤ 5 bytes in all). */
  const varint = (v: number, extra: number): number[] => {
    const out: number[] = [];
    let x = v;
    do {
      out.push(x & 0x7f);
      x = Math.floor(x / 128);
    } while (x > 0);
    for (let i = 0; i < extra && out.length < 5; i++) out.push(0);
    return out.map((b, i, all) => (i < all.length - 1 ? b | 0x80 : b));
  };
  test('property: any mix of minimal and padded encodings decodes to the values, or ERR_PROTOBUF_BYTE_RANGE', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ v: fc.integer({ min: 0, max: 300 }), extra: fc.integer({ min: 0, max: 3 }) }), {
          maxLength: 64,
        }),
        (elems) => {
          const payload = elems.flatMap((e) => varint(e.v, e.extra));
          // MessageMSG3: type = 3 (field 1), quote (field 7) as one packed record.
          const body = Uint8Array.from([0x08, 0x03, (7 << 3) | 2, ...varint(payload.length, 0), ...payload]);
          if (elems.some((e) => e.v > 0xff)) {
            assert.throws(() => decodeMessageMSG3(body), hasCode('ERR_PROTOBUF_BYTE_RANGE'));
          } else {
            assert.deepEqual(decodeMessageMSG3(body).quote, Uint8Array.from(elems.map((e) => e.v)));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
  test('a truncated two-byte element at the end of the record → ERR_PROTOBUF_INVALID', () => {
    assert.throws(
      () => decodeMessageMSG3(Uint8Array.of(0x08, 0x03, 0x3a, 0x02, 0x05, 0x80)),
      hasCode('ERR_PROTOBUF_INVALID'),
    );
  });
});
