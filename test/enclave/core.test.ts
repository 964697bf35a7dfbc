/**
 * The RA core (the enclave half of the SGX SDK key exchange, PROTOCOL-SEED.md §6.6) against an SP
 * computed by hand from the crypto primitives.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  aesCmac,
  generateEcKeyPair,
  type RaKeys,
  raReportData,
  repeatingRandom,
} from '../../src/crypto/index.ts';
import { RaCore } from '../../src/enclave/core.ts';
import { SIM_EPID_GROUP_ID, SimulatedEpidQuoteProvider } from '../../src/enclave/epid-sim.ts';
import { resolveIdentity, SIM_DEFAULT_MR_ENCLAVE } from '../../src/enclave/identity.ts';
import { toHex } from '../../src/wire/hex.ts';
import { parseQuote, type QuoteV2 } from '../../src/wire/quote.ts';
import { msg3MacData, parseMsg1, parseMsg3 } from '../../src/wire/ra.ts';
import { code } from '../helpers/errors.ts';
import { groupKeyPem, type HandMsg2Options, handAttResult, handMsg2 } from '../helpers/hand-sp.ts';

const sp = generateEcKeyPair();
const otherSp = generateEcKeyPair();

function makeCore(spPublicKey = sp.publicKey): RaCore {
  return new RaCore({
    spPublicKey,
    quoteProvider: new SimulatedEpidQuoteProvider({ groupKeyPem: GROUP_PEM }),
  });
}

// A fixed simulated EPID group key (no warning).
const GROUP_PEM = groupKeyPem();

type Msg2Options = HandMsg2Options & { readonly signer?: typeof sp };

/** What the SP does in §4.1 step 4, by hand (SPID 5a…5a, signed by `sp` unless `signer`). */
function spMsg2(gA: Uint8Array, o: Msg2Options = {}): { bytes: Uint8Array; keys: RaKeys; gB: Uint8Array } {
  return handMsg2(o.signer ?? sp, gA, { spid: new Uint8Array(16).fill(0x5a), ...o });
}

const attResult = handAttResult;

