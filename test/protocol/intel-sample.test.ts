/**
 * The ServiceProvider against Intel's sample messages (PROTOCOL-SEED.md §7, App. A): with the
 * sample library's constant RNG and the sample SP key it reproduces msg2_sample1 bit for bit, and
 * msg3_sample1 passes its g_a, MAC and report_data checks. The sample enclave is a debug enclave:
 * a default-like policy refuses it, `allowDebug` accepts it and the secret is the seed's {0, 1}
 * under the sample SK.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aesCmac, dangerouslyIntelSampleRandom, privateKeyFromSgx } from '../../src/crypto/index.ts';
import { appraise } from '../../src/policy/appraise.ts';
import { type PolicyInput, parsePolicy } from '../../src/policy/schema.ts';
import { attestationResultFromMessage, msg1ToMessage } from '../../src/protocol/convert.ts';
import {
  type Appraiser,
  appAttOkMessage,
  decodeProtocolFrame,
  encodeProtocolMessage,
  msg2BytesFromMessage,
  msg3ToMessage,
  type ProtocolMessage,
  type QuoteVerifier,
  ServiceProvider,
  type SpState,
  type SpStep,
} from '../../src/protocol/index.ts';
import { toEnclaveIdentity } from '../../src/verify/identity.ts';
import type { EnclaveIdentity, VerifiedIasReport } from '../../src/verify/types.ts';
import { toHex } from '../../src/wire/hex.ts';
import { RA_MSG_TYPES } from '../../src/wire/messages.ts';
import { parseQuote, type QuoteV2 } from '../../src/wire/quote.ts';
import {
  encodePlatformInfoBlob,
  msg3MacData,
  parseAttestationResult,
  parseMsg1,
  parseMsg3,
} from '../../src/wire/ra.ts';
import { SAMPLE1, sample1Bytes } from '../helpers/intel-sample.ts';

const S = SAMPLE1;
const hex = sample1Bytes;
const NOW = new Date('2025-01-01T00:00:00Z');

const identityOf = (q: QuoteV2): EnclaveIdentity => toEnclaveIdentity(q.body);

/** A test double at the quote-verifier interface: "IAS" answers `status` for any quote. */
function fakeIas(
  status = 'OK',
  tcb: VerifiedIasReport['tcbStatus'] = 'UpToDate',
): QuoteVerifier & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async verifyEpid(quote, { nonce }) {
      calls.push(`verifyEpid ${nonce}`);
      const q = parseQuote(quote) as QuoteV2;
      return {
        kind: 'epid',
        iasStatus: status,
        ...(tcb === undefined ? {} : { tcbStatus: tcb }),
        advisoryIds: [],
        reportId: '1',
        timestamp: '2025-01-01T00:00:00.000000',
        nonce,
        epidGroupId: toHex(q.epidGroupId),
        enclave: identityOf(q),
        steps: [],
      };
    },
  };
}

function policyAppraiser(input: PolicyInput): Appraiser {
  const policy = parsePolicy(input);
  return (evidence) => appraise(evidence, policy, { now: NOW });
}

const SAMPLE_POLICY: PolicyInput = { mrEnclave: [S.quote.mrEnclave] };

function sampleSp(verifier: QuoteVerifier, appraiser: Appraiser): ServiceProvider {
  return new ServiceProvider({
    verifier,
    appraise: appraiser,
    signingKey: privateKeyFromSgx(hex('spPrivateKeyLE')),
    random: dangerouslyIntelSampleRandom,
    dangerouslyNonceSource: dangerouslyIntelSampleRandom,
    spid: hex('spid'),
    quoteType: 1,
  });
}

/** Every message goes through its wire encoding, as over TLS. */
function wire(m: ProtocolMessage): ProtocolMessage {
  return decodeProtocolFrame(encodeProtocolMessage(m));
}

