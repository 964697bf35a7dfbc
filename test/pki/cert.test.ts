import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAttestError } from '../../src/errors.ts';
import {
  isSignedBy,
  parseCertificate,
  parseCertificateChain,
  serialToHex,
  toX509Certificate,
} from '../../src/pki/cert.ts';
import { decodePemBlocks } from '../../src/pki/pem.ts';
import { flip, hex, quoteChainPem, vector, vectorText } from './helpers.ts';

const code = (c: string) => (e: unknown) => isAttestError(e) && e.code === c;
const ROOT_DER = vector('phala-dcap-qvl/TrustedRootCA.der');

describe('parseCertificate', () => {
  test('Intel SGX Root CA fields (test/vectors/README.md §4)', () => {
    const c = parseCertificate(ROOT_DER);
    assert.equal(c.version, 3);
    assert.equal(c.serialNumber, '22650cd65a9d3489f383b49552bf501b392706ac');
    assert.equal(c.subjectCommonName, 'Intel SGX Root CA');
    assert.equal(c.issuerCommonName, 'Intel SGX Root CA');
    assert.equal(c.selfIssued, true);
    assert.equal(c.notBefore.toISOString(), '2018-05-21T10:45:10.000Z');
    assert.equal(c.notAfter.toISOString(), '2049-12-31T23:59:59.000Z');
    assert.equal(c.signatureAlgorithm, '1.2.840.10045.4.3.2');
    assert.deepEqual(c.basicConstraints, { cA: true, pathLenConstraint: 1 });
    assert.deepEqual(c.keyUsage, ['keyCertSign', 'cRLSign']);
    assert.equal(c.subjectKeyIdentifier, '22650cd65a9d3489f383b49552bf501b392706ac');
    assert.equal(c.publicKey.asymmetricKeyType, 'ec');
    assert.equal(c.subject, 'CN=Intel SGX Root CA, O=Intel Corporation, L=Santa Clara, ST=CA, C=US');
    assert.equal(toX509Certificate(c).serialNumber, '22650CD65A9D3489F383B49552BF501B392706AC');
    assert.equal(toX509Certificate(c), toX509Certificate(ROOT_DER));
    assert.ok(Object.isFrozen(c));
  });

  test('PCK leaf and Processor CA of phala sgx_quote', () => {
    const [leaf, ca] = parseCertificateChain(quoteChainPem('phala-dcap-qvl/sgx_quote'));
    assert.equal(leaf!.serialNumber, '81b77732b761e98eb9b963a4abd1e5b9bf5dd8d6');
    assert.deepEqual(leaf!.basicConstraints, { cA: false, pathLenConstraint: undefined });
    assert.deepEqual(leaf!.keyUsage, ['digitalSignature', 'nonRepudiation']);
    assert.equal(leaf!.authorityKeyIdentifier, ca!.subjectKeyIdentifier);
    assert.deepEqual(leaf!.issuerDer, ca!.subjectDer);
    assert.deepEqual(ca!.basicConstraints, { cA: true, pathLenConstraint: 0 });
    assert.ok(leaf!.extensions.some((e) => e.oid === '1.2.840.113741.1.13.1' && !e.critical));
    assert.equal(isSignedBy(leaf!, ca!), true);
    assert.equal(isSignedBy(ca!, ROOT_DER), true);
    assert.equal(isSignedBy(leaf!, ROOT_DER), false);
  });

  test('the IAS CA (RSA-3072, GeneralizedTime notAfter) parses', () => {
    const c = parseCertificate(vectorText('intel-roots/ias_report_signing_ca.pem'));
    assert.equal(c.serialNumber, 'd107765d32a3b094');
    assert.equal(c.notAfter.toISOString(), '2049-12-31T23:59:59.000Z');
    assert.equal(c.publicKey.asymmetricKeyType, 'rsa');
    assert.equal(
      c.subject,
      'C=US, ST=CA, L=Santa Clara, O=Intel Corporation, CN=Intel SGX Attestation Report Signing CA',
    );
    assert.equal(c.signatureAlgorithm, '1.2.840.113549.1.1.11');
  });

  test('every input form gives the same certificate; records are fresh copies', () => {
    const pem = vectorText('intel-roots/intel_sgx_root_ca.pem');
    const a = parseCertificate(ROOT_DER);
    for (const input of [pem, new X509Certificate(ROOT_DER), a])
      assert.equal(parseCertificate(input).sha256, a.sha256);
    // Mutating a returned record's bytes does not poison the cache.
    a.der[10] = a.der[10]! ^ 0xff;
    a.subjectDer.fill(0);
    const b = parseCertificate(ROOT_DER);
    assert.deepEqual(b.der, ROOT_DER);
    assert.notEqual(b.der, a.der);
    assert.equal(b.subjectCommonName, 'Intel SGX Root CA');
    assert.equal(isSignedBy(b, b), true);
  });

  test('serialToHex normalises INTEGER contents', () => {
    assert.equal(serialToHex(hex('00efae')), 'efae');
    assert.equal(serialToHex(hex('00')), '00');
    assert.equal(serialToHex(hex('0a0b')), '0a0b');
  });
});

describe('malformed certificates', () => {
  test('truncated, trailing byte, empty, two PEM blocks, wrong input type', () => {
    assert.throws(() => parseCertificate(ROOT_DER.subarray(0, ROOT_DER.length - 1)), code('ERR_DER_INVALID'));
    assert.throws(() => parseCertificate(new Uint8Array([...ROOT_DER, 0])), code('ERR_DER_INVALID'));
    assert.throws(() => parseCertificate(new Uint8Array(0)), code('ERR_DER_INVALID'));
    assert.throws(() => parseCertificate(quoteChainPem('phala-dcap-qvl/sgx_quote')), code('ERR_PEM_INVALID'));
    assert.throws(() => parseCertificate(42 as never), TypeError);
  });

  test('explicit default version v1 is non-minimal', () => {
    // Rewrite the version INTEGER 2 (a0 03 02 01 02) as 0 at offsets 8..12 of the root.
    const bytes = ROOT_DER.slice();
    assert.deepEqual([...bytes.subarray(8, 13)], [0xa0, 0x03, 0x02, 0x01, 0x02]);
    bytes[12] = 0;
    assert.throws(() => parseCertificate(bytes), code('ERR_DER_NON_MINIMAL'));
  });

  test('arbitrary bytes: only AttestErrors escape', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          parseCertificate(bytes);
        } catch (e) {
          if (!isAttestError(e)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });

  test('mutated genuine certificates: only AttestErrors escape', () => {
    const ders = decodePemBlocks(quoteChainPem('phala-dcap-qvl/tdx_quote'));
    fc.assert(
      fc.property(fc.nat(2), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, pos, mask) => {
        const der = ders[which]!;
        try {
          const c = parseCertificate(flip(der, pos % der.length, mask));
          isSignedBy(c, ders[Math.min(which + 1, 2)]!);
        } catch (e) {
          if (!isAttestError(e)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});
