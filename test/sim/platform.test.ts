import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseCollateralJson, splitSignedBody } from '../../src/collateral/collateral.ts';
import { parseQeIdentity } from '../../src/collateral/qe-identity.ts';
import { parseTcbInfo } from '../../src/collateral/tcb-info.ts';
import { urlDecodePem } from '../../src/pki/pem.ts';
import {
  createSimulatedPlatform,
  loadSimulatedPlatform,
  SIM_DEFAULTS,
  SIM_PLATFORM_FILES,
  type SimulatedPlatformOptions,
  saveSimulatedPlatform,
} from '../../src/sim/platform.ts';
import { SIM_QE_VENDOR_ID } from '../../src/sim/qe.ts';
import { concatBytes, toHex } from '../../src/wire/hex.ts';
import { parseQuote } from '../../src/wire/quote.ts';

const NOW = new Date('2025-07-01T12:00:00Z');
const OPTIONS: SimulatedPlatformOptions = { seed: 'platform-test', now: NOW };

function verifyRs(pem: string, data: Uint8Array | string, rs: Uint8Array): boolean {
  const key = new X509Certificate(pem).publicKey;
  return verify(
    'sha256',
    typeof data === 'string' ? Buffer.from(data) : data,
    { key, dsaEncoding: 'ieee-p1363' },
    rs,
  );
}

/** A node public key from Intel's raw `X ‖ Y`. */
function rawP256Key(xy: Uint8Array) {
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(xy.subarray(0, 32)).toString('base64url'),
      y: Buffer.from(xy.subarray(32, 64)).toString('base64url'),
    },
    format: 'jwk',
  });
}

describe('sim/platform: determinism', async () => {
  const a = await createSimulatedPlatform(OPTIONS);
  const b = await createSimulatedPlatform({ ...OPTIONS, seed: new TextEncoder().encode('platform-test') });

  test('same seed and time → identical certificates, CRLs, collateral, keys and quotes', () => {
    assert.equal(a.rootPem, b.rootPem);
    assert.equal(a.pki.pckChainPem, b.pki.pckChainPem);
    assert.equal(a.pki.tcbIssuerChainPem, b.pki.tcbIssuerChainPem);
    assert.deepEqual(a.crls.rootCaCrl, b.crls.rootCaCrl);
    assert.deepEqual(a.crls.pckCrl, b.crls.pckCrl);
    assert.equal(a.collateralJson.sgx, b.collateralJson.sgx);
    assert.equal(a.collateralJson.tdx, b.collateralJson.tdx);
    assert.deepEqual(a.qe.sgx.attestationKey.privateKey, b.qe.sgx.attestationKey.privateKey);
    assert.deepEqual(a.pki.pck.key.privateKey, b.pki.pck.key.privateKey);
    const rd = new Uint8Array(64).fill(0x5a);
    assert.deepEqual(a.quoteSgx({ reportData: rd }), b.quoteSgx({ reportData: rd }));
    assert.deepEqual(a.quoteTdx({ reportData: rd }), b.quoteTdx({ reportData: rd }));
    assert.deepEqual(a.config, b.config);
  });

  test('another seed → other keys and root', async () => {
    const c = await createSimulatedPlatform({ ...OPTIONS, seed: 'another' });
    assert.notEqual(c.rootPem, a.rootPem);
    assert.notDeepEqual(c.qe.sgx.attestationKey.privateKey, a.qe.sgx.attestationKey.privateKey);
  });

  test('another time → same certificates, re-issued collateral', async () => {
    const later = await createSimulatedPlatform({
      ...OPTIONS,
      now: new Date('2025-08-01T00:00:00Z'),
      pkiNotBefore: new Date(a.config.pkiNotBefore),
    });
    assert.equal(later.rootPem, a.rootPem);
    assert.equal(later.pki.pckChainPem, a.pki.pckChainPem);
    assert.notEqual(later.collateralJson.sgx, a.collateralJson.sgx);
  });

  test('the QE, TD QE and the PKI use distinct keys', () => {
    const keys = [
      a.qe.sgx.attestationKey,
      a.qe.tdx.attestationKey,
      a.pki.pck.key,
      a.pki.root.key,
      a.pki.tcbSigning.key,
    ];
    assert.equal(new Set(keys.map((k) => toHex(k.privateKey))).size, keys.length);
  });
});