describe('RaCore (PROTOCOL-SEED.md §6.6)', () => {
  test('happy path: msg1 → msg3 binds the session keys into the quote; the secret decrypts', async () => {
    const core = makeCore();
    const id = core.open();
    const msg1 = parseMsg1(core.msg1(id));
    assert.deepEqual(msg1.gid, SIM_EPID_GROUP_ID);
    const { bytes, keys, gB } = spMsg2(msg1.gA);
    const msg3 = parseMsg3(await core.processMsg2(id, bytes));
    assert.deepEqual(msg3.gA, msg1.gA);
    assert.deepEqual(msg3.mac, aesCmac(keys.smk, msg3MacData(msg3)), 'msg3 MAC under SMK (§6.4)');
    assert.ok(msg3.psSecProp.every((b) => b === 0));
    assert.equal(msg3.quote.length, 1116);
    const quote = parseQuote(msg3.quote) as QuoteV2;
    assert.equal(quote.version, 2);
    assert.equal(quote.signType, 1);
    assert.equal(quote.signatureLength, 680);
    assert.deepEqual(quote.body.reportData, raReportData(msg1.gA, gB, keys.vk));
    assert.equal(toHex(quote.body.mrEnclave), SIM_DEFAULT_MR_ENCLAVE);
    assert.equal(quote.body.debug, false, 'not a debug enclave by default');
    core.verifyAttestationResult(id, attResult(keys, Uint8Array.of(0, 1)));
    assert.deepEqual(core.decryptSecret(id), Uint8Array.of(0, 1));
    assert.throws(() => core.decryptSecret(id), code('ERR_PROTOCOL_SESSION_ENDED'));
  });

  test('the simulated EPID signature is ECDSA-P256 over quote[0..432) by the group key', async () => {
    const core = makeCore();
    const id = core.open();
    const msg1 = parseMsg1(core.msg1(id));
    const msg3 = parseMsg3(await core.processMsg2(id, spMsg2(msg1.gA).bytes));
    const q = msg3.quote;
    const pub = createPublicKey(GROUP_PEM);
    assert.ok(
      verify('sha256', q.subarray(0, 432), { key: pub, dsaEncoding: 'ieee-p1363' }, q.subarray(436, 500)),
    );
    assert.ok(q.subarray(500).every((b) => b === 0));
  });

  const refusals: { name: string; o: Msg2Options; code: string; pin?: Uint8Array }[] = [
    { name: 'wrong SP key pinned', o: {}, code: 'ERR_PROTOCOL_MSG2_SIGNATURE', pin: otherSp.publicKey },
    { name: 'signed by another key', o: { signer: otherSp }, code: 'ERR_PROTOCOL_MSG2_SIGNATURE' },
    {
      name: 'tampered signature',
      o: { tamper: (b) => (b[84 + 3]! ^= 1) },
      code: 'ERR_PROTOCOL_MSG2_SIGNATURE',
    },
    { name: 'tampered MAC', o: { tamper: (b) => (b[148]! ^= 1) }, code: 'ERR_PROTOCOL_MSG2_MAC' },
    {
      name: 'tampered SPID (covered by the MAC)',
      o: { tamper: (b) => (b[64]! ^= 1) },
      code: 'ERR_PROTOCOL_MSG2_MAC',
    },
    { name: 'kdf_id 2', o: { kdfId: 2 }, code: 'ERR_PROTOCOL_KDF_UNSUPPORTED' },
    { name: 'g_b off the curve', o: { tamper: (b) => (b[0]! ^= 1) }, code: 'ERR_PROTOCOL_INVALID_GB' },
    {
      name: 'sig_rl_size larger than the message',
      o: { tamper: (b) => (b[164] = 9) },
      code: 'ERR_PROTOCOL_MSG2_INVALID',
    },
    {
      name: 'SigRL without the 00 02 00 0E header',
      o: { sigRl: Uint8Array.of(1, 2, 3, 4, 5) },
      code: 'ERR_PROTOCOL_MSG2_INVALID',
    },
  ];
  for (const r of refusals) {
    test(`msg2 refused: ${r.name} → ${r.code}`, async () => {
      const core = makeCore(r.pin);
      const id = core.open();
      const msg1 = parseMsg1(core.msg1(id));
      await assert.rejects(core.processMsg2(id, spMsg2(msg1.gA, r.o).bytes), code(r.code));
      // A failed context is dead: no second attempt.
      await assert.rejects(core.processMsg2(id, spMsg2(msg1.gA).bytes), code('ERR_PROTOCOL_SESSION_ENDED'));
    });
  }

  test('msg2 with a well-formed SigRL is accepted (the simulated quote keeps 680 bytes)', async () => {
    const core = makeCore();
    const id = core.open();
    const msg1 = parseMsg1(core.msg1(id));
    const sigRl = Uint8Array.of(0x00, 0x02, 0x00, 0x0e, 1, 2, 3);
    const msg3 = parseMsg3(await core.processMsg2(id, spMsg2(msg1.gA, { sigRl }).bytes));
    assert.equal(msg3.quote.length, 1116);
  });

  test('calls out of order are SGX_ERROR_INVALID_STATE → ERR_PROTOCOL_UNEXPECTED_MESSAGE', async () => {
    const core = makeCore();
    const id = core.open();
    await assert.rejects(core.processMsg2(id, new Uint8Array(168)), code('ERR_PROTOCOL_UNEXPECTED_MESSAGE'));
    assert.throws(
      () => core.verifyAttestationResult(id, new Uint8Array(147)),
      code('ERR_PROTOCOL_UNEXPECTED_MESSAGE'),
    );
    assert.throws(() => core.decryptSecret(id), code('ERR_PROTOCOL_UNEXPECTED_MESSAGE'));
    core.msg1(id);
    assert.throws(() => core.msg1(id), code('ERR_PROTOCOL_UNEXPECTED_MESSAGE'));
    assert.throws(() => core.msg1(999), code('ERR_PROTOCOL_SESSION_ENDED'));
  });

  test('attestation result: MAC under MK checked; zero payload and tag is a refusal; bad tag fails', async () => {
    const cases: {
      secret: Uint8Array | null;
      tamperMac?: boolean;
      at: 'verify' | 'decrypt';
      code: string;
    }[] = [
      { secret: Uint8Array.of(7), tamperMac: true, at: 'verify', code: 'ERR_PROTOCOL_ATT_RESULT_MAC' },
      { secret: null, at: 'decrypt', code: 'ERR_PROTOCOL_REFUSED' },
    ];
    for (const c of cases) {
      const core = makeCore();
      const id = core.open();
      const msg1 = parseMsg1(core.msg1(id));
      const { bytes, keys } = spMsg2(msg1.gA);
      await core.processMsg2(id, bytes);
      const att = attResult(keys, c.secret, c.tamperMac);
      if (c.at === 'verify') assert.throws(() => core.verifyAttestationResult(id, att), code(c.code));
      else {
        core.verifyAttestationResult(id, att);
        assert.throws(() => core.decryptSecret(id), code(c.code));
      }
    }
    // A payload byte flipped after the MAC: GCM authentication fails.
    const core = makeCore();
    const id = core.open();
    const msg1 = parseMsg1(core.msg1(id));
    const { bytes, keys } = spMsg2(msg1.gA);
    await core.processMsg2(id, bytes);
    const att = attResult(keys, Uint8Array.of(1, 2, 3));
    att[att.length - 1]! ^= 1;
    core.verifyAttestationResult(id, att);
    assert.throws(() => core.decryptSecret(id), code('ERR_CRYPTO_DECRYPT_FAILED'));
    // Truncated struct (§11.2 B6).
    const core2 = makeCore();
    const id2 = core2.open();
    const m2 = parseMsg1(core2.msg1(id2));
    const s2 = spMsg2(m2.gA);
    await core2.processMsg2(id2, s2.bytes);
    assert.throws(
      () => core2.verifyAttestationResult(id2, attResult(s2.keys, Uint8Array.of(1)).subarray(0, 140)),
      code('ERR_WIRE_TRUNCATED'),
    );
  });

  test('sessions are independent and capped', async () => {
    const core = new RaCore({
      spPublicKey: sp.publicKey,
      quoteProvider: new SimulatedEpidQuoteProvider({ groupKeyPem: GROUP_PEM }),
      maxSessions: 2,
    });
    const a = core.open();
    const b = core.open();
    assert.throws(() => core.open(), code('ERR_PROTOCOL_SESSION_ENDED'));
    const ga = parseMsg1(core.msg1(a));
    const gb = parseMsg1(core.msg1(b));
    assert.notDeepEqual(ga.gA, gb.gA);
    // msg2 meant for session a fails in session b (signature over another g_a).
    await assert.rejects(core.processMsg2(b, spMsg2(ga.gA).bytes), code('ERR_PROTOCOL_MSG2_SIGNATURE'));
    await core.processMsg2(a, spMsg2(ga.gA).bytes);
    core.close(b);
    assert.equal(core.openSessions, 1);
    core.open();
  });

  test('the ephemeral key: the same draws as generateEcKeyPair (out-of-range scalars redrawn)', () => {
    // 32 bytes of 0xff read little-endian are ≥ n: redrawn, as generateEcKeyPair does.
    const pattern = new Uint8Array(64).fill(0xff);
    pattern.set(
      Uint8Array.from({ length: 32 }, (_, i) => i + 1),
      32,
    );
    const core = new RaCore({
      spPublicKey: sp.publicKey,
      quoteProvider: new SimulatedEpidQuoteProvider({ groupKeyPem: GROUP_PEM }),
      random: repeatingRandom(pattern),
    });
    const expected = generateEcKeyPair(repeatingRandom(pattern));
    assert.deepEqual(parseMsg1(core.msg1(core.open())).gA, expected.publicKey);
    const broken = new RaCore({
      spPublicKey: sp.publicKey,
      quoteProvider: new SimulatedEpidQuoteProvider({ groupKeyPem: GROUP_PEM }),
      random: repeatingRandom(new Uint8Array(32)),
    });
    assert.throws(() => broken.msg1(broken.open()), code('ERR_CRYPTO_INVALID_PRIVATE_KEY'));
  });

  test('g_b off the curve or at infinity → ERR_PROTOCOL_INVALID_GB', async () => {
    for (const gB of [new Uint8Array(64), new Uint8Array(64).fill(1)]) {
      const core = makeCore();
      const id = core.open();
      const msg1 = parseMsg1(core.msg1(id));
      const bytes = spMsg2(msg1.gA).bytes.slice();
      bytes.set(gB, 0); // msg2 starts with g_b (§5.2)
      await assert.rejects(core.processMsg2(id, bytes), code('ERR_PROTOCOL_INVALID_GB'));
      assert.equal(core.isFinished(id), true, 'a failed session takes no further call');
    }
  });

  test('isFinished: open and mid-protocol no; delivered, failed and closed yes', async () => {
    const core = makeCore();
    const id = core.open();
    assert.equal(core.isFinished(id), false);
    const msg1 = parseMsg1(core.msg1(id));
    const { bytes, keys } = spMsg2(msg1.gA);
    await core.processMsg2(id, bytes);
    assert.equal(core.isFinished(id), false);
    core.verifyAttestationResult(id, attResult(keys, Uint8Array.of(5)));
    assert.equal(core.isFinished(id), false);
    core.decryptSecret(id);
    assert.equal(core.isFinished(id), true);
    const other = core.open();
    core.close(other);
    assert.equal(core.isFinished(other), true);
    assert.equal(core.isFinished(12345), true);
  });

  test('a pinned key that is not a curve point is refused at construction', () => {
    assert.throws(
      () =>
        new RaCore({
          spPublicKey: new Uint8Array(64),
          quoteProvider: new SimulatedEpidQuoteProvider({ groupKeyPem: GROUP_PEM }),
        }),
      code('ERR_CRYPTO_INVALID_PUBLIC_KEY'),
    );
  });

  test('identity: debug flag, hex input, defaults', () => {
    const id = resolveIdentity({ debug: true, isvSvn: 3, mrSigner: 'ab'.repeat(32) });
    assert.equal(id.attributes[0], 0x07);
    assert.equal(id.isvSvn, 3);
    assert.equal(toHex(id.mrSigner), 'ab'.repeat(32));
    assert.throws(() => resolveIdentity({ mrEnclave: 'zz' }), code('ERR_HEX_INVALID'));
    assert.throws(() => resolveIdentity({ isvProdId: 70000 }), RangeError);
  });
});