/** Drives the SP up to the point where it waits for msg3; returns the state and its msg2. */
async function upToMsg2(sp: ServiceProvider): Promise<{ state: SpState; msg2: ProtocolMessage }> {
  let s: SpStep = await sp.step(sp.initialState(), { kind: 'start' });
  assert.equal(s.send[0]?.type, RA_MSG_TYPES.RA_VERIFICATION);
  s = await sp.step(s.state, { kind: 'message', message: wire({ type: 0, message: { type: 0, epid: 0 } }) });
  assert.deepEqual(s.send[0], { type: 0, message: { type: 0, epid: 0, status: 0 } }, 'the MSG0 echo (§2.4)');
  s = await sp.step(s.state, {
    kind: 'message',
    message: wire({ type: 1, message: msg1ToMessage(parseMsg1(hex('msg1'))) }),
  });
  assert.equal(s.done, false);
  return { state: s.state, msg2: s.send[0]! };
}

/** The raw attestation result carried by an ATT_RESULT message. */
function attOf(m: ProtocolMessage | undefined) {
  assert.equal(m?.type, RA_MSG_TYPES.RA_ATT_RESULT);
  if (m?.type !== RA_MSG_TYPES.RA_ATT_RESULT) throw new Error('not an ATT_RESULT');
  return parseAttestationResult(attestationResultFromMessage(m.message));
}

function msg3Input(bytes: Uint8Array) {
  return { kind: 'message', message: wire({ type: 3, message: msg3ToMessage(bytes) }) } as const;
}

/** msg3_sample1 with a change, its MAC recomputed under the sample SMK. */
function remac(change: (msg3: Uint8Array) => void): Uint8Array {
  const b = hex('msg3').slice();
  change(b);
  b.set(aesCmac(hex('smk'), msg3MacData(parseMsg3(b))), 0);
  return b;
}

