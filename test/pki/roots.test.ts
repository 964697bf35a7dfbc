import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCertificate } from '../../src/pki/cert.ts';
import { decodePemBlocks } from '../../src/pki/pem.ts';
import {
  formatFingerprint,
  IAS_REPORT_SIGNING_CA_PEM,
  IAS_REPORT_SIGNING_CA_SHA256,
  INTEL_SGX_ROOT_CA_PEM,
  INTEL_SGX_ROOT_CA_SHA256,
  iasReportSigningCa,
  intelSgxRootCa,
} from '../../src/pki/roots.ts';
import { vector, vectorText } from './helpers.ts';

describe('embedded Intel roots (test/vectors/README.md §4)', () => {
  test('Intel SGX Root CA: fingerprint 44:A0:19:…:74:D3, identical to the vector files', () => {
    const root = intelSgxRootCa();
    assert.equal(
      formatFingerprint(root.sha256),
      '44:A0:19:6B:2B:99:F8:89:B8:E1:49:E9:5B:80:7A:35:0E:74:24:96:43:99:E8:85:A7:CB:B8:CC:FA:B6:74:D3',
    );
    assert.equal(formatFingerprint(root.sha256), INTEL_SGX_ROOT_CA_SHA256);
    assert.deepEqual(root.der, decodePemBlocks(vectorText('intel-roots/intel_sgx_root_ca.pem'))[0]);
    assert.deepEqual(root.der, vector('phala-dcap-qvl/TrustedRootCA.der'));
    assert.deepEqual(root.der, decodePemBlocks(vectorText('go-tdx-guest/trusted_root.pem'))[0]);
    assert.equal(root.subjectCommonName, 'Intel SGX Root CA');
    assert.equal(root.serialNumber, '22650cd65a9d3489f383b49552bf501b392706ac');
    assert.equal(root.notBefore.toISOString(), '2018-05-21T10:45:10.000Z');
    assert.equal(root.notAfter.toISOString(), '2049-12-31T23:59:59.000Z');
  });

  test('IAS Report Signing CA: fingerprint 7B:42:E4:…:73:5D, identical to the vector file', () => {
    const ca = iasReportSigningCa();
    assert.equal(
      formatFingerprint(ca.sha256),
      '7B:42:E4:1E:C4:3B:91:DB:83:4A:06:5D:E4:F9:8A:13:C4:4D:69:55:70:E8:39:CF:A8:92:1E:58:4E:40:73:5D',
    );
    assert.equal(formatFingerprint(ca.sha256), IAS_REPORT_SIGNING_CA_SHA256);
    assert.deepEqual(ca.der, decodePemBlocks(vectorText('intel-roots/ias_report_signing_ca.pem'))[0]);
    assert.equal(ca.subjectCommonName, 'Intel SGX Attestation Report Signing CA');
    assert.equal(ca.serialNumber, 'd107765d32a3b094');
    assert.equal(ca.notBefore.toISOString(), '2016-11-14T15:37:31.000Z');
    assert.equal(ca.selfIssued, true);
  });

  test('the PEM constants are single certificates', () => {
    assert.equal(decodePemBlocks(INTEL_SGX_ROOT_CA_PEM).length, 1);
    assert.equal(decodePemBlocks(IAS_REPORT_SIGNING_CA_PEM).length, 1);
    assert.equal(
      parseCertificate(IAS_REPORT_SIGNING_CA_PEM).publicKey.asymmetricKeyDetails?.modulusLength,
      3072,
    );
  });
});
