/**
 * A synthetic, Intel-like SGX PKI, deterministic from a seed.
 *
 * It mirrors the shape of Intel's provisioning PKI (DCAP-VERIFICATION.md §1.2 B–E, §6.3): a root
 * CA, a PCK Platform or Processor CA below it, a PCK certificate carrying the SGX extension
 * (OID 1.2.840.113741.1.13.1), a TCB Signing certificate, a Root CA CRL and a PCK CRL. Key usages,
 * basic constraints, key identifiers (SKI = the certificate's serial, as Intel's are) and the
 * extension order follow the genuine certificates in `test/vectors/`. Every name says
 * "attestkit Simulated", and the CRL distribution points are under the reserved `.invalid` domain:
 * nothing here can be mistaken for Intel's, and a verifier trusts it only when its root is passed
 * as a trust anchor.
 *
 * @module
 */
import 'reflect-metadata';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  CRLDistributionPointsExtension,
  Extension,
  type JsonName,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
  X509CrlGenerator,
  X509CrlReason,
} from '@peculiar/x509';
import { toHex } from '../wire/hex.ts';
import { derBoolean, derEnumerated, derInteger, derOctetString, derOid, derSequence } from './der.ts';
import { deriveBytes, deriveP256Key, type SimKey, signWith } from './keys.ts';

/** Intel's SGX extension OID and its children (DCAP-VERIFICATION.md §1.2 C; go-tdx-guest `pcs/pcs.go`). */
export const SGX_EXTENSION_OID = '1.2.840.113741.1.13.1';

/** Subject common names of the simulated PKI. */
export const SIM_CN: {
  readonly root: 'attestkit Simulated SGX Root CA';
  readonly platformCa: 'attestkit Simulated SGX PCK Platform CA';
  readonly processorCa: 'attestkit Simulated SGX PCK Processor CA';
  readonly pck: 'attestkit Simulated SGX PCK Certificate';
  readonly tcbSigning: 'attestkit Simulated SGX TCB Signing';
} = Object.freeze({
  root: 'attestkit Simulated SGX Root CA',
  platformCa: 'attestkit Simulated SGX PCK Platform CA',
  processorCa: 'attestkit Simulated SGX PCK Processor CA',
  pck: 'attestkit Simulated SGX PCK Certificate',
  tcbSigning: 'attestkit Simulated SGX TCB Signing',
} as const);

const SIM_ORG = 'attestkit simulation (not Intel)';
const CRL_BASE = 'https://pcs.attestkit-sim.invalid';
/** The simulated Root CA CRL distribution point (cf. Intel's `IntelSGXRootCA.der`). */
export const SIM_ROOT_CRL_URL: string = `${CRL_BASE}/AttestkitSimulatedSGXRootCA.der`;