describe('ServiceProvider × Intel sample set 1', () => {
  test('msg2 reproduces msg2_sample1 bit for bit (constant RNG, sample key; §6.7)', async () => {
    const { msg2 } = await upToMsg2(sampleSp(fakeIas(), policyAppraiser(SAMPLE_POLICY)));
    assert.equal(msg2.type, RA_MSG_TYPES.RA_MSG2);
    if (msg2.type !== RA_MSG_TYPES.RA_MSG2) return;
    assert.equal(toHex(msg2BytesFromMessage(msg2.message)), S.msg2);
  });

  test('msg3_sample1 passes g_a, MAC and report_data; the debug sample enclave is refused by default', async () => {
    const ias = fakeIas();
    const sp = sampleSp(ias, policyAppraiser(SAMPLE_POLICY));
    const { state } = await upToMsg2(sp);
    const s = await sp.step(state, msg3Input(hex('msg3')));
    assert.equal(s.done, true);
    assert.equal(s.state.step, 'failed');
    assert.equal(ias.calls.length, 1, 'the quote reached the verifier: every SP check passed');
    if (s.state.step !== 'failed') return;
    const r = s.state.result;
    assert.equal(r.trusted, false);
    assert.equal(r.error?.code, 'ERR_PROTOCOL_REFUSED');
    assert.equal(r.refusalCode, 'ERR_POLICY_DEBUG');
    assert.equal(r.quoteType, 'epid');
    assert.equal(r.iasStatus, 'OK');
    assert.equal(r.enclave?.debug, true);
    // §4.1 step 7: the refusal still goes on the wire, with zero payload and zero tag.
    assert.equal(s.send.length, 1);
    const att = attOf(s.send[0]);
    assert.deepEqual(att.payload, new Uint8Array(2));
    assert.deepEqual(att.payloadTag, new Uint8Array(16));
    assert.deepEqual(att.mac, aesCmac(hex('mk'), new Uint8Array(97)), 'CMAC_MK over the all-zero PIB');
  });

  test('with allowDebug the sample enclave is accepted: the seed secret {0,1} under the sample SK (§7)', async () => {
    const sp = sampleSp(fakeIas(), policyAppraiser({ ...SAMPLE_POLICY, allowDebug: true }));
    const { state } = await upToMsg2(sp);
    const s = await sp.step(state, msg3Input(hex('msg3')));
    assert.equal(s.state.step, 'await-app-att-ok');
    const att = attOf(wire(s.send[0]!));
    const gcm = S.gcmSeed;
    assert.equal(toHex(att.payload), gcm.ciphertext);
    assert.equal(toHex(att.payloadTag), gcm.tag);
    const done = await sp.step(s.state, {
      kind: 'message',
      message: wire(appAttOkMessage()),
    });
    assert.equal(done.state.step, 'done');
    if (done.state.step !== 'done') return;
    assert.equal(done.state.result.trusted, true);
    assert.equal(done.state.result.secretDelivered, true);
    assert.equal(done.state.result.status, 'UpToDate');
    assert.equal(done.state.result.nonce.length, 32);
  });

  test("EPID: the ATT_RESULT carries the fields of IAS's platformInfoBlob, signature zero (§5.6)", async () => {
    // TLV 15 02 00 65, then sgx_platform_info_t: statuses big-endian, SVNs, xeid, GID, signature.
    const info = new Uint8Array(101);
    info[0] = 0x02; // epid_group_status
    info.set([0x01, 0x23], 1); // tcb_evaluation_status (BE)
    info.set([0x00, 0x04], 3); // pse_evaluation_status (BE)
    info.fill(0x11, 5, 23); // latest_equivalent_tcb_psvn
    info.set([0x22, 0x22], 23);
    info.set([0x33, 0x33, 0x33, 0x33], 25);
    info.set([0xee, 0xee, 0xee, 0xee], 29); // xeid: not in the sample format
    info.set([0x03, 0x01, 0x00, 0x00], 33); // gid
    info.fill(0x77, 37); // IAS's signature: not forwarded
    const base = fakeIas('GROUP_OUT_OF_DATE', 'OutOfDate');
    const verifier: QuoteVerifier = {
      async verifyEpid(quote, o) {
        const r = await base.verifyEpid!(quote, o);
        return { ...r, platformInfoBlob: `15020065${toHex(info)}` };
      },
    };
    const sp = sampleSp(
      verifier,
      policyAppraiser({ ...SAMPLE_POLICY, allowDebug: true, acceptTcb: ['UpToDate', 'OutOfDate'] }),
    );
    const { state } = await upToMsg2(sp);
    const s = await sp.step(state, msg3Input(hex('msg3')));
    assert.equal(s.state.step, 'await-app-att-ok');
    const att = attOf(s.send[0]);
    const pib = att.platformInfoBlob;
    assert.equal(pib.epidGroupStatus, 0x02);
    assert.equal(pib.tcbEvaluationStatus, 0x0123);
    assert.equal(pib.pseEvaluationStatus, 0x0004);
    assert.deepEqual(pib.latestEquivalentTcbPsvn, new Uint8Array(18).fill(0x11));
    assert.deepEqual(pib.latestPseIsvsvn, Uint8Array.of(0x22, 0x22));
    assert.deepEqual(pib.latestPsdaSvn, Uint8Array.of(0x33, 0x33, 0x33, 0x33));
    assert.deepEqual(pib.performanceRekeyGid, Uint8Array.of(3, 1, 0, 0));
    assert.deepEqual(pib.signature, new Uint8Array(64));
    assert.deepEqual(att.mac, aesCmac(hex('mk'), encodePlatformInfoBlob(pib)));
  });

  const failures: { name: string; msg3: () => Uint8Array; code: string; verifier?: QuoteVerifier }[] = [
    {
      name: 'tampered msg3 MAC',
      msg3: () => {
        const b = hex('msg3').slice();
        b[0]! ^= 1;
        return b;
      },
      code: 'ERR_PROTOCOL_MSG3_MAC',
    },
    {
      name: 'a quote byte changed without the SMK',
      msg3: () => {
        const b = hex('msg3').slice();
        b[336 + 48 + 64]! ^= 1;
        return b;
      },
      code: 'ERR_PROTOCOL_MSG3_MAC',
    },
    {
      name: 'msg3 g_a differs from msg1',
      msg3: () => remac((b) => (b[16]! ^= 1)),
      code: 'ERR_PROTOCOL_GA_MISMATCH',
    },
    {
      name: 'report_data mismatch (MAC valid)',
      msg3: () => remac((b) => (b[336 + 48 + 320]! ^= 1)),
      code: 'ERR_PROTOCOL_REPORT_DATA',
    },
    {
      name: 'report_data upper 32 bytes not zero',
      msg3: () => remac((b) => (b[336 + 48 + 320 + 40] = 1)),
      code: 'ERR_PROTOCOL_REPORT_DATA',
    },
    {
      name: 'quote EPID group ≠ msg1 gid (S8)',
      msg3: () => remac((b) => (b[336 + 4] = 0x04)),
      code: 'ERR_PROTOCOL_GID_MISMATCH',
    },
    {
      name: 'bytes after the v2 quote (sized by signature_len, B10)',
      msg3: () => {
        const b = new Uint8Array(hex('msg3').length + 4);
        b.set(hex('msg3'));
        b.set(aesCmac(hex('smk'), msg3MacData(parseMsg3(b))), 0);
        return b;
      },
      code: 'ERR_WIRE_TRAILING_BYTES',
    },
    {
      name: 'an EPID quote with no IAS configured',
      msg3: () => hex('msg3'),
      code: 'ERR_CONFIG_IAS_REQUIRED',
      verifier: {
        async verifyDcap() {
          throw new Error('not called');
        },
      },
    },
  ];
  for (const f of failures) {
    test(`msg3 refused: ${f.name} → $f.code; nothing sent`, async () => {
      const ias = fakeIas();
      const sp = sampleSp(f.verifier ?? ias, policyAppraiser({ ...SAMPLE_POLICY, allowDebug: true }));
      const { state } = await upToMsg2(sp);
      const s = await sp.step(state, msg3Input(f.msg3()));
      assert.equal(s.state.step, 'failed');
      assert.equal(s.done, true);
      assert.deepEqual(s.send, []);
      if (s.state.step === 'failed') assert.equal(s.state.error.code, f.code);
      assert.equal(ias.calls.length, 0, 'the verifier is not reached');
    });
  }

  const verdicts: { name: string; verifier: () => QuoteVerifier; cause: string }[] = [
    {
      name: 'IAS status GROUP_OUT_OF_DATE (OutOfDate)',
      verifier: () => fakeIas('GROUP_OUT_OF_DATE', 'OutOfDate'),
      cause: 'ERR_POLICY_TCB_STATUS',
    },
    {
      name: 'IAS status SIGNATURE_INVALID (the verifier refuses)',
      verifier: () => ({
        async verifyEpid() {
          const { VerificationError } = await import('../../src/errors.ts');
          throw new VerificationError('ERR_IAS_QUOTE_STATUS', 'IAS refused the quote: SIGNATURE_INVALID');
        },
      }),
      cause: 'ERR_IAS_QUOTE_STATUS',
    },
    {
      name: 'identity not in the policy',
      verifier: () => fakeIas(),
      cause: 'ERR_POLICY_MR_ENCLAVE',
    },
  ];
  for (const v of verdicts) {
    test(`refusal with its cause: $v.name→ ERR_PROTOCOL_REFUSED ($v.cause)`, async () => {
      const policy: PolicyInput =
        v.cause === 'ERR_POLICY_MR_ENCLAVE'
          ? { mrEnclave: ['00'.repeat(32)], allowDebug: true }
          : { ...SAMPLE_POLICY, allowDebug: true };
      const sp = sampleSp(v.verifier(), policyAppraiser(policy));
      const { state } = await upToMsg2(sp);
      const s = await sp.step(state, msg3Input(hex('msg3')));
      assert.equal(s.state.step, 'failed');
      if (s.state.step !== 'failed') return;
      assert.equal(s.state.error.code, 'ERR_PROTOCOL_REFUSED');
      assert.equal(s.state.result.refusalCode, v.cause);
      assert.equal(s.send.length, 1, 'the zeroed ATT_RESULT is sent');
    });
  }
});
