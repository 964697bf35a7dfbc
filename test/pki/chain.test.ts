import 'reflect-metadata';
import assert from 'node:assert/strict';
import { webcrypto, X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import * as x509 from '@peculiar/x509';
import { isAttestError } from '../../src/errors.ts';
import {
  certificateSignatureChecks,
  isSignedBy,
  parseCertificate,
  parseCertificateChain,
} from '../../src/pki/cert.ts';
import { verifyChain, verifyPckChain, verifyTcbSigningChain } from '../../src/pki/chain.ts';
import { decodePemBlocks, urlDecodePem } from '../../src/pki/pem.ts';
import { IAS_REPORT_SIGNING_CA_PEM, INTEL_SGX_ROOT_CA_PEM } from '../../src/pki/roots.ts';
import {
  flip,
  hex,
  makeTestPki,
  phalaCollateral,
  quoteChainPem,
  TEST_NOT_AFTER,
  TEST_NOT_BEFORE,
  TEST_NOW,
  type TestPki,
  vector,
  vectorText,
} from './helpers.ts';

const code = (c: string, includes?: string) => (e: unknown) =>
  isAttestError(e) && e.code === c && (includes === undefined || e.message.includes(includes));

const ROOT = INTEL_SGX_ROOT_CA_PEM;
const at = (iso: string) => new Date(iso);
const SKIP = { dangerouslySkipRevocation: true } as const;

/** Every genuine chain-bearing quote, with a time at which its chain is valid. */
const GENUINE: readonly { file: string; time: string; ca: 'platform' | 'processor' }[] = [
  { file: 'phala-dcap-qvl/sgx_quote', time: '2025-07-19T10:01:17Z', ca: 'processor' },
  { file: 'phala-dcap-qvl/tdx_quote', time: '2025-07-19T10:00:34Z', ca: 'platform' },
  { file: 'phala-dcap-qvl/tdx_quote_outdated', time: '2026-03-20T10:41:14Z', ca: 'platform' },
  { file: 'oasis-core/pcs/quote_v3_ecdsa_p256_pck_chain.bin', time: '2022-12-20T00:50:04Z', ca: 'platform' },
  { file: 'oasis-core/pcs/quote_v4_tdx_ecdsa_p256.bin', time: '2024-09-02T07:43:52Z', ca: 'platform' },
  {
    file: 'oasis-core/pcs/quote_v4_tdx_ecdsa_p256_out_of_date.bin',
    time: '2023-06-18T12:36:16Z',
    ca: 'platform',
  },
  { file: 'go-tdx-guest/tdx_prod_quote_SPR_E4.dat', time: '2023-07-01T01:00:00Z', ca: 'platform' },
  { file: 'go-tdx-guest/quote_v5_sample.dat', time: '2026-02-03T01:00:00Z', ca: 'platform' },
  { file: 'go-tdx-guest/cos-113-tdx-quote.dat', time: '2025-01-01T00:00:00Z', ca: 'platform' },
];

describe('genuine PCK chains verify to the Intel SGX Root CA', () => {
  for (const g of GENUINE) {
    test(`${g.file} at ${g.time}`, () => {
      const v = verifyChain(quoteChainPem(g.file), { now: at(g.time), trustAnchors: ROOT, ...SKIP });
      assert.equal(v.certificates.length, 3);
      assert.equal(v.leafCommonName, 'Intel SGX PCK Certificate');
      assert.equal(
        v.certificates[1]!.subjectCommonName,
        g.ca === 'platform' ? 'Intel SGX PCK Platform CA' : 'Intel SGX PCK Processor CA',
      );
      assert.equal(v.anchor.subjectCommonName, 'Intel SGX Root CA');
      assert.equal(
        v.earliestNotAfter.getTime(),
        Math.min(...v.certificates.map((c) => c.notAfter.getTime())),
      );
      assert.ok(Object.isFrozen(v) && Object.isFrozen(v.certificates));
    });
  }

  test('phala sgx_quote: full PCK chain with both CRLs of its collateral at 2025-07-19T10:01:17Z', () => {
    const col = phalaCollateral('phala-dcap-qvl/sgx_quote_collateral.json');
    const v = verifyPckChain(quoteChainPem('phala-dcap-qvl/sgx_quote'), {
      now: at('2025-07-19T10:01:17Z'),
      trustAnchors: ROOT,
      crls: [hex(col.root_ca_crl), hex(col.pck_crl)],
    });
    assert.equal(v.caType, 'processor');
    assert.equal(v.crls.length, 2);
    assert.deepEqual(
      v.crls.map((c) => c.issuerCommonName),
      ['Intel SGX PCK Processor CA', 'Intel SGX Root CA'],
    );
    // The PCK CRL's nextUpdate bounds the collateral window (DCAP-VERIFICATION.md §2.3).
    assert.equal(v.earliestCrlNextUpdate?.toISOString(), '2025-07-19T10:23:18.000Z');
    assert.equal(v.leaf.notAfter.toISOString(), '2030-09-20T21:53:43.000Z');
    assert.equal(v.earliestNotAfter.toISOString(), '2030-09-20T21:53:43.000Z');
  });

  test('phala tdx_quote: full PCK chain with CRLs (Platform CA)', () => {
    const col = phalaCollateral('phala-dcap-qvl/tdx_quote_collateral.json');
    const v = verifyPckChain(quoteChainPem('phala-dcap-qvl/tdx_quote'), {
      now: at('2025-07-19T10:00:34Z'),
      trustAnchors: ROOT,
      crls: [hex(col.pck_crl), hex(col.root_ca_crl)],
    });
    assert.equal(v.caType, 'platform');
  });

  test('go-tdx-guest SPR_E4: full chain with pckcrl + rootcrl.der at 2023-06-18T12:36:16Z; expired in 2053', () => {
    const opts = {
      trustAnchors: ROOT,
      crls: [vector('go-tdx-guest/rootcrl.der'), vector('go-tdx-guest/pckcrl')],
    };
    const chain = quoteChainPem('go-tdx-guest/tdx_prod_quote_SPR_E4.dat');
    assert.equal(verifyPckChain(chain, { ...opts, now: at('2023-06-18T12:36:16Z') }).caType, 'platform');
    assert.throws(
      () => verifyChain(chain, { now: at('2053-07-01T00:00:00Z'), trustAnchors: ROOT, ...SKIP }),
      code('ERR_PKI_CERT_EXPIRED'),
    );
  });

  test('the chain also verifies without the root in it, and with anchors in every accepted form', () => {
    const [leaf, ca] = decodePemBlocks(quoteChainPem('phala-dcap-qvl/sgx_quote'));
    const now = at('2025-07-19T10:01:17Z');
    const rootDer = vector('phala-dcap-qvl/TrustedRootCA.der');
    for (const trustAnchors of [
      ROOT,
      rootDer,
      new X509Certificate(rootDer),
      parseCertificate(rootDer),
      [IAS_REPORT_SIGNING_CA_PEM, rootDer],
    ]) {
      const v = verifyChain([leaf!, ca!], { now, trustAnchors, ...SKIP });
      assert.equal(v.certificates.length, 3);
      assert.deepEqual(v.anchor.der, rootDer);
    }
  });
});

describe('validity times (DCAP-VERIFICATION.md §9.2)', () => {
  const sgx = quoteChainPem('phala-dcap-qvl/sgx_quote');
  const check = (iso: string) => verifyChain(sgx, { now: at(iso), trustAnchors: ROOT, ...SKIP });

  test('phala sgx_quote leaf: valid on both bounds, rejected one second outside', () => {
    check('2023-09-20T21:53:43Z');
    check('2030-09-20T21:53:43Z');
    assert.throws(
      () => check('2023-09-20T21:53:42Z'),
      code('ERR_PKI_CERT_NOT_YET_VALID', 'Intel SGX PCK Certificate'),
    );
    assert.throws(
      () => check('2030-09-20T21:53:44Z'),
      code('ERR_PKI_CERT_EXPIRED', 'Intel SGX PCK Certificate'),
    );
  });

  test('a certificate expiring on the path is named: the Processor CA after 2033-05-21T10:50:10Z', () => {
    const [, ca] = decodePemBlocks(sgx);
    // Validity is checked before the role checks, so the CA alone reports its own expiry.
    assert.throws(
      () => verifyChain([ca!], { now: at('2033-05-21T10:50:11Z'), trustAnchors: ROOT, ...SKIP }),
      code('ERR_PKI_CERT_EXPIRED', 'Intel SGX PCK Processor CA'),
    );
    // At a valid time, a CA is not a leaf: it lacks digitalSignature.
    assert.throws(
      () => verifyChain([ca!], { now: at('2030-01-01T00:00:00Z'), trustAnchors: ROOT, ...SKIP }),
      code('ERR_PKI_CA_CONSTRAINTS'),
    );
  });

  test('oasis v3 quote: PCK expired at 1891163522, not yet valid at 1670238720', () => {
    const chain = quoteChainPem('oasis-core/pcs/quote_v3_ecdsa_p256_pck_chain.bin');
    const run = (s: number) => verifyChain(chain, { now: new Date(s * 1000), trustAnchors: ROOT, ...SKIP });
    run(1671497404);
    assert.throws(() => run(1891163522), code('ERR_PKI_CERT_EXPIRED'));
    assert.throws(() => run(1670238720), code('ERR_PKI_CERT_NOT_YET_VALID'));
  });

  test('IAS report signing chain: valid at the v4 report timestamp, expired after 2026-11-20T09:36:58Z', () => {
    const chain = urlDecodePem(vectorText('oasis-core/ias/avr_certificates_urlencoded.pem'));
    const opts = { trustAnchors: IAS_REPORT_SIGNING_CA_PEM, ...SKIP };
    const v = verifyChain(chain, { ...opts, now: at('2020-05-11T09:21:15Z') });
    assert.equal(v.leafCommonName, 'Intel SGX Attestation Report Signing');
    assert.equal(v.earliestNotAfter.toISOString(), '2026-11-20T09:36:58.000Z');
    assert.throws(
      () => verifyChain(chain, { ...opts, now: at('2026-11-20T09:36:59Z') }),
      code('ERR_PKI_CERT_EXPIRED'),
    );
    // Against the DCAP root it is untrusted.
    assert.throws(
      () => verifyChain(chain, { now: at('2020-05-11T09:21:15Z'), trustAnchors: ROOT, ...SKIP }),
      code('ERR_PKI_UNTRUSTED_ROOT'),
    );
  });
});

describe('TCB Signing chain (DCAP-VERIFICATION.md §1.2 D)', () => {
  const good = vectorText('oasis-core/pcs/tcb_info_v3_fmspc_00606A000000_certs.pem');
  const bad = vectorText('oasis-core/pcs/tcb_info_v3_fmspc_00606A000000_certs_bad.pem');
  const rootCrl = vector('go-tdx-guest/rootcrl.der');
  const now = at('2023-06-18T12:36:16Z');

  test('oasis certs.pem verifies with the Root CA CRL', () => {
    const v = verifyTcbSigningChain(good, { now, trustAnchors: ROOT, crls: [rootCrl] });
    assert.equal(v.leafCommonName, 'Intel SGX TCB Signing');
    assert.equal(v.earliestNotAfter.toISOString(), '2025-05-21T10:50:10.000Z');
  });

  test('the 2025 TCB Signing chain of phala collateral verifies at 2025-07-19', () => {
    const col = phalaCollateral('phala-dcap-qvl/sgx_quote_collateral.json');
    const v = verifyTcbSigningChain(col.tcb_info_issuer_chain, {
      now: at('2025-07-19T10:01:17Z'),
      trustAnchors: ROOT,
      crls: [hex(col.root_ca_crl), hex(col.pck_crl)],
    });
    assert.equal(v.certificates[0]!.notBefore.toISOString().slice(0, 10), '2025-05-06');
  });

  test('certs_bad.pem (PCK Platform CA + root) is not a TCB signer', () => {
    assert.throws(
      () => verifyTcbSigningChain(bad, { now, trustAnchors: ROOT, crls: [rootCrl] }),
      code('ERR_PKI_CHAIN', 'Intel SGX TCB Signing'),
    );
    // Used as a plain chain, its leaf is a CA without digitalSignature.
    assert.throws(
      () => verifyChain(bad, { now, trustAnchors: ROOT, crls: [rootCrl] }),
      code('ERR_PKI_CA_CONSTRAINTS'),
    );
    assert.equal(parseCertificateChain(bad)[0]!.subjectCommonName, 'Intel SGX PCK Platform CA');
  });

  test('a TCB chain needs the Root CA CRL', () => {
    assert.throws(
      () => verifyTcbSigningChain(good, { now, trustAnchors: ROOT, crls: [] }),
      code('ERR_PKI_CRL_MISSING'),
    );
  });

  test('a PCK chain is not a TCB chain and vice versa', () => {
    assert.throws(
      () => verifyPckChain(good, { now, trustAnchors: ROOT, crls: [rootCrl, vector('go-tdx-guest/pckcrl')] }),
      code('ERR_PKI_CHAIN'),
    );
  });
});

describe('byte flips in the embedded chain (go-tdx-guest TestNegativeVerification style)', () => {
  const [leaf, ca, root] = decodePemBlocks(quoteChainPem('phala-dcap-qvl/sgx_quote')) as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  const now = at('2025-07-19T10:01:17Z');
  const run = (chain: Uint8Array[]) => verifyChain(chain, { now, trustAnchors: ROOT, ...SKIP });
  const fmspcAt = Buffer.from(leaf).indexOf(Buffer.from('00a067110000', 'hex'));

  const cases: { name: string; chain: () => Uint8Array[]; code: string }[] = [
    {
      name: 'leaf signature (last byte)',
      chain: () => [flip(leaf, leaf.length - 1), ca, root],
      code: 'ERR_PKI_SIGNATURE',
    },
    {
      name: 'leaf FMSPC in the SGX extension',
      chain: () => [flip(leaf, fmspcAt + 2), ca, root],
      code: 'ERR_PKI_SIGNATURE',
    },
    // A flipped key coordinate leaves the point off the curve: the key itself is refused.
    {
      name: 'leaf public key',
      chain: () => [flip(leaf, 380), ca, root],
      code: 'ERR_CRYPTO_INVALID_PUBLIC_KEY',
    },
    { name: 'leaf serial number', chain: () => [flip(leaf, 20), ca, root], code: 'ERR_PKI_SIGNATURE' },
    {
      name: 'PCK CA signature',
      chain: () => [leaf, flip(ca, ca.length - 1), root],
      code: 'ERR_PKI_SIGNATURE',
    },
    {
      name: 'root signature',
      chain: () => [leaf, ca, flip(root, root.length - 1)],
      code: 'ERR_PKI_UNTRUSTED_ROOT',
    },
    {
      name: 'root public key',
      chain: () => [leaf, ca, flip(root, 300)],
      code: 'ERR_CRYPTO_INVALID_PUBLIC_KEY',
    },
    {
      name: 'root validity (notAfter digit)',
      chain: () => [leaf, ca, flip(root, 177, 0x01)],
      code: 'ERR_PKI_UNTRUSTED_ROOT',
    },
    { name: 'leaf issuer name', chain: () => [flip(leaf, 62, 0x20), ca, root], code: 'ERR_PKI_CHAIN' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.throws(() => run(c.chain()), code(c.code));
    });
  }
  test('sanity: the unflipped chain verifies', () => {
    run([leaf, ca, root]);
  });
});

