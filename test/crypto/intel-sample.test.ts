/**
 * End-to-end known answers from Intel's sample messages (sample_messages.h @ sgx_1.8, via
 * PROTOCOL-SEED.md App. A and §7): the SP side of sample set 1 rebuilt from scratch with the
 * sample library's constant RNG, and the enclave-side checks on msg2 / msg3 / the result.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  aesCmac,
  aesGcmDecrypt,
  aesGcmEncrypt,
  dangerouslyIntelSampleRandom,
  deriveRaKeys,
  ecdhSharedSecretLE,
  generateEcKeyPair,
  privateKeyFromSgx,
  raReportData,
  signSgx,
  timingSafeEqual,
  verifySgx,
} from '../../src/crypto/index.ts';
import { fromHex, toHex } from '../../src/wire/hex.ts';
import {
  ec256SignatureToP1363,
  encodeAttestationResult,
  encodeMsg2,
  encodePlatformInfoBlob,
  msg2MacData,
  msg2SignatureData,
  msg3MacData,
  p1363ToEc256Signature,
  parseAttestationResult,
  parseMsg1,
  parseMsg2,
  parseMsg3,
  platformInfoBlobSignatureData,
  zeroPlatformInfoBlob,
} from '../../src/wire/ra.ts';
import { SAMPLE1 as V } from '../helpers/intel-sample.ts';

const h = (s: string): Uint8Array => fromHex(s);
const IV0 = new Uint8Array(12);
/** §5.4: report_data sits at report body offset 320; the report body at quote offset 48. */
const QUOTE_REPORT_DATA_OFFSET = 48 + 320;
const QUOTE_MR_ENCLAVE_OFFSET = 48 + 64;
const QUOTE_MR_SIGNER_OFFSET = 48 + 128;

function sessionKeys() {
  const b = generateEcKeyPair(dangerouslyIntelSampleRandom);
  const msg1 = parseMsg1(h(V.msg1));
  return { b, msg1, keys: deriveRaKeys(ecdhSharedSecretLE(b.privateKey, msg1.gA)) };
}

/**
 * The enclave-side msg2 checks of §6.6 in order (signature, KDF id, MAC), returning the SDK status
 * name. The enclave's private a is not in the sample; the SP's shared secret is the same value.
 */
function enclaveAcceptsMsg2(msg2Bytes: Uint8Array, gA: Uint8Array): string {
  const m2 = parseMsg2(msg2Bytes);
  if (!verifySgx(h(V.spPublicKeyLE), msg2SignatureData(m2.gB, gA), m2.signGbGa))
    return 'SGX_ERROR_INVALID_SIGNATURE';
  if (m2.kdfId !== 1) return 'SGX_ERROR_KDF_MISMATCH';
  const { keys } = sessionKeys();
  if (!timingSafeEqual(aesCmac(keys.smk, msg2MacData(m2)), m2.mac)) return 'SGX_ERROR_MAC_MISMATCH';
  return 'SGX_SUCCESS';
}

describe('Intel sample set 1: the SP side rebuilt bit for bit', () => {
  test('g_b, shared secret and the four keys from the sample RNG (§6.7, §7)', () => {
    const { b, keys } = sessionKeys();
    assert.equal(toHex(b.publicKey), V.gB);
    assert.deepEqual(
      [toHex(keys.kdk), toHex(keys.smk), toHex(keys.sk), toHex(keys.mk), toHex(keys.vk)],
      [V.kdk, V.smk, V.sk, V.mk, V.vk],
    );
  });

  test('msg2 (168 bytes) is reproduced exactly: g_b, spid, types, sign_gb_ga (k = b), CMAC_SMK', () => {
    const { b, msg1, keys } = sessionKeys();
    const sp = privateKeyFromSgx(h(V.spPrivateKeyLE));
    const signGbGa = signSgx(sp, msg2SignatureData(b.publicKey, msg1.gA), {
      dangerouslyNonceSource: dangerouslyIntelSampleRandom,
    });
    const body = { gB: b.publicKey, spid: h(V.spid), quoteType: 1, kdfId: 1, signGbGa };
    const mac = aesCmac(keys.smk, msg2MacData(body));
    assert.equal(toHex(mac), V.msg2Mac);
    assert.equal(toHex(encodeMsg2({ ...body, mac, sigRl: new Uint8Array(0) })), V.msg2);
    // The 8-byte ra_samp_response_header_t of the sample: type 2, status 0,0, size 168 (§5.5).
    assert.equal(V.msg2ResponseHeader, '020000a800000000');
  });

  test('the result message (145 + 8 bytes) is reproduced exactly: PIB signed with g_rk (k = b, r/s BE), CMAC_MK, GCM_SK', () => {
    const { keys } = sessionKeys();
    const rk = privateKeyFromSgx(h(V.reportKeyPrivateLE));
    const unsigned = zeroPlatformInfoBlob();
    const sigLE = signSgx(rk, platformInfoBlobSignatureData(unsigned), {
      dangerouslyNonceSource: dangerouslyIntelSampleRandom,
    });
    // §5.7: SWAP_ENDIAN_32B on x and y leaves r and s big-endian in the PIB.
    const pib = { ...unsigned, signature: ec256SignatureToP1363(sigLE) };
    const mac = aesCmac(keys.mk, encodePlatformInfoBlob(pib));
    assert.equal(toHex(mac), V.resultMac);
    const sealed = aesGcmEncrypt(keys.sk, IV0, h(V.gcmIntel.plaintext));
    const bytes = encodeAttestationResult({
      platformInfoBlob: pib,
      mac,
      payloadTag: sealed.tag,
      payload: sealed.ciphertext,
    });
    assert.equal(toHex(bytes), V.attestationResult + V.gcmIntel.ciphertext);
  });
});

