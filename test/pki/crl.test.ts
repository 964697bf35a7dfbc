import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAttestError } from '../../src/errors.ts';
import { parseCertificateChain } from '../../src/pki/cert.ts';
import { isMissingCrl, isRevoked, parseCrl, verifyCrl } from '../../src/pki/crl.ts';
import { encodePem } from '../../src/pki/pem.ts';
import { INTEL_SGX_ROOT_CA_PEM } from '../../src/pki/roots.ts';
import { flip, hex, makeTestPki, phalaCollateral, quoteChainPem, TEST_NOW, vector } from './helpers.ts';

const code = (c: string, includes?: string) => (e: unknown) =>
  isAttestError(e) && e.code === c && (includes === undefined || e.message.includes(includes));

const ROOT = INTEL_SGX_ROOT_CA_PEM;
const PCK_CRL = vector('go-tdx-guest/pckcrl');
const ROOT_CRL = vector('go-tdx-guest/rootcrl.der');
/** The Platform CA inside go-tdx-guest's SPR_E4 quote. */
const PLATFORM_CA = parseCertificateChain(quoteChainPem('go-tdx-guest/tdx_prod_quote_SPR_E4.dat'))[1]!;
const T = new Date('2023-06-18T12:36:16Z');

describe('genuine Intel CRLs', () => {
  test('go-tdx-guest pckcrl: fields', () => {
    const crl = parseCrl(PCK_CRL);
    assert.equal(crl.version, 2);
    assert.equal(crl.issuerCommonName, 'Intel SGX PCK Platform CA');
    assert.equal(crl.signatureAlgorithm, '1.2.840.10045.4.3.2');
    assert.equal(crl.thisUpdate.toISOString(), '2023-06-08T07:27:52.000Z');
    assert.equal(crl.nextUpdate.toISOString(), '2023-07-08T07:27:52.000Z');
    assert.equal(crl.crlNumber, 1n);
    assert.equal(crl.authorityKeyIdentifier, '956f5dcdbd1be1e94049c9d4f433ce01570bde54');
    assert.equal(crl.authorityKeyIdentifier, PLATFORM_CA.subjectKeyIdentifier);
    assert.equal(crl.revoked.length, 44);
    assert.deepEqual(crl.revoked[0], {
      serialNumber: '6fc34e5023e728923435d61aa4b83c618166ad35',
      revocationDate: new Date('2023-06-08T07:27:52Z'),
      reason: 1,
    });
    assert.ok(Object.isFrozen(crl) && Object.isFrozen(crl.revoked));
  });

  test('go-tdx-guest pckcrl validates against the Platform CA in tdx_prod_quote_SPR_E4.dat (2023-06-18)', () => {
    const crl = verifyCrl(PCK_CRL, PLATFORM_CA, T, { name: 'PCK CRL' });
    assert.equal(crl.issuerCommonName, 'Intel SGX PCK Platform CA');
  });

  test('go-tdx-guest rootcrl.der validates against the Intel SGX Root CA (2023-06-18)', () => {
    const crl = verifyCrl(ROOT_CRL, ROOT, T);
    assert.equal(crl.issuerCommonName, 'Intel SGX Root CA');
    assert.equal(crl.revoked.length, 0);
    assert.equal(crl.nextUpdate.toISOString(), '2024-04-02T10:22:51.000Z');
  });

  for (const name of ['sgx_quote', 'tdx_quote', 'tdx_quote_outdated', 'near_tdx_quote'] as const) {
    test(`phala ${name} collateral: both CRLs verify inside their windows`, () => {
      const col = phalaCollateral(`phala-dcap-qvl/${name}_collateral.json`);
      const pck = parseCrl(hex(col.pck_crl));
      const root = parseCrl(hex(col.root_ca_crl));
      const now = new Date(Math.min(pck.nextUpdate.getTime(), root.nextUpdate.getTime()) - 1000);
      const ca = parseCertificateChain(col.pck_crl_issuer_chain)[0]!;
      verifyCrl(pck, ca, now);
      verifyCrl(root, ROOT, now);
    });
  }

  test('PEM input (X509 CRL) is accepted', () => {
    assert.equal(parseCrl(encodePem(ROOT_CRL, 'X509 CRL')).issuerCommonName, 'Intel SGX Root CA');
  });
});