describe('chain shape', () => {
  const [leaf, ca, root] = decodePemBlocks(quoteChainPem('phala-dcap-qvl/sgx_quote')) as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  const now = at('2025-07-19T10:01:17Z');
  const run = (chain: Uint8Array[], extra: object = {}) =>
    verifyChain(chain, { now, trustAnchors: ROOT, ...SKIP, ...extra });

  test('empty chain', () => assert.throws(() => run([]), code('ERR_PKI_CHAIN')));
  test('wrong order', () => assert.throws(() => run([ca, leaf, root]), code('ERR_PKI_CHAIN')));
  test('root in the middle', () => assert.throws(() => run([leaf, root, ca]), code('ERR_PKI_CHAIN')));
  test('duplicate certificate', () => assert.throws(() => run([leaf, ca, ca, root]), code('ERR_PKI_CHAIN')));
  test('longer than maxLength', () =>
    assert.throws(() => run([leaf, ca, root], { maxLength: 2 }), code('ERR_PKI_CHAIN')));
  test('leaf alone: its issuer is not an anchor', () =>
    assert.throws(() => run([leaf]), code('ERR_PKI_UNTRUSTED_ROOT')));
  test('no trust anchors', () =>
    assert.throws(
      () => verifyChain([leaf, ca, root], { now, trustAnchors: [], ...SKIP }),
      code('ERR_PKI_UNTRUSTED_ROOT'),
    ));
  test('expected leaf name', () =>
    assert.throws(
      () => run([leaf, ca, root], { expectedLeafCommonName: 'Intel SGX TCB Signing' }),
      code('ERR_PKI_CHAIN'),
    ));
  test('garbage certificate bytes', () =>
    assert.throws(
      () => run([new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), ca, root]),
      (e: unknown) => isAttestError(e),
    ));
  test('now must be a Date', () =>
    assert.throws(() => verifyChain([leaf], { now: new Date('x'), trustAnchors: ROOT }), TypeError));
});