describe('Intel sample set 1: the receiving side checks', () => {
  test('msg2 passes the enclave checks of §6.6', () => {
    assert.equal(enclaveAcceptsMsg2(h(V.msg2), parseMsg1(h(V.msg1)).gA), 'SGX_SUCCESS');
  });

  test('msg3: CMAC_SMK(msg3[16..1452)) verifies and report_data = SHA-256(g_a ‖ g_b ‖ VK) ‖ 0^32', () => {
    const { b, msg1, keys } = sessionKeys();
    const m3 = parseMsg3(h(V.msg3));
    assert.equal(m3.quote.length, 1116);
    assert.ok(timingSafeEqual(aesCmac(keys.smk, msg3MacData(m3)), m3.mac));
    assert.equal(toHex(aesCmac(keys.smk, h(V.msg3).subarray(16))), V.msg3Mac);
    assert.equal(toHex(m3.gA), toHex(msg1.gA));
    const rd = raReportData(msg1.gA, b.publicKey, keys.vk);
    assert.equal(toHex(rd), V.reportData);
    assert.equal(
      toHex(m3.quote.subarray(QUOTE_REPORT_DATA_OFFSET, QUOTE_REPORT_DATA_OFFSET + 64)),
      V.reportData,
    );
    assert.equal(
      toHex(m3.quote.subarray(QUOTE_MR_ENCLAVE_OFFSET, QUOTE_MR_ENCLAVE_OFFSET + 32)),
      V.quote.mrEnclave,
    );
    assert.equal(
      toHex(m3.quote.subarray(QUOTE_MR_SIGNER_OFFSET, QUOTE_MR_SIGNER_OFFSET + 32)),
      V.quote.mrSigner,
    );
  });

  test('result: CMAC_MK(PIB) verifies, the PIB signature verifies with g_rk, the payload decrypts to {0..7}', () => {
    const { keys } = sessionKeys();
    const att = parseAttestationResult(h(V.attestationResult + V.gcmIntel.ciphertext));
    const pibBytes = encodePlatformInfoBlob(att.platformInfoBlob);
    assert.equal(toHex(pibBytes), V.attestationResult.slice(0, 194));
    assert.ok(timingSafeEqual(aesCmac(keys.mk, pibBytes), att.mac));
    assert.ok(
      verifySgx(
        h(V.reportKeyPublicLE),
        platformInfoBlobSignatureData(att.platformInfoBlob),
        p1363ToEc256Signature(att.platformInfoBlob.signature),
      ),
    );
    assert.equal(toHex(aesGcmDecrypt(keys.sk, IV0, att.payload, att.payloadTag)), V.gcmIntel.plaintext);
  });
});

