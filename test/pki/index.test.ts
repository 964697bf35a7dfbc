import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as pki from '../../src/pki/index.ts';

test('attestkit/pki exports its public surface', () => {
  const exported = new Map<string, unknown>(Object.entries(pki));
  for (const name of [
    'DerReader',
    'parseDer',
    'validateDer',
    'decodeDerTree',
    'splitPem',
    'decodePemBlocks',
    'urlDecodePem',
    'parseCertificate',
    'parseCertificateChain',
    'toX509Certificate',
    'isSignedBy',
    'verifyChain',
    'verifyPckChain',
    'verifyTcbSigningChain',
    'parseCrl',
    'verifyCrl',
    'isRevoked',
    'parsePckExtensions',
    'parseSgxExtensionValue',
    'intelSgxRootCa',
    'iasReportSigningCa',
    'setPkiCacheLimits',
    'clearPkiCaches',
  ] as const)
    assert.equal(typeof exported.get(name), 'function', name);
  assert.equal(pki.INTEL_TCB_SIGNING_CN, 'Intel SGX TCB Signing');
  assert.equal(pki.SGX_EXTENSION_OID.FMSPC, '1.2.840.113741.1.13.1.4');
  assert.ok(pki.INTEL_SGX_ROOT_CA_PEM.startsWith('-----BEGIN CERTIFICATE-----'));
});

test('cache limits: 0 disables caching, results stay correct; invalid limits are RangeErrors', () => {
  pki.setPkiCacheLimits({ certificates: 0, signatures: 0 });
  try {
    const a = pki.intelSgxRootCa();
    const b = pki.intelSgxRootCa();
    assert.equal(a.sha256, b.sha256);
    assert.equal(pki.isSignedBy(a, b), true);
  } finally {
    pki.setPkiCacheLimits({ certificates: pki.CERT_CACHE_SIZE, signatures: 1024 });
  }
  assert.throws(() => pki.setPkiCacheLimits({ certificates: -1 }), RangeError);
});