const DAY_MS = 86_400_000;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Which PCK CA issued the PCK certificate (Intel's `SGX-PCK-Certificate-CA-Type`). */
export type PckCaType = 'processor' | 'platform';

/** The platform facts a PCK certificate's SGX extension carries. */
export interface PckPlatformInfo {
  /** PPID, 16 bytes. */
  readonly ppid: Uint8Array;
  /** The raw CPUSVN, 16 bytes; component i (1-based) is byte i − 1. */
  readonly cpuSvn: Uint8Array;
  readonly pceSvn: number;
  /** PCE-ID, 2 bytes. */
  readonly pceId: Uint8Array;
  /** FMSPC, 6 bytes. */
  readonly fmspc: Uint8Array;
  readonly caType: PckCaType;
  /** Platform CA only: PlatformInstanceID, 16 bytes. */
  readonly platformInstanceId?: Uint8Array;
}

function sgxOid(suffix: string): Uint8Array {
  return derOid(`${SGX_EXTENSION_OID}.${suffix}`);
}

/**
 * DER of the SGX extension value, laid out as Intel's PCK certificates are: a SEQUENCE of
 * SEQUENCE{OID, value} for PPID (.1, OCTET STRING), TCB (.2: SEQUENCE of .2.1–.2.16 component SVNs
 * as INTEGERs, .2.17 PCESVN INTEGER, .2.18 CPUSVN OCTET STRING), PCE-ID (.3), FMSPC (.4), SGX Type
 * (.5, ENUMERATED 0 = Standard for the Processor CA, 1 = Scalable for the Platform CA), and for
 * the Platform CA PlatformInstanceID (.6) and Configuration (.7: dynamicPlatform, cachedKeys,
 * SMTEnabled BOOLEANs).
 */
export function encodePckSgxExtension(info: PckPlatformInfo): Uint8Array {
  if (
    info.ppid.length !== 16 ||
    info.cpuSvn.length !== 16 ||
    info.pceId.length !== 2 ||
    info.fmspc.length !== 6
  )
    throw new RangeError('PPID and CPUSVN are 16 bytes, PCE-ID 2, FMSPC 6');
  const tcb: Uint8Array[] = [];
  for (let i = 0; i < 16; i++) tcb.push(derSequence(sgxOid(`2.${i + 1}`), derInteger(info.cpuSvn[i]!)));
  tcb.push(derSequence(sgxOid('2.17'), derInteger(info.pceSvn)));
  tcb.push(derSequence(sgxOid('2.18'), derOctetString(info.cpuSvn)));
  const parts = [
    derSequence(sgxOid('1'), derOctetString(info.ppid)),
    derSequence(sgxOid('2'), derSequence(...tcb)),
    derSequence(sgxOid('3'), derOctetString(info.pceId)),
    derSequence(sgxOid('4'), derOctetString(info.fmspc)),
    derSequence(sgxOid('5'), derEnumerated(info.caType === 'platform' ? 1 : 0)),
  ];
  if (info.caType === 'platform') {
    const instance = info.platformInstanceId ?? new Uint8Array(16);
    if (instance.length !== 16) throw new RangeError('PlatformInstanceID is 16 bytes');
    parts.push(derSequence(sgxOid('6'), derOctetString(instance)));
    parts.push(
      derSequence(
        sgxOid('7'),
        derSequence(
          derSequence(sgxOid('7.1'), derBoolean(true)),
          derSequence(sgxOid('7.2'), derBoolean(true)),
          derSequence(sgxOid('7.3'), derBoolean(true)),
        ),
      ),
    );
  }
  return derSequence(...parts);
}

/** One certificate of the simulated PKI. */
export interface SimCertificate {
  /** PEM, 64-character lines, `\n` line ends, ending in a newline. */
  readonly pem: string;
  readonly der: Uint8Array;
  /** Serial number, lowercase hex (20 bytes, positive, minimal). */
  readonly serial: string;
  /** The subject common name. */
  readonly commonName: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The certified key pair. */
  readonly key: SimKey;
}

/** The certificates of a simulated platform (CRLs are separate: they depend on `now`). */
export interface SimulatedPki {
  readonly root: SimCertificate;
  /** The PCK Platform CA or the PCK Processor CA, by {@link PckPlatformInfo.caType}. */
  readonly pckCa: SimCertificate;
  readonly pck: SimCertificate;
  readonly tcbSigning: SimCertificate;
  readonly caType: PckCaType;
  /** The platform facts in the PCK certificate's SGX extension. */
  readonly platform: PckPlatformInfo;
  /** PCK leaf, PCK CA, root (the order of quote certification data type 5). */
  readonly pckChainPem: string;
  /** PCK CA, root (`SGX-PCK-CRL-Issuer-Chain`, `pck_crl_issuer_chain`). */
  readonly pckCrlIssuerChainPem: string;
  /** TCB Signing, root (`TCB-Info-Issuer-Chain`, `SGX-Enclave-Identity-Issuer-Chain`). */
  readonly tcbIssuerChainPem: string;
}

/** Inputs of {@link createSimulatedPki}. */
export interface SimulatedPkiOptions {
  /** The seed every key, serial and identifier derives from. */
  readonly seed: Uint8Array;
  /** notBefore of every certificate. */
  readonly notBefore: Date;
  /** The PCK platform facts (PPID, TCB, PCE-ID, FMSPC, CA type). */
  readonly platform: PckPlatformInfo;
}

/** DER → PEM (RFC 7468 §2: base64 in 64-character lines). */
export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A 20-byte serial whose first byte is 0x40–0x7f, so its DER INTEGER is exactly 20 bytes. */
function deriveSerial(seed: Uint8Array, label: string): string {
  const b = deriveBytes(seed, `serial/${label}`, 20);
  b[0] = (b[0]! & 0x3f) | 0x40;
  return toHex(b);
}

// --- deterministic signing through @peculiar/x509 -------------------------------------------------

const SIGNING_KEYS = new WeakMap<object, SimKey>();

type SigningKeyParam = Parameters<typeof X509CrlGenerator.create>[0]['signingKey'];

/** A stand-in CryptoKey for @peculiar/x509: it only carries the algorithm; our provider signs. */
function signingHandle(key: SimKey): SigningKeyParam {
  const handle = {
    type: 'private',
    extractable: false,
    algorithm: { name: 'ECDSA', namedCurve: 'P-256' },
    usages: ['sign'],
  };
  SIGNING_KEYS.set(handle, key);
  return handle as unknown as SigningKeyParam;
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('expected a BufferSource');
}

/**
 * The WebCrypto provider handed to @peculiar/x509: `sign` is RFC 6979 deterministic ECDSA with the
 * seed-derived key, so certificates and CRLs are byte-identical for the same seed. Randomness is
 * refused, so any hidden non-determinism fails loudly.
 */
const DETERMINISTIC_PROVIDER = {
  subtle: {
    async sign(_algorithm: unknown, key: object, data: unknown): Promise<ArrayBuffer> {
      const simKey = SIGNING_KEYS.get(key);
      if (simKey === undefined) throw new TypeError('unknown simulator signing key');
      const sig = signWith(simKey, toBytes(data));
      return sig.buffer.slice(sig.byteOffset, sig.byteOffset + sig.byteLength) as ArrayBuffer;
    },
    digest(algorithm: string, data: unknown): Promise<ArrayBuffer> {
      return globalThis.crypto.subtle.digest(algorithm, toBytes(data));
    },
  },
  getRandomValues(): never {
    throw new Error('the simulator PKI must not use randomness');
  },
};
type ProviderParam = Parameters<typeof X509CrlGenerator.create>[1];
const PROVIDER = DETERMINISTIC_PROVIDER as unknown as ProviderParam;

function simName(commonName: string): JsonName {
  return [{ CN: [commonName] }, { O: [SIM_ORG] }];
}

interface CertSpec {
  readonly commonName: string;
  readonly issuer: { readonly commonName: string; readonly serial: string; readonly key: SimKey } | undefined;
  readonly key: SimKey;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly crlUrl: string;
  readonly ca: boolean;
  readonly pathLength?: number;
  readonly extra?: readonly Extension[];
}

async function issue(spec: CertSpec): Promise<SimCertificate> {
  const issuerSerial = spec.issuer?.serial ?? spec.serial;
  const signer = spec.issuer?.key ?? spec.key;
  // Extension order of Intel's certificates: AKI, CRL DP, SKI, key usage, basic constraints, [SGX].
  const extensions: Extension[] = [
    new AuthorityKeyIdentifierExtension(issuerSerial),
    new CRLDistributionPointsExtension([spec.crlUrl]),
    new SubjectKeyIdentifierExtension(spec.serial),
    new KeyUsagesExtension(
      spec.ca
        ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign
        : KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation,
      true,
    ),
    new BasicConstraintsExtension(spec.ca, spec.pathLength, true),
    ...(spec.extra ?? []),
  ];
  const cert = await X509CertificateGenerator.create(
    {
      serialNumber: spec.serial,
      subject: simName(spec.commonName),
      issuer: simName(spec.issuer?.commonName ?? spec.commonName),
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      publicKey: spec.key.spki,
      signingKey: signingHandle(signer),
      signingAlgorithm: ECDSA_SHA256,
      extensions,
    },
    PROVIDER,
  );
  const der = new Uint8Array(cert.rawData);
  return Object.freeze({
    pem: derToPem(der),
    der,
    serial: spec.serial,
    commonName: spec.commonName,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    key: spec.key,
  });
}

function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/**
 * Creates the simulated root CA, PCK CA (platform or processor), PCK certificate and TCB Signing
 * certificate. Validity, like Intel's: root 20 years, PCK CA 15, TCB Signing and PCK 7, all from
 * `notBefore`. Keys derive from labels `pki/root`, `pki/pck-platform-ca` or `pki/pck-processor-ca`,
 * `pki/pck`, `pki/tcb-signing`.
 */
export async function createSimulatedPki(options: SimulatedPkiOptions): Promise<SimulatedPki> {
  const { seed, platform } = options;
  const notBefore = wholeSeconds(options.notBefore);
  const years = (n: number): Date => new Date(notBefore.getTime() + n * 365 * DAY_MS);
  const caLabel = platform.caType === 'platform' ? 'pck-platform-ca' : 'pck-processor-ca';
  const caCn = platform.caType === 'platform' ? SIM_CN.platformCa : SIM_CN.processorCa;

  const rootKey = deriveP256Key(seed, 'pki/root');
  const rootSerial = deriveSerial(seed, 'pki/root');
  const root = await issue({
    commonName: SIM_CN.root,
    issuer: undefined,
    key: rootKey,
    serial: rootSerial,
    notBefore,
    notAfter: years(20),
    crlUrl: SIM_ROOT_CRL_URL,
    ca: true,
    pathLength: 1,
  });
  const rootIssuer = { commonName: SIM_CN.root, serial: rootSerial, key: rootKey };

  const caKey = deriveP256Key(seed, `pki/${caLabel}`);
  const caSerial = deriveSerial(seed, `pki/${caLabel}`);
  const pckCa = await issue({
    commonName: caCn,
    issuer: rootIssuer,
    key: caKey,
    serial: caSerial,
    notBefore,
    notAfter: years(15),
    crlUrl: SIM_ROOT_CRL_URL,
    ca: true,
    pathLength: 0,
  });

  const pck = await issue({
    commonName: SIM_CN.pck,
    issuer: { commonName: caCn, serial: caSerial, key: caKey },
    key: deriveP256Key(seed, 'pki/pck'),
    serial: deriveSerial(seed, 'pki/pck'),
    notBefore,
    notAfter: years(7),
    crlUrl: `${CRL_BASE}/sgx/certification/v4/pckcrl?ca=${platform.caType}&encoding=der`,
    ca: false,
    extra: [new Extension(SGX_EXTENSION_OID, false, encodePckSgxExtension(platform))],
  });

  const tcbSigning = await issue({
    commonName: SIM_CN.tcbSigning,
    issuer: rootIssuer,
    key: deriveP256Key(seed, 'pki/tcb-signing'),
    serial: deriveSerial(seed, 'pki/tcb-signing'),
    notBefore,
    notAfter: years(7),
    crlUrl: SIM_ROOT_CRL_URL,
    ca: false,
  });

  return Object.freeze({
    root,
    pckCa,
    pck,
    tcbSigning,
    caType: platform.caType,
    platform,
    pckChainPem: pck.pem + pckCa.pem + root.pem,
    pckCrlIssuerChainPem: pckCa.pem + root.pem,
    tcbIssuerChainPem: tcbSigning.pem + root.pem,
  });
}

/** The two CRLs of the simulated PKI, DER. */
export interface SimulatedCrls {
  /** Issued by the root; lists revoked PCK CA and TCB Signing serials. */
  readonly rootCaCrl: Uint8Array;
  /** Issued by the PCK CA; lists revoked PCK certificate serials. */
  readonly pckCrl: Uint8Array;
}

/** Inputs of {@link createSimulatedCrls}. */
export interface SimulatedCrlOptions {
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /**
   * Serials (hex, any case) to revoke. A serial of a certificate the root issued (the PCK CA, the
   * TCB Signing certificate) goes on the Root CA CRL; any other serial goes on the PCK CRL.
   */
  readonly revokedSerials?: readonly string[];
}

function normaliseSerial(serial: string): string {
  const s = serial
    .trim()
    .toLowerCase()
    .replace(/^0x/, '')
    .replace(/^(?:00)+(?=..)/, '');
  if (!/^(?:[0-9a-f]{2})+$/.test(s)) throw new RangeError(`not a hex serial: ${serial}`);
  return s;
}

async function issueCrl(
  issuer: SimCertificate,
  serials: readonly string[],
  thisUpdate: Date,
  nextUpdate: Date,
): Promise<Uint8Array> {
  const crl = await X509CrlGenerator.create(
    {
      issuer: simName(issuer.commonName),
      thisUpdate,
      nextUpdate,
      signingAlgorithm: ECDSA_SHA256,
      signingKey: signingHandle(issuer.key),
      // Intel's CRLs carry a CRL Number of 1 and the issuer's key identifier (RFC 5280 §5.2.1, §5.2.3).
      extensions: [
        new Extension('2.5.29.20', false, derInteger(1)),
        new AuthorityKeyIdentifierExtension(issuer.serial),
      ],
      entries: serials.map((serialNumber) => ({
        serialNumber,
        revocationDate: thisUpdate,
        reason: X509CrlReason.keyCompromise,
      })),
    },
    PROVIDER,
  );
  return new Uint8Array(crl.rawData);
}

/** Issues the Root CA CRL and the PCK CRL for `pki`. */
export async function createSimulatedCrls(
  pki: SimulatedPki,
  options: SimulatedCrlOptions,
): Promise<SimulatedCrls> {
  const rootIssued = new Set([pki.pckCa.serial, pki.tcbSigning.serial]);
  const revoked = [...new Set((options.revokedSerials ?? []).map(normaliseSerial))];
  const thisUpdate = wholeSeconds(options.thisUpdate);
  const nextUpdate = wholeSeconds(options.nextUpdate);
  return Object.freeze({
    rootCaCrl: await issueCrl(
      pki.root,
      revoked.filter((s) => rootIssued.has(s)),
      thisUpdate,
      nextUpdate,
    ),
    pckCrl: await issueCrl(
      pki.pckCa,
      revoked.filter((s) => !rootIssued.has(s)),
      thisUpdate,
      nextUpdate,
    ),
  });
}
