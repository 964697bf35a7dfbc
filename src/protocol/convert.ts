/**
 * Between the seed's protobuf records (`wire/messages.ts`) and the SGX structs (`wire/ra.ts`):
 * exactly the field filling of PROTOCOL-SEED.md §2.4, and the element-count checks the seed never
 * made (§11.2 B3, B5, B6, B8, B10). Frame encoding and decoding for the transport sit here too.
 *
 * @module
 */
import { ParseError } from '../errors.ts';
import { concatBytes } from '../wire/hex.ts';
import {
  type AttestationMessageFields,
  type DecodedBody,
  decodeBody,
  encodeAttestationMessage,
  encodeInitialMessage,
  encodeMessageMSG1,
  encodeMessageMSG2,
  encodeMessageMSG3,
  encodeMessageMsg0,
  encodeSecretMessage,
  isRaMsgType,
  type MessageMSG1Fields,
  type MessageMSG2Fields,
  type MessageMSG3Fields,
  RA_MSG_TYPES,
  signatureBytesToWords,
  signatureWordsToBytes,
} from '../wire/messages.ts';
import {
  ATTESTATION_RESULT_HEADER_SIZE,
  ATTESTATION_RESULT_RESERVED_SIZE,
  ATTESTATION_RESULT_TAG_SIZE,
  EC256_PUBLIC_SIZE,
  EC256_SIGNATURE_SIZE,
  encodeAttestationResult,
  encodeMsg2,
  encodeMsg3,
  MAX_ATTESTATION_PAYLOAD_SIZE,
  MAX_MSG3_QUOTE_SIZE,
  MAX_SIG_RL_SIZE,
  MSG2_HEADER_SIZE,
  MSG3_HEADER_SIZE,
  type Msg1,
  type Msg2,
  parseAttestationResult,
  parseMsg3,
  SGX_GID_SIZE,
  SGX_MAC_SIZE,
  SGX_PS_SEC_PROP_SIZE,
  SGX_SPID_SIZE,
} from '../wire/ra.ts';
import type { RawFrame } from './types.ts';

const COORD = EC256_PUBLIC_SIZE / 2;
const SIGNATURE_WORDS = EC256_SIGNATURE_SIZE / 2 / 4;
const U16_MAX = 0xffff;
const U8_MAX = 0xff;
/** Sizes of the platform-info-blob arrays (PROTOCOL-SEED.md §5.6). */
const PIB_TCB_PSVN = 18;
const PIB_PSE_ISVSVN = 2;
const PIB_PSDA_SVN = 4;
const PIB_REKEY_GID = 4;

function invalid(field: string, message: string, need?: number, have?: number): ParseError {
  return new ParseError('ERR_PROTOBUF_INVALID', `${field}: ${message}`, {
    field,
    ...(need === undefined ? {} : { need }),
    ...(have === undefined ? {} : { have }),
  });
}

/** §11.2 B3: a repeated field must have exactly `n` elements. */
function exact<T extends { readonly length: number }>(value: T, n: number, field: string): T {
  if (value.length !== n)
    throw invalid(field, `expected ${n} elements, got ${value.length}`, n, value.length);
  return value;
}

function atMost<T extends { readonly length: number }>(value: T, max: number, field: string): T {
  if (value.length > max)
    throw invalid(field, `${value.length} elements exceed the cap of ${max}`, max, value.length);
  return value;
}

function scalar(value: number | undefined, max: number, field: string): number {
  const v = value ?? 0; // proto2: an absent optional reads as its default, 0
  if (v > max) throw invalid(field, `value ${v} exceeds ${max}`);
  return v;
}

// ---- msg1 (App → SP) ----

/** `sgx_ra_msg1_t` → `MessageMSG1` (§2.4: GaX, GaY, GID as LE bytes). */
export function msg1ToMessage(msg1: Msg1): MessageMSG1Fields {
  return {
    type: RA_MSG_TYPES.RA_MSG1,
    GaX: msg1.gA.slice(0, COORD),
    GaY: msg1.gA.slice(COORD),
    GID: msg1.gid.slice(),
  };
}