describe('CRL verification failures (DCAP-VERIFICATION.md §9.1, §9.2)', () => {
  test('issuer mismatch: the PCK CRL is not the root CRL and vice versa', () => {
    assert.throws(() => verifyCrl(PCK_CRL, ROOT, T), code('ERR_PKI_CRL_ISSUER'));
    assert.throws(() => verifyCrl(ROOT_CRL, PLATFORM_CA, T), code('ERR_PKI_CRL_ISSUER'));
  });

  test('byte flips in tbsCertList and in the signature → ERR_PKI_CRL_SIGNATURE', () => {
    // Inside the first and the 11th revoked serials, and a thisUpdate digit (2023-06-08 → 2023-06-09,
    // still valid at T): all covered by the signature.
    const serial10 = Buffer.from(PCK_CRL).indexOf(
      Buffer.from(parseCrl(PCK_CRL).revoked[10]!.serialNumber, 'hex'),
    );
    assert.ok(serial10 > 0);
    for (const i of [180, serial10 + 3, 150])
      assert.throws(
        () => verifyCrl(flip(PCK_CRL, i), PLATFORM_CA, T),
        code('ERR_PKI_CRL_SIGNATURE'),
        `offset ${i}`,
      );
    // The recipe: the 5th-from-last byte (inside the signature's s value).
    assert.throws(
      () => verifyCrl(flip(PCK_CRL, PCK_CRL.length - 5), PLATFORM_CA, T),
      code('ERR_PKI_CRL_SIGNATURE'),
    );
    assert.throws(
      () => verifyCrl(flip(ROOT_CRL, ROOT_CRL.length - 5), ROOT, T),
      code('ERR_PKI_CRL_SIGNATURE'),
    );
  });

  test('phala tdx_quote collateral recipe: flipped pck_crl signature byte', () => {
    const col = phalaCollateral('phala-dcap-qvl/tdx_quote_collateral.json');
    const crl = hex(col.pck_crl);
    const ca = parseCertificateChain(col.pck_crl_issuer_chain)[0]!;
    const now = new Date(1752919234 * 1000);
    verifyCrl(crl, ca, now);
    assert.throws(() => verifyCrl(flip(crl, crl.length - 5), ca, now), code('ERR_PKI_CRL_SIGNATURE'));
  });

  test('times: thisUpdate after now, nextUpdate before now; both bounds inclusive', () => {
    verifyCrl(PCK_CRL, PLATFORM_CA, new Date('2023-06-08T07:27:52Z'));
    verifyCrl(PCK_CRL, PLATFORM_CA, new Date('2023-07-08T07:27:52Z'));
    assert.throws(
      () => verifyCrl(PCK_CRL, PLATFORM_CA, new Date('2023-06-08T07:27:51Z')),
      code('ERR_PKI_CRL_NOT_YET_VALID'),
    );
    assert.throws(
      () => verifyCrl(PCK_CRL, PLATFORM_CA, new Date('2023-07-08T07:27:53Z')),
      code('ERR_PKI_CRL_EXPIRED'),
    );
    // §9.2: go-tdx-guest pckcrl with the oasis v3 quote at 1671497404.
    assert.throws(
      () => verifyCrl(PCK_CRL, PLATFORM_CA, new Date(1671497404 * 1000)),
      code('ERR_PKI_CRL_NOT_YET_VALID'),
    );
  });

  test('a missing CRL is ERR_PKI_CRL_MISSING, never valid', () => {
    for (const missing of [undefined, null, new Uint8Array(0), '', '  \n'])
      assert.throws(() => verifyCrl(missing, PLATFORM_CA, T), code('ERR_PKI_CRL_MISSING'));
    assert.throws(() => parseCrl(new Uint8Array(0)), code('ERR_PKI_CRL_MISSING'));
    assert.throws(() => isRevoked(new Uint8Array(0), '01'), code('ERR_PKI_CRL_MISSING'));
    assert.equal(isMissingCrl(undefined), true);
    assert.equal(isMissingCrl(PCK_CRL), false);
  });

  test('garbage CRL bytes are a parse error', () => {
    assert.throws(() => verifyCrl(hex('deadbeef'), PLATFORM_CA, T), code('ERR_DER_INVALID'));
    assert.throws(() => parseCrl(PCK_CRL.subarray(0, PCK_CRL.length - 1)), code('ERR_DER_INVALID'));
    assert.throws(() => parseCrl(new Uint8Array([...PCK_CRL, 0])), code('ERR_DER_INVALID'));
  });
});