describe('byte-flip tables: every byte the MACs and signatures claim to cover is covered', () => {
  const msg1 = parseMsg1(h(V.msg1));
  const flipAt = (hex: string, i: number): Uint8Array => {
    const b = h(hex);
    b[i]! ^= 0x01;
    return b;
  };
  // msg2 layout (§5.2): g_b 0..63, spid 64..79, quote_type 80, kdf_id 82, sign_gb_ga 84..147, mac 148..163.
  const msg2Flips = [
    { name: 'g_b.gx[0]', at: 0, expect: 'SGX_ERROR_INVALID_SIGNATURE' },
    { name: 'g_b.gy[31]', at: 63, expect: 'SGX_ERROR_INVALID_SIGNATURE' },
    { name: 'spid[0]', at: 64, expect: 'SGX_ERROR_MAC_MISMATCH' },
    { name: 'spid[15]', at: 79, expect: 'SGX_ERROR_MAC_MISMATCH' },
    { name: 'quote_type low byte', at: 80, expect: 'SGX_ERROR_MAC_MISMATCH' },
    { name: 'quote_type high byte', at: 81, expect: 'SGX_ERROR_MAC_MISMATCH' },
    { name: 'kdf_id low byte', at: 82, expect: 'SGX_ERROR_KDF_MISMATCH' },
    { name: 'sign_gb_ga.x[0]', at: 84, expect: 'SGX_ERROR_INVALID_SIGNATURE' },
    { name: 'sign_gb_ga.y[7] top byte', at: 147, expect: 'SGX_ERROR_INVALID_SIGNATURE' },
    { name: 'mac[0]', at: 148, expect: 'SGX_ERROR_MAC_MISMATCH' },
    { name: 'mac[15]', at: 163, expect: 'SGX_ERROR_MAC_MISMATCH' },
  ];
  for (const f of msg2Flips) {
    test(`msg2 ${f.name} (offset ${f.at}) → ${f.expect}`, () => {
      assert.equal(enclaveAcceptsMsg2(flipAt(V.msg2, f.at), msg1.gA), f.expect);
    });
  }

  const { keys } = sessionKeys();
  // msg3 layout (§5.2, §5.4): mac 0..15, g_a 16..79, ps_sec_prop 80..335, quote 336.. (report_data at 704).
  const msg3Flips = [
    { name: 'mac[0]', at: 0 },
    { name: 'g_a[0]', at: 16 },
    { name: 'ps_sec_prop[0]', at: 80 },
    { name: 'ps_sec_prop[255]', at: 335 },
    { name: 'quote.version', at: 336 },
    { name: 'quote.mr_enclave[0]', at: 448 },
    { name: 'quote.isv_svn', at: 642 },
    { name: 'quote.report_data[0]', at: 704 },
    { name: 'quote.signature_len', at: 768 },
    { name: 'quote last byte', at: 1451 },
  ];
  for (const f of msg3Flips) {
    test(`msg3 ${f.name} (offset ${f.at}) → MAC mismatch`, () => {
      const m3 = parseMsg3(flipAt(V.msg3, f.at));
      assert.equal(timingSafeEqual(aesCmac(keys.smk, msg3MacData(m3)), m3.mac), false);
    });
  }

  // Result layout (§5.6): PIB 0..96, mac 97..112, payload_size 113, reserved 117, tag 129..144, payload 145..
  const resultFlips = [
    { name: 'PIB epid_group_status', at: 0, expect: 'mac' },
    { name: 'PIB tcb_evaluation_status', at: 1, expect: 'mac' },
    { name: 'PIB signature[63]', at: 96, expect: 'mac' },
    { name: 'mac[0]', at: 97, expect: 'mac' },
    { name: 'tag[0]', at: 129, expect: 'gcm' },
    { name: 'tag[15]', at: 144, expect: 'gcm' },
    { name: 'payload[0]', at: 145, expect: 'gcm' },
    { name: 'payload[7]', at: 152, expect: 'gcm' },
  ];
  for (const f of resultFlips) {
    test(`result ${f.name} (offset ${f.at}) → ${f.expect === 'mac' ? 'MK MAC mismatch' : 'ERR_CRYPTO_DECRYPT_FAILED'}`, () => {
      const att = parseAttestationResult(flipAt(V.attestationResult + V.gcmIntel.ciphertext, f.at));
      const macOk = timingSafeEqual(aesCmac(keys.mk, encodePlatformInfoBlob(att.platformInfoBlob)), att.mac);
      if (f.expect === 'mac') {
        assert.equal(macOk, false);
      } else {
        assert.equal(macOk, true);
        assert.throws(
          () => aesGcmDecrypt(keys.sk, IV0, att.payload, att.payloadTag),
          (e: { code?: string }) => e.code === 'ERR_CRYPTO_DECRYPT_FAILED',
        );
      }
    });
  }

  test('the PIB signature covers PIB[0..33): a flipped status byte breaks it', () => {
    const att = parseAttestationResult(flipAt(V.attestationResult + V.gcmIntel.ciphertext, 3));
    assert.equal(
      verifySgx(
        h(V.reportKeyPublicLE),
        platformInfoBlobSignatureData(att.platformInfoBlob),
        p1363ToEc256Signature(att.platformInfoBlob.signature),
      ),
      false,
    );
    assert.equal(platformInfoBlobSignatureData(att.platformInfoBlob).length, 33);
  });
});
