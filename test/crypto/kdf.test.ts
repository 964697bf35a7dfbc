import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aesCmac, deriveRaKeys, raReportData, sha256 } from '../../src/crypto/index.ts';
import { concatBytes, fromHex, toHex } from '../../src/wire/hex.ts';
import { SAMPLES } from '../helpers/intel-sample.ts';

const VECTORS = SAMPLES;

describe('deriveRaKeys (PROTOCOL-SEED.md §6.2)', () => {
  for (const set of ['sample1', 'sample2'] as const) {
    test(`Intel ${set}: KDK, SMK, SK, MK, VK from shared_LE (§7)`, () => {
      const v = VECTORS[set];
      const keys = deriveRaKeys(fromHex(v.sharedSecretLE));
      assert.equal(toHex(keys.kdk), v.kdk);
      assert.equal(toHex(keys.smk), v.smk);
      assert.equal(toHex(keys.sk), v.sk);
      assert.equal(toHex(keys.mk), v.mk);
      assert.equal(toHex(keys.vk), v.vk);
      assert.ok(Object.isFrozen(keys));
    });
  }

  test('each key is CMAC(KDK, 0x01 ‖ label ‖ 0x00 ‖ 0x80 0x00) with the §6.2 buffers', () => {
    const keys = deriveRaKeys(fromHex(VECTORS.sample1.sharedSecretLE));
    assert.equal(toHex(aesCmac(keys.kdk, fromHex('01534d4b008000'))), toHex(keys.smk));
    assert.equal(toHex(aesCmac(keys.kdk, fromHex('01534b008000'))), toHex(keys.sk));
    assert.equal(toHex(aesCmac(keys.kdk, fromHex('014d4b008000'))), toHex(keys.mk));
    assert.equal(toHex(aesCmac(keys.kdk, fromHex('01564b008000'))), toHex(keys.vk));
  });

  test('refuses a shared secret that is not 32 bytes', () => {
    for (const n of [0, 31, 33, 64]) {
      assert.throws(
        () => deriveRaKeys(new Uint8Array(n)),
        (e: { code?: string }) => e.code === 'ERR_CRYPTO_INVALID_LENGTH',
      );
    }
  });
});

describe('raReportData (§6.4)', () => {
  test('is SHA-256(g_a ‖ g_b ‖ VK) ‖ 0^32', () => {
    const gA = new Uint8Array(64).fill(1);
    const gB = new Uint8Array(64).fill(2);
    const vk = new Uint8Array(16).fill(3);
    const rd = raReportData(gA, gB, vk);
    assert.equal(rd.length, 64);
    assert.equal(toHex(rd.subarray(0, 32)), toHex(sha256(concatBytes(gA, gB, vk))));
    assert.equal(toHex(rd.subarray(32)), '00'.repeat(32));
  });

  const bad = [
    { name: 'short g_a', gA: 63, gB: 64, vk: 16 },
    { name: 'long g_b', gA: 64, gB: 65, vk: 16 },
    { name: 'short vk', gA: 64, gB: 64, vk: 15 },
  ];
  for (const b of bad) {
    test(`refuses ${b.name} with ERR_CRYPTO_INVALID_LENGTH`, () => {
      assert.throws(
        () => raReportData(new Uint8Array(b.gA), new Uint8Array(b.gB), new Uint8Array(b.vk)),
        (e: { code?: string }) => e.code === 'ERR_CRYPTO_INVALID_LENGTH',
      );
    });
  }
});