describe('revocation and trust with a synthetic Intel-like PKI', async () => {
  const pki: TestPki = await makeTestPki();
  const clean = async () => [await pki.crl(pki.root, []), await pki.crl(pki.ca, [])];
  const chain = [pki.leaf.der, pki.ca.der, pki.root.der];
  const opts = (crls: (Uint8Array | undefined)[]) => ({ now: TEST_NOW, trustAnchors: pki.root.der, crls });

  test('verifies with both CRLs; verifyPckChain reports the Platform CA', async () => {
    const v = verifyPckChain(chain, opts(await clean()));
    assert.equal(v.caType, 'platform');
    assert.equal(v.crls.length, 2);
    assert.equal(v.earliestNotAfter.getTime(), TEST_NOT_AFTER.getTime());
  });

  test('revoked leaf (PCK CRL) → ERR_PKI_REVOKED with the serial', async () => {
    const crls = [await pki.crl(pki.root, []), await pki.crl(pki.ca, ['01', '7e57c0de'])];
    assert.throws(() => verifyPckChain(chain, opts(crls)), code('ERR_PKI_REVOKED', '7e57c0de'));
  });

  test('revoked intermediate (Root CA CRL) → ERR_PKI_REVOKED', async () => {
    const crls = [await pki.crl(pki.root, ['0a0b']), await pki.crl(pki.ca, [])];
    assert.throws(() => verifyChain(chain, opts(crls)), code('ERR_PKI_REVOKED', '0a0b'));
  });

  test('the root is checked against its own CRL', async () => {
    const crls = [await pki.crl(pki.root, ['01']), await pki.crl(pki.ca, [])];
    assert.throws(() => verifyChain(chain, opts(crls)), code('ERR_PKI_REVOKED', 'serial 01'));
  });

  test('a missing CRL is never valid', async () => {
    const [rootCrl, pckCrl] = await clean();
    for (const crls of [[rootCrl!], [rootCrl!, undefined], [rootCrl!, new Uint8Array(0)], [pckCrl!], []])
      assert.throws(() => verifyChain(chain, opts(crls)), code('ERR_PKI_CRL_MISSING'));
    assert.throws(
      () => verifyChain(chain, { now: TEST_NOW, trustAnchors: pki.root.der }),
      code('ERR_PKI_CRL_MISSING'),
    );
  });

  test('the Root CA CRL cannot stand in for the PCK CRL', async () => {
    const rootCrl = await pki.crl(pki.root, []);
    assert.throws(() => verifyChain(chain, opts([rootCrl, rootCrl])), code('ERR_PKI_CRL_MISSING'));
  });

  test('CRL times: expired and not yet valid', async () => {
    const root = await pki.crl(pki.root, []);
    const expired = await pki.crl(
      pki.ca,
      [],
      new Date('2024-05-01T00:00:00Z'),
      new Date('2024-06-01T00:00:00Z'),
    );
    const future = await pki.crl(
      pki.ca,
      [],
      new Date('2024-07-01T00:00:00Z'),
      new Date('2024-08-01T00:00:00Z'),
    );
    assert.throws(() => verifyChain(chain, opts([root, expired])), code('ERR_PKI_CRL_EXPIRED'));
    assert.throws(() => verifyChain(chain, opts([root, future])), code('ERR_PKI_CRL_NOT_YET_VALID'));
  });

  test('a CRL naming the CA but signed by another key → ERR_PKI_CRL_SIGNATURE', async () => {
    const forged = await x509.X509CrlGenerator.create({
      issuer: pki.ca.cert.subject,
      thisUpdate: new Date('2024-06-01T00:00:00Z'),
      nextUpdate: new Date('2024-07-01T00:00:00Z'),
      signingKey: pki.root.keys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const crls = [await pki.crl(pki.root, []), new Uint8Array(forged.rawData)];
    assert.throws(() => verifyChain(chain, opts(crls)), code('ERR_PKI_CRL_SIGNATURE'));
  });

  test('the synthetic root is trusted only when it is the anchor', async () => {
    const crls = await clean();
    assert.throws(
      () => verifyChain(chain, { now: TEST_NOW, trustAnchors: ROOT, crls }),
      code('ERR_PKI_UNTRUSTED_ROOT'),
    );
    assert.throws(
      () => verifyChain([pki.leaf.der, pki.ca.der], { now: TEST_NOW, trustAnchors: ROOT, crls }),
      code('ERR_PKI_UNTRUSTED_ROOT'),
    );
    // And a genuine chain does not verify under the synthetic root, though the names match.
    assert.throws(
      () =>
        verifyChain(quoteChainPem('phala-dcap-qvl/sgx_quote'), {
          now: at('2025-07-19T10:01:17Z'),
          trustAnchors: pki.root.der,
          ...SKIP,
        }),
      code('ERR_PKI_UNTRUSTED_ROOT'),
    );
  });

  test('validity of the synthetic chain', async () => {
    const crls = await clean();
    assert.throws(
      () => verifyChain(chain, { ...opts(crls), now: new Date(TEST_NOT_BEFORE.getTime() - 1000) }),
      code('ERR_PKI_CERT_NOT_YET_VALID'),
    );
  });
});

describe('CA constraints (RFC 5280 §6.1.4) with synthetic certificates', async () => {
  const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const u = x509.KeyUsageFlags;
  const rootKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const leafKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const window = { notBefore: TEST_NOT_BEFORE, notAfter: TEST_NOT_AFTER, signingAlgorithm: EC };
  const mkRoot = (pathLen: number | undefined) =>
    x509.X509CertificateGenerator.createSelfSigned({
      ...window,
      serialNumber: '01',
      name: 'CN=Constraint Root',
      keys: rootKeys,
      extensions: [
        new x509.BasicConstraintsExtension(true, pathLen, true),
        new x509.KeyUsagesExtension(u.keyCertSign | u.cRLSign, true),
      ],
    });
  const mkCa = (extensions: x509.Extension[]) =>
    x509.X509CertificateGenerator.create({
      ...window,
      serialNumber: '02',
      subject: 'CN=Constraint CA',
      issuer: 'CN=Constraint Root',
      publicKey: caKeys.publicKey,
      signingKey: rootKeys.privateKey,
      extensions,
    });
  const mkLeaf = (extensions: x509.Extension[], signer = caKeys.privateKey, issuer = 'CN=Constraint CA') =>
    x509.X509CertificateGenerator.create({
      ...window,
      serialNumber: '03',
      subject: 'CN=Constraint Leaf',
      issuer,
      publicKey: leafKeys.publicKey,
      signingKey: signer,
      extensions,
    });
  const goodCaExt = [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(u.keyCertSign | u.cRLSign, true),
  ];
  const goodLeafExt = [new x509.KeyUsagesExtension(u.digitalSignature, true)];
  const der = (c: x509.X509Certificate) => new Uint8Array(c.rawData);
  const root = der(await mkRoot(1));
  const run = (chain: Uint8Array[], anchor = root) =>
    verifyChain(chain, { now: TEST_NOW, trustAnchors: anchor, ...SKIP });

  test('baseline verifies', async () => {
    run([der(await mkLeaf(goodLeafExt)), der(await mkCa(goodCaExt)), root]);
  });
  test('issuer without basicConstraints cA', async () => {
    const ca = der(
      await mkCa([
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(u.keyCertSign, true),
      ]),
    );
    const leaf = der(await mkLeaf(goodLeafExt));
    assert.throws(() => run([leaf, ca, root]), code('ERR_PKI_CA_CONSTRAINTS'));
  });
  test('issuer without keyCertSign', async () => {
    const ca = der(
      await mkCa([
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(u.cRLSign, true),
      ]),
    );
    const leaf = der(await mkLeaf(goodLeafExt));
    assert.throws(() => run([leaf, ca, root]), code('ERR_PKI_CA_CONSTRAINTS'));
  });
  test('pathLenConstraint 0 on the root with one intermediate', async () => {
    const strictRoot = der(await mkRoot(0));
    const chain = [der(await mkLeaf(goodLeafExt)), der(await mkCa(goodCaExt)), strictRoot];
    assert.throws(() => run(chain, strictRoot), code('ERR_PKI_CA_CONSTRAINTS', 'allows 0'));
  });
  test('leaf without digitalSignature', async () => {
    const chain = [
      der(await mkLeaf([new x509.KeyUsagesExtension(u.keyEncipherment, true)])),
      der(await mkCa(goodCaExt)),
      root,
    ];
    assert.throws(() => run(chain), code('ERR_PKI_CA_CONSTRAINTS'));
  });
  test('unsupported critical extension', async () => {
    const leaf = der(
      await mkLeaf([...goodLeafExt, new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1'], true)]),
    );
    const chain = [leaf, der(await mkCa(goodCaExt)), root];
    assert.throws(() => run(chain), code('ERR_PKI_CA_CONSTRAINTS', '2.5.29.37'));
  });
  test('leaf with the CA name but signed by the root key', async () => {
    const chain = [der(await mkLeaf(goodLeafExt, rootKeys.privateKey)), der(await mkCa(goodCaExt)), root];
    assert.throws(() => run(chain), code('ERR_PKI_SIGNATURE'));
  });
});

describe('leaf signature caching (DESIGN.md "Performance targets": off by default)', () => {
  const [leaf, ca, root] = decodePemBlocks(quoteChainPem('phala-dcap-qvl/sgx_quote')) as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  const opts = { now: at('2025-07-19T10:01:17Z'), trustAnchors: ROOT, ...SKIP };
  const checksOf = (fn: () => unknown): number => {
    const before = certificateSignatureChecks();
    fn();
    return certificateSignatureChecks() - before;
  };

  test('by default the leaf signature is computed on every call; the CA and root results are cached', () => {
    // Even with the leaf's result in the shared pki cache (isSignedBy remembers it), verifyChain re-checks.
    assert.equal(isSignedBy(leaf, ca), true);
    verifyChain([leaf, ca, root], opts);
    for (let i = 0; i < 3; i++)
      assert.equal(
        checksOf(() => verifyChain([leaf, ca, root], opts)),
        1,
      );
  });

  test('with a leafSignatureCache the leaf result is remembered there and reused', () => {
    const memo = new Map<string, true>();
    verifyChain([leaf, ca, root], { ...opts, leafSignatureCache: memo });
    assert.equal(memo.size, 1);
    assert.equal(
      checksOf(() => verifyChain([leaf, ca, root], { ...opts, leafSignatureCache: memo })),
      0,
    );
    // The same chain without the cache is checked again.
    assert.equal(
      checksOf(() => verifyChain([leaf, ca, root], opts)),
      1,
    );
  });

  test('a cache is trusted only when given: a bad leaf under a colliding cache key', () => {
    const bad = flip(leaf, leaf.length - 1);
    // A cache that answers "verified" for every key stands for a key collision.
    const colliding = { get: (): true => true, set: (): void => {} };
    verifyChain([bad, ca, root], { ...opts, leafSignatureCache: colliding });
    assert.throws(() => verifyChain([bad, ca, root], opts), code('ERR_PKI_SIGNATURE'));
  });
});