/** `MessageMSG1` → `sgx_ra_msg1_t`, with exact element counts (32/32/4). */
export function msg1FromMessage(m: MessageMSG1Fields): Msg1 {
  const gA = concatBytes(exact(m.GaX, COORD, 'MessageMSG1.GaX'), exact(m.GaY, COORD, 'MessageMSG1.GaY'));
  return Object.freeze({ gA, gid: exact(m.GID, SGX_GID_SIZE, 'MessageMSG1.GID').slice() });
}

// ---- msg2 (SP → App) ----

/** `sgx_ra_msg2_t` → `MessageMSG2` (§2.4; `size` = 168 + n, signatures as eight LE words each). */
export function msg2ToMessage(msg2: Msg2): MessageMSG2Fields {
  return {
    type: RA_MSG_TYPES.RA_MSG2,
    size: MSG2_HEADER_SIZE + msg2.sigRl.length,
    publicKeyGx: msg2.gB.slice(0, COORD),
    publicKeyGy: msg2.gB.slice(COORD),
    quoteType: msg2.quoteType,
    spid: msg2.spid.slice(),
    cmacKdfId: msg2.kdfId,
    signatureX: signatureBytesToWords(msg2.signGbGa.subarray(0, EC256_SIGNATURE_SIZE / 2)),
    signatureY: signatureBytesToWords(msg2.signGbGa.subarray(EC256_SIGNATURE_SIZE / 2)),
    smac: msg2.mac.slice(),
    sizeSigrl: msg2.sigRl.length,
    sigrl: msg2.sigRl.slice(),
  };
}

/**
 * `MessageMSG2` → the raw `sgx_ra_msg2_t` the enclave takes. Exact element counts; `size_sigrl`
 * must be the SigRL's real length (§11.2 B8) and `size` must be 168 + n, the value
 * `sgx_ra_proc_msg2` requires (§2.4, §6.6).
 */
export function msg2BytesFromMessage(m: MessageMSG2Fields): Uint8Array {
  const sigRl = atMost(m.sigrl, MAX_SIG_RL_SIZE, 'MessageMSG2.sigrl');
  if ((m.sizeSigrl ?? 0) !== sigRl.length) {
    throw invalid(
      'MessageMSG2.sizeSigrl',
      `${m.sizeSigrl ?? 0} does not match the ${sigRl.length} SigRL bytes`,
    );
  }
  if (m.size !== MSG2_HEADER_SIZE + sigRl.length) {
    throw invalid('MessageMSG2.size', `${m.size ?? 'absent'} is not ${MSG2_HEADER_SIZE} + ${sigRl.length}`);
  }
  const sigX = signatureWordsToBytes(exact(m.signatureX, SIGNATURE_WORDS, 'MessageMSG2.signatureX'));
  const sigY = signatureWordsToBytes(exact(m.signatureY, SIGNATURE_WORDS, 'MessageMSG2.signatureY'));
  return encodeMsg2({
    gB: concatBytes(
      exact(m.publicKeyGx, COORD, 'MessageMSG2.publicKeyGx'),
      exact(m.publicKeyGy, COORD, 'MessageMSG2.publicKeyGy'),
    ),
    spid: exact(m.spid, SGX_SPID_SIZE, 'MessageMSG2.spid'),
    quoteType: scalar(m.quoteType, U16_MAX, 'MessageMSG2.quoteType'),
    kdfId: scalar(m.cmacKdfId, U16_MAX, 'MessageMSG2.cmacKdfId'),
    signGbGa: concatBytes(sigX, sigY),
    mac: exact(m.smac, SGX_MAC_SIZE, 'MessageMSG2.smac'),
    sigRl,
  });
}

// ---- msg3 (App → SP) ----

/** Raw `sgx_ra_msg3_t` → `MessageMSG3` (§2.4; `size` = 336 + q, the whole quote: no 1116 cut, B10). */
export function msg3ToMessage(msg3Bytes: Uint8Array): MessageMSG3Fields {
  const msg3 = parseMsg3(msg3Bytes);
  return {
    type: RA_MSG_TYPES.RA_MSG3,
    size: MSG3_HEADER_SIZE + msg3.quote.length,
    sgxMac: msg3.mac,
    gaxMsg3: msg3.gA.slice(0, COORD),
    gayMsg3: msg3.gA.slice(COORD),
    secProperty: msg3.psSecProp,
    quote: msg3.quote,
  };
}

