/**
 * Shared helpers of the pki tests: vector loading, the PCK chain inside a quote (located by its
 * PEM markers, since the quote parser belongs to another layer), and a synthetic Intel-like PKI
 * made with @peculiar/x509 for revocation tests.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

const VECTORS = new URL('../vectors/', import.meta.url);

/** The bytes of a file under test/vectors/. */
export function vector(path: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(path, VECTORS)));
}

/** The text of a file under test/vectors/. */
export function vectorText(path: string): string {
  return readFileSync(new URL(path, VECTORS), 'utf8');
}

/** The PEM PCK chain embedded in a quote file: from the first BEGIN to the last END marker. */
export function quoteChainPem(path: string): string {
  const text = Buffer.from(vector(path)).toString('latin1');
  const begin = text.indexOf('-----BEGIN CERTIFICATE-----');
  const endMarker = '-----END CERTIFICATE-----';
  const end = text.lastIndexOf(endMarker);
  if (begin < 0 || end < 0) throw new Error(`no PEM chain in ${path}`);
  return text.slice(begin, end + endMarker.length);
}

/** The absolute byte offset of the PEM chain in a quote file. */
export function quoteChainOffset(path: string): number {
  return Buffer.from(vector(path)).indexOf('-----BEGIN CERTIFICATE-----');
}

/** A phala-dcap-qvl collateral JSON file. */
export interface PhalaCollateral {
  readonly pck_crl_issuer_chain: string;
  readonly root_ca_crl: string;
  readonly pck_crl: string;
  readonly tcb_info_issuer_chain: string;
  readonly qe_identity_issuer_chain: string;
}

/** Loads a phala-dcap-qvl collateral file. */
export function phalaCollateral(path: string): PhalaCollateral {
  return JSON.parse(vectorText(path)) as PhalaCollateral;
}

/** Hex to bytes. */
export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** A copy of `bytes` with byte `i` XORed with `mask`. */
export function flip(bytes: Uint8Array, i: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[i] = out[i]! ^ mask;
  return out;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** One synthetic CA: its certificate and key. */
export interface TestCa {
  readonly cert: x509.X509Certificate;
  readonly der: Uint8Array;
  readonly keys: webcrypto.CryptoKeyPair;
}

/** A synthetic chain shaped like Intel's: root → PCK Platform CA → PCK leaf. */
export interface TestPki {
  readonly root: TestCa;
  readonly ca: TestCa;
  readonly leaf: TestCa;
  /** Signs a CRL by `issuer` listing `serials`. */
  crl(issuer: TestCa, serials: readonly string[], thisUpdate?: Date, nextUpdate?: Date): Promise<Uint8Array>;
}

/** Validity of the synthetic certificates. */
export const TEST_NOT_BEFORE: Date = new Date('2024-01-01T00:00:00Z');
export const TEST_NOT_AFTER: Date = new Date('2034-01-01T00:00:00Z');
/** A time inside every synthetic validity window and CRL window. */
export const TEST_NOW: Date = new Date('2024-06-15T00:00:00Z');

const INTEL_NAME = 'O=Intel Corporation, L=Santa Clara, ST=CA, C=US';

/**
 * Builds a synthetic PKI whose names mirror Intel's (so the role checks apply), rooted in a key
 * that is not Intel's.
 */
export async function makeTestPki(rootCn = 'Intel SGX Root CA'): Promise<TestPki> {
  const usage = x509.KeyUsageFlags;
  const rootKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const rootName = `CN=${rootCn}, ${INTEL_NAME}`;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: rootName,
    notBefore: TEST_NOT_BEFORE,
    notAfter: TEST_NOT_AFTER,
    keys: rootKeys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(usage.keyCertSign | usage.cRLSign, true),
    ],
  });
  const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const caName = `CN=Intel SGX PCK Platform CA, ${INTEL_NAME}`;
  const ca = await x509.X509CertificateGenerator.create({
    serialNumber: '0a0b',
    subject: caName,
    issuer: root.subject,
    notBefore: TEST_NOT_BEFORE,
    notAfter: TEST_NOT_AFTER,
    publicKey: caKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(usage.keyCertSign | usage.cRLSign, true),
    ],
  });
  const leafKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '7e57c0de',
    subject: `CN=Intel SGX PCK Certificate, ${INTEL_NAME}`,
    issuer: ca.subject,
    notBefore: TEST_NOT_BEFORE,
    notAfter: TEST_NOT_AFTER,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usage.digitalSignature | usage.nonRepudiation, true),
    ],
  });
  const wrap = (cert: x509.X509Certificate, keys: webcrypto.CryptoKeyPair): TestCa => ({
    cert,
    der: new Uint8Array(cert.rawData),
    keys,
  });
  return {
    root: wrap(root, rootKeys),
    ca: wrap(ca, caKeys),
    leaf: wrap(leaf, leafKeys),
    async crl(
      issuer,
      serials,
      thisUpdate = new Date('2024-06-01T00:00:00Z'),
      nextUpdate = new Date('2024-07-01T00:00:00Z'),
    ) {
      const crl = await x509.X509CrlGenerator.create({
        issuer: issuer.cert.subject,
        thisUpdate,
        nextUpdate,
        signingKey: issuer.keys.privateKey,
        signingAlgorithm: EC,
        entries: serials.map((serialNumber) => ({
          serialNumber,
          revocationDate: thisUpdate,
          reason: x509.X509CrlReason.keyCompromise,
        })),
      });
      return new Uint8Array(crl.rawData);
    },
  };
}
