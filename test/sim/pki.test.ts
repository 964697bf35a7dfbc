import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseCertificateChain } from '../../src/pki/cert.ts';
import { isRevoked, verifyCrl } from '../../src/pki/crl.ts';
import {
  createSimulatedCrls,
  createSimulatedPki,
  encodePckSgxExtension,
  type PckPlatformInfo,
  SGX_EXTENSION_OID,
  SIM_CN,
} from '../../src/sim/pki.ts';
import { fromHex, toHex } from '../../src/wire/hex.ts';

const VECTORS = join(dirname(fileURLToPath(import.meta.url)), '../vectors/phala-dcap-qvl');
const SGX_OID_DER = fromHex('06092a864886f84d010d01');

/** The PEM certificates embedded in a genuine quote's certification data. */
function pemsIn(file: string): string[] {
  const text = readFileSync(join(VECTORS, file)).toString('latin1');
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/** The extnValue of the SGX extension of a DER certificate (OID, then OCTET STRING with a 2-byte length). */
function sgxExtensionValue(der: Uint8Array): Uint8Array {
  const at = Buffer.from(der).indexOf(Buffer.from(SGX_OID_DER));
  assert.ok(at > 0, 'SGX extension OID not found');
  const o = at + SGX_OID_DER.length;
  assert.equal(der[o], 0x04);
  assert.equal(der[o + 1], 0x82);
  const len = (der[o + 2]! << 8) | der[o + 3]!;
  return der.slice(o + 4, o + 4 + len);
}

const seed = new TextEncoder().encode('pki-test');
const platform: PckPlatformInfo = {
  ppid: fromHex('00112233445566778899aabbccddeeff'),
  cpuSvn: Uint8Array.from([3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]),
  pceSvn: 13,
  pceId: fromHex('0000'),
  fmspc: fromHex('00a7c0de0000'),
  caType: 'platform',
  platformInstanceId: fromHex('0f0e0d0c0b0a09080706050403020100'),
};
const notBefore = new Date('2025-01-01T00:00:00Z');
const at = new Date('2025-06-01T00:00:00Z');

describe('sim/pki: the SGX PCK extension layout', () => {
  test('reproduces a genuine Processor-CA PCK extension byte for byte (phala sgx_quote)', () => {
    const leaf = new X509Certificate(pemsIn('sgx_quote')[0]!);
    const genuine = sgxExtensionValue(new Uint8Array(leaf.raw));
    const ours = encodePckSgxExtension({
      ppid: fromHex('d04ec06d4e6d92dc90d0ad3cf5ee2ddf'),
      cpuSvn: fromHex('0b0b0202ff0100000000000000000000'),
      pceSvn: 13,
      pceId: fromHex('0000'),
      fmspc: fromHex('00a067110000'),
      caType: 'processor',
    });
    assert.equal(toHex(ours), toHex(genuine));
  });

  test('reproduces a genuine Platform-CA PCK extension byte for byte (phala tdx_quote)', () => {
    const leaf = new X509Certificate(pemsIn('tdx_quote')[0]!);
    const genuine = sgxExtensionValue(new Uint8Array(leaf.raw));
    const ours = encodePckSgxExtension({
      ppid: fromHex('811dca2a26b952e85bb6448b097ba4fd'),
      cpuSvn: fromHex('03030202040100050000000000000000'),
      pceSvn: 11,
      pceId: fromHex('0000'),
      fmspc: fromHex('b0c06f000000'),
      caType: 'platform',
      platformInstanceId: fromHex('07828474603e7019dc930775ffe8cdd2'),
    });
    assert.equal(toHex(ours), toHex(genuine));
  });

  test('wrong field sizes are refused', () => {
    assert.throws(() => encodePckSgxExtension({ ...platform, fmspc: new Uint8Array(5) }), RangeError);
    assert.throws(() => encodePckSgxExtension({ ...platform, cpuSvn: new Uint8Array(15) }), RangeError);
  });
});

describe('sim/pki: certificates', async () => {
  const pki = await createSimulatedPki({ seed, notBefore, platform });
  const root = new X509Certificate(pki.root.pem);
  const ca = new X509Certificate(pki.pckCa.pem);
  const pck = new X509Certificate(pki.pck.pem);
  const tcb = new X509Certificate(pki.tcbSigning.pem);

  test('subjects and issuers name the simulation, never Intel', () => {
    assert.match(root.subject, /CN=attestkit Simulated SGX Root CA/);
    assert.equal(root.subject, root.issuer);
    assert.match(ca.subject, new RegExp(`CN=${SIM_CN.platformCa}`));
    assert.equal(ca.issuer, root.subject);
    assert.match(pck.subject, new RegExp(`CN=${SIM_CN.pck}`));
    assert.equal(pck.issuer, ca.subject);
    assert.match(tcb.subject, new RegExp(`CN=${SIM_CN.tcbSigning}`));
    assert.equal(tcb.issuer, root.subject);
    for (const c of [root, ca, pck, tcb]) {
      assert.doesNotMatch(c.subject, /Intel SGX|Intel Corporation/);
      assert.match(c.subject, /not Intel/);
    }
  });

  test('the chains verify: leaf → CA → root, TCB Signing → root', () => {
    assert.ok(root.verify(root.publicKey));
    assert.ok(ca.verify(root.publicKey));
    assert.ok(pck.verify(ca.publicKey));
    assert.ok(tcb.verify(root.publicKey));
    assert.ok(ca.checkIssued(root));
    assert.ok(pck.checkIssued(ca));
    assert.ok(!pck.verify(root.publicKey));
  });

  test('CA flags, path lengths and key usages match Intel’s', () => {
    const parsed = parseCertificateChain(pki.pckChainPem + pki.tcbSigning.pem);
    const [leaf, caP, rootP, tcbP] = parsed;
    assert.deepEqual(rootP!.basicConstraints, { cA: true, pathLenConstraint: 1 });
    assert.deepEqual(caP!.basicConstraints, { cA: true, pathLenConstraint: 0 });
    assert.equal(leaf!.basicConstraints?.cA, false);
    assert.equal(tcbP!.basicConstraints?.cA, false);
    assert.deepEqual(rootP!.keyUsage, ['keyCertSign', 'cRLSign']);
    assert.deepEqual(caP!.keyUsage, ['keyCertSign', 'cRLSign']);
    assert.deepEqual(leaf!.keyUsage, ['digitalSignature', 'nonRepudiation']);
    assert.deepEqual(tcbP!.keyUsage, ['digitalSignature', 'nonRepudiation']);
    // Key identifiers: SKI = serial, AKI = the issuer's SKI (as in Intel's certificates).
    assert.equal(leaf!.subjectKeyIdentifier, pki.pck.serial);
    assert.equal(leaf!.authorityKeyIdentifier, pki.pckCa.serial);
    assert.equal(caP!.authorityKeyIdentifier, pki.root.serial);
    assert.equal(rootP!.authorityKeyIdentifier, pki.root.serial);
    assert.equal(leaf!.serialNumber, pki.pck.serial);
    assert.ok(root.ca && ca.ca && !pck.ca && !tcb.ca);
  });

  test('the PCK certificate carries the SGX extension with the platform facts', () => {
    const leaf = parseCertificateChain(pki.pck.pem)[0]!;
    const ext = leaf.extensions.find((e) => e.oid === SGX_EXTENSION_OID);
    assert.ok(ext);
    assert.equal(ext.critical, false);
    assert.deepEqual(ext.value, encodePckSgxExtension(platform));
  });

  test('validity windows', () => {
    assert.equal(pki.root.notBefore.toISOString(), notBefore.toISOString());
    assert.ok(pki.pck.notAfter < pki.pckCa.notAfter && pki.pckCa.notAfter < pki.root.notAfter);
    assert.equal(new Date(pck.validFrom).getTime(), notBefore.getTime());
  });

  test('a processor-CA platform gets the Processor CA', async () => {
    const p = await createSimulatedPki({ seed, notBefore, platform: { ...platform, caType: 'processor' } });
    assert.match(new X509Certificate(p.pckCa.pem).subject, /attestkit Simulated SGX PCK Processor CA/);
    // The root is the same for the same seed.
    assert.equal(p.root.pem, pki.root.pem);
  });
});

describe('sim/pki: CRLs', async () => {
  const pki = await createSimulatedPki({ seed, notBefore, platform });
  const nextUpdate = new Date('2025-07-01T00:00:00Z');

  test('empty CRLs verify under their issuers', async () => {
    const crls = await createSimulatedCrls(pki, { thisUpdate: at, nextUpdate });
    const root = verifyCrl(crls.rootCaCrl, pki.root.der, at);
    const pck = verifyCrl(crls.pckCrl, pki.pckCa.der, at);
    assert.equal(root.revoked.length, 0);
    assert.equal(pck.revoked.length, 0);
    assert.equal(pck.crlNumber, 1n);
    assert.equal(pck.thisUpdate.toISOString(), at.toISOString());
    assert.equal(pck.nextUpdate.toISOString(), nextUpdate.toISOString());
    assert.equal(pck.issuerCommonName, SIM_CN.platformCa);
  });

  test('revoked serials land on the right CRL', async () => {
    const crls = await createSimulatedCrls(pki, {
      thisUpdate: at,
      nextUpdate,
      revokedSerials: [pki.pck.serial.toUpperCase(), `00${pki.tcbSigning.serial}`],
    });
    verifyCrl(crls.pckCrl, pki.pckCa.der, at);
    verifyCrl(crls.rootCaCrl, pki.root.der, at);
    assert.ok(isRevoked(crls.pckCrl, pki.pck.serial));
    assert.ok(!isRevoked(crls.pckCrl, pki.tcbSigning.serial));
    assert.ok(isRevoked(crls.rootCaCrl, pki.tcbSigning.serial));
    assert.ok(!isRevoked(crls.rootCaCrl, pki.pck.serial));
  });

  test('bad serials are refused', async () => {
    await assert.rejects(
      createSimulatedCrls(pki, { thisUpdate: at, nextUpdate, revokedSerials: ['xyz'] }),
      RangeError,
    );
  });
});
