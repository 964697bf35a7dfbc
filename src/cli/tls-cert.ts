/**
 * A self-signed TLS certificate for the Application (`attestkit keygen`, `attestkit demo`): ECDSA
 * P-256, names `localhost` and `127.0.0.1`, signed with node's crypto over a TBSCertificate laid out
 * with the simulator's DER encoder (RFC 5280 §4.1). The SP pins exactly this certificate
 * (`--tls-ca`), as the seed's SP pins `server.crt` (PROTOCOL-SEED.md §3.2).
 *
 * @module
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { derBoolean, derInteger, derOctetString, derOid, derSequence, derTlv } from '../sim/der.ts';
import { concatBytes } from '../wire/hex.ts';

/** A certificate and its key, PEM. */
export interface TlsIdentity {
  readonly certPem: string;
  readonly keyPem: string;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

const TAG = {
  BIT_STRING: 0x03,
  UTF8_STRING: 0x0c,
  SET: 0x31,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  CONTEXT_0: 0xa0,
  CONTEXT_3: 0xa3,
  SAN_DNS: 0x82,
  SAN_IP: 0x87,
} as const;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function bitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  return derTlv(TAG.BIT_STRING, concatBytes(Uint8Array.of(unusedBits), bytes));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(d: Date): Uint8Array {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return d.getUTCFullYear() < 2050
    ? derTlv(TAG.UTC_TIME, utf8(digits.slice(2)))
    : derTlv(TAG.GENERALIZED_TIME, utf8(digits));
}

function name(commonName: string): Uint8Array {
  const rdn = (oid: string, value: string) =>
    derTlv(TAG.SET, derSequence(derOid(oid), derTlv(TAG.UTF8_STRING, utf8(value))));
  return derSequence(rdn(OID.organization, 'attestkit'), rdn(OID.commonName, commonName));
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? derSequence(derOid(oid), derBoolean(true), derOctetString(value))
    : derSequence(derOid(oid), derOctetString(value));
}

/** Options of {@link createSelfSignedTlsIdentity}. */
export interface SelfSignedOptions {
  /** Subject common name (default `attestkit Application`). */
  readonly commonName?: string;
  /** DNS names (default `localhost`). */
  readonly dnsNames?: readonly string[];
  /** IPv4 addresses (default `127.0.0.1`). */
  readonly ipAddresses?: readonly string[];
  /** notBefore (default: now minus one hour). */
  readonly notBefore?: Date;
  /** Validity in days (default 825). */
  readonly days?: number;
}

function ipv4(ip: string): Uint8Array {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`not an IPv4 address: ${ip}`);
  }
  return Uint8Array.from(parts);
}

/** Makes a fresh P-256 key and a self-signed certificate for it (see the module comment). */
export function createSelfSignedTlsIdentity(options: SelfSignedOptions = {}): TlsIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
  const notAfter = new Date(notBefore.getTime() + (options.days ?? 825) * 86_400_000);
  const serial = new Uint8Array(randomBytes(16));
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and 16 bytes long
  const subject = name(options.commonName ?? 'attestkit Application');
  const sigAlg = derSequence(derOid(OID.ecdsaWithSha256));
  const san = derSequence(
    ...(options.dnsNames ?? ['localhost']).map((n) => derTlv(TAG.SAN_DNS, utf8(n))),
    ...(options.ipAddresses ?? ['127.0.0.1']).map((ip) => derTlv(TAG.SAN_IP, ipv4(ip))),
  );
  const extensions = derSequence(
    // CA:TRUE so the pinned certificate is its own trust anchor (as the seed's server.crt).
    extension(OID.basicConstraints, true, derSequence(derBoolean(true))),
    // digitalSignature (bit 0) and keyCertSign (bit 5): 0b1000_0100, 2 unused bits.
    extension(OID.keyUsage, true, bitString(Uint8Array.of(0x84), 2)),
    extension(OID.extKeyUsage, false, derSequence(derOid(OID.serverAuth))),
    extension(OID.subjectAltName, false, san),
  );
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const tbs = derSequence(
    derTlv(TAG.CONTEXT_0, derInteger(2)), // v3
    derTlv(0x02, serial),
    sigAlg,
    subject,
    derSequence(time(notBefore), time(notAfter)),
    subject,
    spki,
    derTlv(TAG.CONTEXT_3, extensions),
  );
  const signature = new Uint8Array(sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' }));
  const cert = derSequence(tbs, sigAlg, bitString(signature));
  const b64 = Buffer.from(cert)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return Object.freeze({
    certPem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  });
}