/**
 * `MessageMSG3` → raw `sgx_ra_msg3_t`. Exact element counts (16/32/32/256), a non-empty quote
 * under the cap, and `size`, when present, equal to 336 + q (§11.2 B5: never trusted for a buffer).
 */
export function msg3BytesFromMessage(m: MessageMSG3Fields): Uint8Array {
  const quote = atMost(m.quote, MAX_MSG3_QUOTE_SIZE, 'MessageMSG3.quote');
  if (quote.length === 0) throw invalid('MessageMSG3.quote', 'empty quote');
  if (m.size !== undefined && m.size !== MSG3_HEADER_SIZE + quote.length) {
    throw invalid('MessageMSG3.size', `${m.size} is not ${MSG3_HEADER_SIZE} + ${quote.length}`);
  }
  return encodeMsg3({
    mac: exact(m.sgxMac, SGX_MAC_SIZE, 'MessageMSG3.sgxMac'),
    gA: concatBytes(
      exact(m.gaxMsg3, COORD, 'MessageMSG3.gaxMsg3'),
      exact(m.gayMsg3, COORD, 'MessageMSG3.gayMsg3'),
    ),
    psSecProp: exact(m.secProperty, SGX_PS_SEC_PROP_SIZE, 'MessageMSG3.secProperty'),
    quote,
  });
}

// ---- APP_ATT_OK (App → SP) ----

/**
 * The App's final message: `InitialMessage{type: 6, size: 0}`, which the SP parses as an empty
 * `SecretMessage` (§2.4, §4.1 step 8). Fresh arrays on every call.
 */
export function appAttOkMessage(): DecodedBody {
  return {
    type: RA_MSG_TYPES.RA_APP_ATT_OK,
    message: {
      type: RA_MSG_TYPES.RA_APP_ATT_OK,
      size: 0,
      encryptedContent: new Uint8Array(0),
      macSmk: new Uint8Array(0),
      encryptedPkey: new Uint8Array(0),
      encryptedPkeyMacSmk: new Uint8Array(0),
      encryptedX509: new Uint8Array(0),
      encryptedX509MacSmk: new Uint8Array(0),
    },
  };
}

// ---- attestation result (SP → App) ----

/**
 * Raw `sample_ra_att_result_msg_t` → `AttestationMessage` (§2.4: `size` = 145, every status field
 * set, the PIB signature as eight LE words each of its in-memory bytes, `result_size` = payload size).
 */
export function attestationResultToMessage(bytes: Uint8Array): AttestationMessageFields {
  const r = parseAttestationResult(bytes);
  const pib = r.platformInfoBlob;
  return {
    type: RA_MSG_TYPES.RA_ATT_RESULT,
    size: ATTESTATION_RESULT_HEADER_SIZE,
    epidGroupStatus: pib.epidGroupStatus,
    tcbEvaluationStatus: pib.tcbEvaluationStatus,
    pseEvaluationStatus: pib.pseEvaluationStatus,
    latestEquivalentTcbPsvn: pib.latestEquivalentTcbPsvn,
    latestPseIsvsvn: pib.latestPseIsvsvn,
    latestPsdaSvn: pib.latestPsdaSvn,
    performanceRekeyGid: pib.performanceRekeyGid,
    ecSign256X: signatureBytesToWords(pib.signature.subarray(0, EC256_SIGNATURE_SIZE / 2)),
    ecSign256Y: signatureBytesToWords(pib.signature.subarray(EC256_SIGNATURE_SIZE / 2)),
    macSmk: r.mac,
    resultSize: r.payload.length,
    reserved: r.reserved,
    payloadTag: r.payloadTag,
    payload: r.payload,
  };
}

/**
 * `AttestationMessage` → raw `sample_ra_att_result_msg_t`. `size` must be 145, `result_size` the
 * payload's real length and every array its exact size (§11.2 B6: the seed overflowed here).
 */