describe('sim/platform: collateral', async () => {
  const p = await createSimulatedPlatform(OPTIONS);

  test('TCB info v3 (SGX, TDX) parses and is signed by the TCB Signing key over its exact text', () => {
    const sgx = parseTcbInfo(p.tcbInfo.sgx.text);
    assert.equal(sgx.id, 'SGX');
    assert.equal(sgx.version, 3);
    assert.equal(sgx.fmspc, SIM_DEFAULTS.fmspc);
    assert.equal(sgx.issueDate, '2025-07-01T12:00:00Z');
    assert.equal(sgx.nextUpdate, '2025-07-31T12:00:00Z');
    assert.equal(sgx.tcbLevels[0]!.tcbStatus, 'UpToDate');
    assert.deepEqual(
      sgx.tcbLevels[0]!.sgxTcbComponents.map((c) => c.svn),
      [...SIM_DEFAULTS.cpuSvn],
    );
    assert.equal(sgx.tcbLevels[0]!.pceSvn, SIM_DEFAULTS.pceSvn);
    assert.deepEqual(sgx.tcbLevels[1]!.advisoryIds, [SIM_DEFAULTS.advisoryId]);
    const tdx = parseTcbInfo(p.tcbInfo.tdx.text);
    assert.equal(tdx.id, 'TDX');
    assert.ok(tdx.tdxModule);
    assert.equal(tdx.tdxModuleIdentities?.[0]?.id, 'TDX_01');
    assert.equal(tdx.tdxModuleIdentities?.[0]?.tcbLevels[0]?.isvSvn, 5);
    assert.deepEqual(
      tdx.tcbLevels[0]!.tdxTcbComponents?.map((c) => c.svn),
      [...SIM_DEFAULTS.teeTcbSvn],
    );
    assert.ok(verifyRs(p.pki.tcbSigning.pem, p.tcbInfo.sgx.text, p.tcbInfo.sgx.signature));
    assert.ok(verifyRs(p.pki.tcbSigning.pem, p.tcbInfo.tdx.text, p.tcbInfo.tdx.signature));
    // Intel's member order.
    assert.match(
      p.tcbInfo.sgx.text,
      /^\{"id":"SGX","version":3,"issueDate":"[^"]+","nextUpdate":"[^"]+","fmspc":/,
    );
  });

  test('QE identity v2 (QE, TD_QE) names the simulated QEs', () => {
    const qe = parseQeIdentity(p.qeIdentity.sgx.text);
    assert.equal(qe.id, 'QE');
    assert.equal(qe.isvProdId, 1);
    assert.deepEqual(qe.mrSigner, p.qe.sgx.mrSigner);
    assert.equal(qe.tcbLevels[0]!.isvSvn, SIM_DEFAULTS.qeSvn);
    const td = parseQeIdentity(p.qeIdentity.tdx.text);
    assert.equal(td.id, 'TD_QE');
    assert.equal(td.isvProdId, 2);
    assert.deepEqual(td.mrSigner, p.qe.tdx.mrSigner);
    assert.ok(verifyRs(p.pki.tcbSigning.pem, p.qeIdentity.sgx.text, p.qeIdentity.sgx.signature));
    assert.ok(verifyRs(p.pki.tcbSigning.pem, p.qeIdentity.tdx.text, p.qeIdentity.tdx.signature));
  });

  test('the interchange JSON has dcap-qvl’s keys and round-trips through parseCollateralJson', () => {
    const o = JSON.parse(p.collateralJson.sgx) as Record<string, string>;
    assert.deepEqual(Object.keys(o), [
      'pck_crl_issuer_chain',
      'root_ca_crl',
      'pck_crl',
      'tcb_info_issuer_chain',
      'tcb_info',
      'tcb_info_signature',
      'qe_identity_issuer_chain',
      'qe_identity',
      'qe_identity_signature',
    ]);
    assert.equal(o.tcb_info, p.tcbInfo.sgx.text);
    assert.equal(o.pck_crl, toHex(p.crls.pckCrl));
    assert.equal(o.tcb_info_issuer_chain, p.pki.tcbIssuerChainPem);
    assert.equal(o.pck_crl_issuer_chain, p.pki.pckCrlIssuerChainPem);
    assert.deepEqual(parseCollateralJson(p.collateralJson.sgx), p.collateral.sgx);
    assert.deepEqual(parseCollateralJson(p.collateralJson.tdx), p.collateral.tdx);
  });

  test('PCS v4 responses carry the same signed text and URL-encoded issuer chains', () => {
    const tcb = splitSignedBody(p.pcs.sgxTcb.body as string, 'tcbInfo');
    assert.equal(tcb.signedText, p.tcbInfo.sgx.text);
    assert.deepEqual(tcb.signature, p.tcbInfo.sgx.signature);
    const tdxTcb = splitSignedBody(p.pcs.tdxTcb.body as string, 'tcbInfo');
    assert.equal(tdxTcb.signedText, p.tcbInfo.tdx.text);
    const qe = splitSignedBody(p.pcs.tdxQeIdentity.body as string, 'enclaveIdentity');
    assert.equal(qe.signedText, p.qeIdentity.tdx.text);
    assert.equal(urlDecodePem(p.pcs.sgxTcb.headers['TCB-Info-Issuer-Chain']!), p.pki.tcbIssuerChainPem);
    assert.equal(
      urlDecodePem(p.pcs.sgxQeIdentity.headers['SGX-Enclave-Identity-Issuer-Chain']!),
      p.pki.tcbIssuerChainPem,
    );
    assert.equal(urlDecodePem(p.pcs.pckCrl.headers['SGX-PCK-CRL-Issuer-Chain']!), p.pki.pckCrlIssuerChainPem);
    assert.deepEqual(p.pcs.pckCrl.body, p.crls.pckCrl);
    assert.equal(p.pcs.rootCaCrlHex.body, toHex(p.crls.rootCaCrl));
    assert.equal(p.pcs.pckCert.headers['SGX-FMSPC'], SIM_DEFAULTS.fmspc);
    assert.equal(p.pcs.pckCert.headers['SGX-PCK-Certificate-CA-Type'], 'platform');
    assert.equal(p.pcs.pckCert.headers['SGX-TCBm'], '030302020401000500000000000000000D00');
    assert.equal(p.pcs.caType, 'platform');
  });

  test('configured levels, statuses and advisories are emitted', async () => {
    const q = await createSimulatedPlatform({
      ...OPTIONS,
      tcbLevels: [
        { tcbStatus: 'OutOfDate', tcbDate: '2024-01-01T00:00:00Z', advisoryIds: ['INTEL-SA-00001'] },
      ],
      qeTcbLevels: [{ isvSvn: 2, tcbStatus: 'Revoked' }],
      revokePck: true,
    });
    const info = parseTcbInfo(q.tcbInfo.sgx.text);
    assert.equal(info.tcbLevels.length, 1);
    assert.equal(info.tcbLevels[0]!.tcbStatus, 'OutOfDate');
    assert.equal(info.tcbLevels[0]!.tcbDate, '2024-01-01T00:00:00Z');
    assert.deepEqual(info.tcbLevels[0]!.advisoryIds, ['INTEL-SA-00001']);
    assert.equal(parseQeIdentity(q.qeIdentity.sgx.text).tcbLevels[0]!.tcbStatus, 'Revoked');
    assert.notDeepEqual(q.crls.pckCrl, p.crls.pckCrl);
  });

  test('invalid options are refused', async () => {
    await assert.rejects(createSimulatedPlatform({ ...OPTIONS, cpuSvn: [1, 2, 3] }), RangeError);
    await assert.rejects(createSimulatedPlatform({ ...OPTIONS, pceSvn: 70000 }), RangeError);
    await assert.rejects(createSimulatedPlatform({ ...OPTIONS, now: new Date(Number.NaN) }), TypeError);
    await assert.rejects(
      createSimulatedPlatform({ ...OPTIONS, fmspc: '00' }),
      (e: { code?: string }) => e.code === 'ERR_HEX_INVALID',
    );
  });
});

describe('sim/platform: quotes', async () => {
  const p = await createSimulatedPlatform(OPTIONS);
  const reportData = new Uint8Array(64).map((_, i) => i);

  test('SGX v3 quote parses and is laid out as §1.1 says', () => {
    const bytes = p.quoteSgx({ reportData, mrEnclave: new Uint8Array(32).fill(0xaa), isvProdId: 7 });
    const q = parseQuote(bytes);
    assert.equal(q.version, 3);
    if (q.version !== 3) return;
    assert.equal(q.teeType, 'SGX');
    assert.equal(q.attestationKeyType, 2);
    assert.equal(q.qeSvn, SIM_DEFAULTS.qeSvn);
    assert.equal(q.pceSvn, SIM_DEFAULTS.pceSvn);
    assert.deepEqual(q.qeVendorId, SIM_QE_VENDOR_ID);
    assert.deepEqual(q.userData, concatBytes(p.qe.sgx.qeId, new Uint8Array(4)));
    assert.deepEqual(q.body.reportData, reportData);
    assert.deepEqual(q.body.mrEnclave, new Uint8Array(32).fill(0xaa));
    assert.equal(q.body.isvProdId, 7);
    assert.equal(q.body.debug, false);
    assert.deepEqual(q.body.cpuSvn, Uint8Array.from(SIM_DEFAULTS.cpuSvn));
    assert.equal(q.certificationData.type, 5);
    assert.equal(q.pckCertChain?.length, 3);
    assert.equal(q.signedBytes.length, 48 + 384);
  });

  test('TDX v4 quote parses: TEE 0x81, TD report 1.0, type 6 around type 5', () => {
    const bytes = p.quoteTdx({ reportData, mrTd: new Uint8Array(48).fill(0x11) });
    const q = parseQuote(bytes);
    assert.equal(q.version, 4);
    if (q.version !== 4 || q.body.kind !== 'td10') return assert.fail('expected a v4 TD quote');
    const body = q.body;
    assert.equal(q.teeType, 'TDX');
    assert.deepEqual(body.reportData, reportData);
    assert.deepEqual(body.mrTd, new Uint8Array(48).fill(0x11));
    assert.equal(body.septVeDisable, true);
    assert.equal(body.debug, false);
    assert.deepEqual(body.teeTcbSvn, Uint8Array.from(SIM_DEFAULTS.teeTcbSvn));
    assert.equal(q.certificationData.type, 5);
    assert.equal(q.qeReportBody.isvProdId, 2);
    assert.equal(q.signedBytes.length, 48 + 584);
    // The outer certification data header sits right after the attestation key (§1.1).
    const s = 48 + 584;
    assert.equal(bytes[s + 4 + 128], 6);
  });

  for (const tee of ['sgx', 'tdx'] as const) {
    test(`${tee}: QE report, attestation-key binding and quote signature verify`, () => {
      const bytes = tee === 'sgx' ? p.quoteSgx({ reportData }) : p.quoteTdx({ reportData });
      const q = parseQuote(bytes);
      if (q.version === 2) return assert.fail('not an ECDSA quote');
      const qe = p.qe[tee];
      assert.deepEqual(q.qeReport, qe.qeReport);
      assert.deepEqual(q.attestationKey, qe.attestationKey.publicKeyRaw);
      // §1.2 F: the QE report is signed by the PCK key.
      assert.ok(verifyRs(p.pki.pck.pem, q.qeReport, q.qeReportSignature));
      // §1.2 F: reportData = SHA-256(attestation key ‖ QE auth data) ‖ 0^32.
      const h = createHash('sha256').update(q.attestationKey).update(q.qeAuthData).digest();
      assert.deepEqual(q.qeReportBody.reportData, concatBytes(new Uint8Array(h), new Uint8Array(32)));
      assert.equal(q.qeAuthData.length, 32);
      assert.equal(q.qeReportBody.isvSvn, qe.isvSvn);
      assert.deepEqual(q.qeReportBody.mrSigner, qe.mrSigner);
      // §1.2 G: the quote signature covers header ‖ body.
      assert.ok(
        verify(
          'sha256',
          q.signedBytes,
          { key: rawP256Key(q.attestationKey), dsaEncoding: 'ieee-p1363' },
          q.signature,
        ),
      );
      // Type 5: leaf → PCK CA → root.
      assert.deepEqual(
        q.pckCertChain?.map((c) => new X509Certificate(c).serialNumber.toLowerCase()),
        [p.pki.pck.serial, p.pki.pckCa.serial, p.pki.root.serial],
      );
    });
  }

  test('report bodies given as bytes are used verbatim; wrong sizes are refused', () => {
    const body = p.sgxReportBody({ reportData });
    assert.deepEqual(parseQuote(p.quoteSgx(body)).signedBytes.subarray(48), body);
    assert.throws(() => p.quoteSgx(new Uint8Array(100)), RangeError);
    assert.throws(() => p.quoteTdx(new Uint8Array(384)), RangeError);
  });
});

describe('sim/platform: save and load', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'attestkit-sim-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const p = await createSimulatedPlatform(OPTIONS);
  await saveSimulatedPlatform(p, dir);

  test('writes the documented files', async () => {
    for (const name of Object.values(SIM_PLATFORM_FILES)) await readFile(join(dir, name));
    assert.equal(await readFile(join(dir, SIM_PLATFORM_FILES.rootCert), 'utf8'), p.rootPem);
    assert.equal(await readFile(join(dir, SIM_PLATFORM_FILES.collateral), 'utf8'), p.collateralJson.sgx);
    assert.equal(await readFile(join(dir, SIM_PLATFORM_FILES.collateralTdx), 'utf8'), p.collateralJson.tdx);
    assert.match(await readFile(join(dir, SIM_PLATFORM_FILES.qeAttestationKey), 'utf8'), /BEGIN PRIVATE KEY/);
  });

  test('load re-creates the same platform (another process shares it)', async () => {
    const q = await loadSimulatedPlatform(dir);
    assert.equal(q.rootPem, p.rootPem);
    assert.equal(q.collateralJson.sgx, p.collateralJson.sgx);
    assert.deepEqual(q.quoteSgx({}), p.quoteSgx({}));
    assert.deepEqual(q.config, p.config);
  });

  test('load with a new time re-issues collateral under the same PKI', async () => {
    const q = await loadSimulatedPlatform(dir, { now: new Date('2025-09-01T00:00:00Z') });
    assert.equal(q.rootPem, p.rootPem);
    assert.equal(parseTcbInfo(q.tcbInfo.sgx.text).issueDate, '2025-09-01T00:00:00Z');
  });

  test('a mismatching root, a broken config or a missing directory is ERR_CONFIG_FILE', async () => {
    const other = await mkdtemp(join(tmpdir(), 'attestkit-sim-'));
    try {
      await saveSimulatedPlatform(p, other);
      const isConfigFile = (e: unknown) => (e as { code?: string }).code === 'ERR_CONFIG_FILE';
      const another = await createSimulatedPlatform({ ...OPTIONS, seed: 'x' });
      await writeFile(join(other, SIM_PLATFORM_FILES.rootCert), another.rootPem);
      await assert.rejects(loadSimulatedPlatform(other), isConfigFile);
      await writeFile(join(other, SIM_PLATFORM_FILES.config), '{not json');
      await assert.rejects(loadSimulatedPlatform(other), isConfigFile);
      await writeFile(
        join(other, SIM_PLATFORM_FILES.config),
        '{"format":"attestkit-sim-platform","version":1,"seed":"zz"}',
      );
      await assert.rejects(loadSimulatedPlatform(other), isConfigFile);
      await assert.rejects(loadSimulatedPlatform(join(other, 'missing')), isConfigFile);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