describe('isRevoked', () => {
  test('serials in every accepted form', () => {
    assert.equal(isRevoked(PCK_CRL, '6FC34E5023E728923435D61AA4B83C618166AD35'), true);
    assert.equal(isRevoked(PCK_CRL, '6f:c3:4e:50:23:e7:28:92:34:35:d6:1a:a4:b8:3c:61:81:66:ad:35'), true);
    assert.equal(isRevoked(PCK_CRL, 0x6fc34e5023e728923435d61aa4b83c618166ad35n), true);
    // Encoded with a leading 00 in the CRL (21 octets): normalised on both sides.
    assert.equal(isRevoked(PCK_CRL, 'EFAE6E9715FCA13B87E333E8261ED6D990A926AD'), true);
    assert.equal(isRevoked(PCK_CRL, '00efae6e9715fca13b87e333e8261ed6d990a926ad'), true);
    assert.equal(isRevoked(PCK_CRL, hex('00efae6e9715fca13b87e333e8261ed6d990a926ad')), true);
    assert.equal(isRevoked(PCK_CRL, '01'), false);
    // The SPR_E4 PCK leaf is not revoked.
    const leaf = parseCertificateChain(quoteChainPem('go-tdx-guest/tdx_prod_quote_SPR_E4.dat'))[0]!;
    assert.equal(isRevoked(PCK_CRL, leaf), false);
  });

  test('synthetic CRL: the listed serial is revoked', async () => {
    const pki = await makeTestPki('Test Root');
    const crl = await pki.crl(pki.ca, ['7e57c0de']);
    const parsed = verifyCrl(crl, pki.ca.der, TEST_NOW);
    assert.equal(parsed.revoked.length, 1);
    assert.equal(isRevoked(parsed, '7e57c0de'), true);
    assert.equal(isRevoked(crl, { serialNumber: '7e57c0de' }), true);
    assert.equal(isRevoked(crl, '0a0b'), false);
    // Checked against the wrong CA: issuer mismatch.
    assert.throws(() => verifyCrl(crl, pki.root.der, TEST_NOW), code('ERR_PKI_CRL_ISSUER'));
    // A certificate without the cRLSign key usage may not issue CRLs.
    const byLeaf = await pki.crl(pki.leaf, []);
    assert.throws(() => verifyCrl(byLeaf, pki.leaf.der, TEST_NOW), code('ERR_PKI_CRL_ISSUER', 'cRLSign'));
  });
});

describe('CRL parser robustness', () => {
  test('arbitrary bytes: only AttestErrors escape', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          parseCrl(bytes);
        } catch (e) {
          if (!isAttestError(e)) throw e;
        }
      }),
      { numRuns: 400 },
    );
  });

  test('mutated genuine CRLs: only AttestErrors escape parse and verify', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (pos, mask, truncate) => {
        const base = ROOT_CRL;
        const i = pos % base.length;
        const bytes = truncate ? base.subarray(0, i) : flip(base, i, mask);
        try {
          verifyCrl(bytes, ROOT, T);
        } catch (e) {
          if (!isAttestError(e)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});