export function attestationResultFromMessage(m: AttestationMessageFields): Uint8Array {
  if (m.size !== ATTESTATION_RESULT_HEADER_SIZE) {
    throw invalid('AttestationMessage.size', `${m.size} is not ${ATTESTATION_RESULT_HEADER_SIZE}`);
  }
  const payload = atMost(m.payload, MAX_ATTESTATION_PAYLOAD_SIZE, 'AttestationMessage.payload');
  if ((m.resultSize ?? 0) !== payload.length) {
    throw invalid(
      'AttestationMessage.resultSize',
      `${m.resultSize ?? 0} does not match the ${payload.length} payload bytes`,
    );
  }
  const signature = concatBytes(
    signatureWordsToBytes(exact(m.ecSign256X, SIGNATURE_WORDS, 'AttestationMessage.ecSign256X')),
    signatureWordsToBytes(exact(m.ecSign256Y, SIGNATURE_WORDS, 'AttestationMessage.ecSign256Y')),
  );
  return encodeAttestationResult({
    platformInfoBlob: {
      epidGroupStatus: scalar(m.epidGroupStatus, U8_MAX, 'AttestationMessage.epidGroupStatus'),
      tcbEvaluationStatus: scalar(m.tcbEvaluationStatus, U16_MAX, 'AttestationMessage.tcbEvaluationStatus'),
      pseEvaluationStatus: scalar(m.pseEvaluationStatus, U16_MAX, 'AttestationMessage.pseEvaluationStatus'),
      latestEquivalentTcbPsvn: exact(
        m.latestEquivalentTcbPsvn,
        PIB_TCB_PSVN,
        'AttestationMessage.latestEquivalentTcbPsvn',
      ),
      latestPseIsvsvn: exact(m.latestPseIsvsvn, PIB_PSE_ISVSVN, 'AttestationMessage.latestPseIsvsvn'),
      latestPsdaSvn: exact(m.latestPsdaSvn, PIB_PSDA_SVN, 'AttestationMessage.latestPsdaSvn'),
      performanceRekeyGid: exact(
        m.performanceRekeyGid,
        PIB_REKEY_GID,
        'AttestationMessage.performanceRekeyGid',
      ),
      signature,
    },
    mac: exact(m.macSmk, SGX_MAC_SIZE, 'AttestationMessage.macSmk'),
    reserved: exact(m.reserved, ATTESTATION_RESULT_RESERVED_SIZE, 'AttestationMessage.reserved'),
    payloadTag: exact(m.payloadTag, ATTESTATION_RESULT_TAG_SIZE, 'AttestationMessage.payloadTag'),
    payload,
  });
}

// ---- frames ----

/** Encodes a protocol message as a frame: the frame `<type>` and the protobuf body (§3.1). */
export function encodeProtocolMessage(msg: DecodedBody): RawFrame {
  switch (msg.type) {
    case RA_MSG_TYPES.RA_MSG0:
      return { type: msg.type, body: encodeMessageMsg0(msg.message) };
    case RA_MSG_TYPES.RA_MSG1:
      return { type: msg.type, body: encodeMessageMSG1(msg.message) };
    case RA_MSG_TYPES.RA_MSG2:
      return { type: msg.type, body: encodeMessageMSG2(msg.message) };
    case RA_MSG_TYPES.RA_MSG3:
      return { type: msg.type, body: encodeMessageMSG3(msg.message) };
    case RA_MSG_TYPES.RA_ATT_RESULT:
      return { type: msg.type, body: encodeAttestationMessage(msg.message) };
    case RA_MSG_TYPES.RA_VERIFICATION:
      return { type: msg.type, body: encodeInitialMessage(msg.message) };
    case RA_MSG_TYPES.RA_APP_ATT_OK:
      // §2.4: the App sends InitialMessage{type:6,size:0}; the SP parses it as SecretMessage.
      return { type: msg.type, body: encodeSecretMessage(msg.message) };
    default:
      throw new RangeError('unknown message type');
  }
}

/**
 * Decodes a received frame with the message its `<type>` names (§2.3). A type outside 0..6 or a body
 * that does not decode strictly is a `ParseError` (`ERR_PROTOBUF_*`). The state machines then check
 * that the protobuf `type` field equals the frame type (§4.2).
 */
export function decodeProtocolFrame(frame: RawFrame): DecodedBody {
  if (!isRaMsgType(frame.type)) {
    throw new ParseError('ERR_PROTOBUF_INVALID', `frame type ${frame.type} is not a seed message type`, {
      field: 'frame.type',
    });
  }
  return decodeBody(frame.type, frame.body);
}
