/**
 * The Intel SGX PCK certificate extension, OID 1.2.840.113741.1.13.1 (Intel "SGX PCK Certificate
 * and Certificate Revocation List Profile Specification", §1.3.5; OIDs as in google/go-tdx-guest
 * `pcs/pcs.go`). DCAP-VERIFICATION.md §1.2 step C.
 *
 * ```
 * SGXExtensions ::= SEQUENCE OF SEQUENCE { type OID, value ANY }
 *   .1 PPID            OCTET STRING (16)
 *   .2 TCB             SEQUENCE OF SEQUENCE { OID, value }:
 *        .2.1-.2.16 SGX TCB components  INTEGER (0..255)
 *        .2.17      PCESVN              INTEGER (0..65535)
 *        .2.18      CPUSVN              OCTET STRING (16)
 *   .3 PCE-ID          OCTET STRING (2)
 *   .4 FMSPC           OCTET STRING (6)
 *   .5 SGX type        ENUMERATED (0 Standard, 1 Scalable, 2 ScalableWithIntegrity)
 *   .6 PlatformInstanceID   OCTET STRING (16)         (Platform CA certificates, optional)
 *   .7 Configuration        SEQUENCE OF SEQUENCE { OID, BOOLEAN }  (optional)
 *        .7.1 dynamicPlatform, .7.2 cachedKeys, .7.3 SMTEnabled (each optional)
 * ```
 *
 * Every failure is `ERR_PKI_PCK_EXTENSION` (the underlying DER error is its `cause`).
 *
 * @module
 */
import { isAttestError, VerificationError } from '../errors.ts';
import { toHex } from '../wire/hex.ts';
import { type CertificateInput, certificateEntry, OID } from './cert.ts';
import { type DerReader, parseDer } from './der.ts';

const SGX = OID.SGX_EXTENSIONS;

/** OIDs of the SGX extension's fields. */
export const SGX_EXTENSION_OID = {
  /** The extension itself. */
  SGX_EXTENSIONS: '1.2.840.113741.1.13.1',
  PPID: '1.2.840.113741.1.13.1.1',
  TCB: '1.2.840.113741.1.13.1.2',
  PCESVN: '1.2.840.113741.1.13.1.2.17',
  CPUSVN: '1.2.840.113741.1.13.1.2.18',
  PCE_ID: '1.2.840.113741.1.13.1.3',
  FMSPC: '1.2.840.113741.1.13.1.4',
  SGX_TYPE: '1.2.840.113741.1.13.1.5',
  PLATFORM_INSTANCE_ID: '1.2.840.113741.1.13.1.6',
  CONFIGURATION: '1.2.840.113741.1.13.1.7',
  DYNAMIC_PLATFORM: '1.2.840.113741.1.13.1.7.1',
  CACHED_KEYS: '1.2.840.113741.1.13.1.7.2',
  SMT_ENABLED: '1.2.840.113741.1.13.1.7.3',
} as const;

/** The SGX type names, indexed by the ENUMERATED value. */
export const SGX_TYPES: readonly ['Standard', 'Scalable', 'ScalableWithIntegrity'] = Object.freeze([
  'Standard',
  'Scalable',
  'ScalableWithIntegrity',
] as const);

/** The Configuration field of Platform CA issued PCK certificates (each flag optional). */
export interface PckConfiguration {
  /** Whether the platform can be extended with more packages. */
  readonly dynamicPlatform?: boolean | undefined;
  /** Whether platform root keys are cached by SGX registration backend. */
  readonly cachedKeys?: boolean | undefined;
  /** Whether simultaneous multithreading is enabled. */
  readonly smtEnabled?: boolean | undefined;
}

/** The parsed SGX extension of a PCK certificate: frozen, byte fields are copies. */
export interface PckExtensions {
  /** PPID, 16 bytes. */
  readonly ppid: Uint8Array;
  /** The 16 SGX TCB component SVNs (.2.1 … .2.16), in component order. */
  readonly tcbComponents: readonly number[];
  /** PCESVN (.2.17). */
  readonly pceSvn: number;
  /** The raw CPUSVN (.2.18), 16 bytes. */
  readonly cpuSvn: Uint8Array;
  /** PCE-ID, 2 bytes. */
  readonly pceId: Uint8Array;
  /** PCE-ID as lowercase hex (e.g. `0000`). */
  readonly pceIdHex: string;
  /** FMSPC, 6 bytes. */
  readonly fmspc: Uint8Array;
  /** FMSPC as uppercase hex, as Intel writes it (e.g. `00A067110000`). */
  readonly fmspcHex: string;
  /** SGX type: 0 Standard, 1 Scalable, 2 ScalableWithIntegrity. */
  readonly sgxType: number;
  /** The name of {@link PckExtensions.sgxType}. */
  readonly sgxTypeName: (typeof SGX_TYPES)[number];
  /** PlatformInstanceID, 16 bytes, when present (Platform CA issued certificates). */
  readonly platformInstanceId?: Uint8Array | undefined;
  /** Configuration, when present (Platform CA issued certificates). */
  readonly configuration?: PckConfiguration | undefined;
}

function fixedOctets(r: DerReader, field: string, n: number): Uint8Array {
  const at = r.offset;
  const v = r.octetString(field);
  if (v.length !== n) r.fail('ERR_DER_INVALID', field, `expected ${n} bytes, found ${v.length}`, at);
  return v;
}

function parseTcb(r: DerReader): { tcbComponents: number[]; pceSvn: number; cpuSvn: Uint8Array } {
  const components: (number | undefined)[] = new Array(16).fill(undefined);
  let pceSvn: number | undefined;
  let cpuSvn: Uint8Array | undefined;
  r.sequence('tcb', (t) => {
    let n = 0;
    while (!t.atEnd) {
      if (++n > 18) t.fail('ERR_DER_INVALID', '', 'more than 18 TCB fields');
      t.sequence('field', (f) => {
        const at = f.offset;
        const oid = f.oid('type');
        if (oid === SGX_EXTENSION_OID.PCESVN) {
          if (pceSvn !== undefined) f.fail('ERR_DER_INVALID', 'pcesvn', 'duplicate PCESVN', at);
          pceSvn = f.smallInteger('pcesvn', 0, 0xffff);
        } else if (oid === SGX_EXTENSION_OID.CPUSVN) {
          if (cpuSvn !== undefined) f.fail('ERR_DER_INVALID', 'cpusvn', 'duplicate CPUSVN', at);
          cpuSvn = fixedOctets(f, 'cpusvn', 16);
        } else if (oid.startsWith(`${SGX_EXTENSION_OID.TCB}.`)) {
          const idx = Number(oid.slice(SGX_EXTENSION_OID.TCB.length + 1));
          if (
            !Number.isInteger(idx) ||
            idx < 1 ||
            idx > 16 ||
            String(idx) !== oid.slice(SGX_EXTENSION_OID.TCB.length + 1)
          )
            f.fail('ERR_DER_INVALID', 'type', `unknown TCB field ${oid}`, at);
          if (components[idx - 1] !== undefined)
            f.fail('ERR_DER_INVALID', 'type', `duplicate TCB component ${idx}`, at);
          components[idx - 1] = f.smallInteger(`sgxTcbComp${idx}Svn`, 0, 255);
        } else {
          f.fail('ERR_DER_INVALID', 'type', `unknown TCB field ${oid}`, at);
        }
      });
    }
  });
  const missing = components.indexOf(undefined);
  if (missing >= 0) r.fail('ERR_DER_INVALID', 'tcb', `TCB component ${missing + 1} is missing`);
  if (pceSvn === undefined) return r.fail('ERR_DER_INVALID', 'tcb', 'PCESVN is missing');
  if (cpuSvn === undefined) return r.fail('ERR_DER_INVALID', 'tcb', 'CPUSVN is missing');
  return { tcbComponents: components as number[], pceSvn, cpuSvn };
}

function parseConfiguration(r: DerReader): PckConfiguration {
  const out: { dynamicPlatform?: boolean; cachedKeys?: boolean; smtEnabled?: boolean } = {};
  r.sequence('configuration', (c) => {
    while (!c.atEnd) {
      c.sequence('field', (f) => {
        const at = f.offset;
        const oid = f.oid('type');
        const key =
          oid === SGX_EXTENSION_OID.DYNAMIC_PLATFORM
            ? 'dynamicPlatform'
            : oid === SGX_EXTENSION_OID.CACHED_KEYS
              ? 'cachedKeys'
              : oid === SGX_EXTENSION_OID.SMT_ENABLED
                ? 'smtEnabled'
                : undefined;
        if (key === undefined) {
          f.skip('value'); // Unknown configuration flags are ignored.
          return;
        }
        if (out[key] !== undefined) f.fail('ERR_DER_INVALID', 'type', `duplicate ${key}`, at);
        out[key] = f.boolean(key);
      });
    }
  });
  return Object.freeze(out);
}

/**
 * Parses the DER value of the SGX extension (the contents of its `extnValue` OCTET STRING).
 * Throws `ERR_PKI_PCK_EXTENSION`.
 */
export function parseSgxExtensionValue(value: Uint8Array): PckExtensions {
  if (!(value instanceof Uint8Array)) throw new TypeError('expected the extension value bytes');
  try {
    return parseDer(value, 'sgxExtensions', (top) =>
      top.sequence('', (s) => {
        const seen = new Set<string>();
        let ppid: Uint8Array | undefined;
        let tcb: ReturnType<typeof parseTcb> | undefined;
        let pceId: Uint8Array | undefined;
        let fmspc: Uint8Array | undefined;
        let sgxType: number | undefined;
        let platformInstanceId: Uint8Array | undefined;
        let configuration: PckConfiguration | undefined;
        let n = 0;
        while (!s.atEnd) {
          if (++n > 32) s.fail('ERR_DER_INVALID', '', 'too many fields');
          s.sequence('field', (f) => {
            const at = f.offset;
            const oid = f.oid('type');
            if (seen.has(oid)) f.fail('ERR_DER_INVALID', 'type', `duplicate field ${oid}`, at);
            seen.add(oid);
            switch (oid) {
              case SGX_EXTENSION_OID.PPID:
                ppid = fixedOctets(f, 'ppid', 16);
                break;
              case SGX_EXTENSION_OID.TCB:
                tcb = parseTcb(f);
                break;
              case SGX_EXTENSION_OID.PCE_ID:
                pceId = fixedOctets(f, 'pceId', 2);
                break;
              case SGX_EXTENSION_OID.FMSPC:
                fmspc = fixedOctets(f, 'fmspc', 6);
                break;
              case SGX_EXTENSION_OID.SGX_TYPE:
                sgxType = f.enumerated('sgxType', SGX_TYPES.length - 1);
                break;
              case SGX_EXTENSION_OID.PLATFORM_INSTANCE_ID:
                platformInstanceId = fixedOctets(f, 'platformInstanceId', 16);
                break;
              case SGX_EXTENSION_OID.CONFIGURATION:
                configuration = parseConfiguration(f);
                break;
              default:
                // Fields added by later profile versions are ignored; their encoding is still checked.
                while (!f.atEnd) f.skip('value');
            }
          });
        }
        const need = (v: unknown, name: string): void => {
          if (v === undefined) s.fail('ERR_DER_INVALID', name, `${name} is missing`);
        };
        need(ppid, 'ppid');
        need(tcb, 'tcb');
        need(pceId, 'pceId');
        need(fmspc, 'fmspc');
        need(sgxType, 'sgxType');
        const t = tcb!;
        return Object.freeze({
          ppid: ppid!,
          tcbComponents: Object.freeze(t.tcbComponents),
          pceSvn: t.pceSvn,
          cpuSvn: t.cpuSvn,
          pceId: pceId!,
          pceIdHex: toHex(pceId!),
          fmspc: fmspc!,
          fmspcHex: toHex(fmspc!).toUpperCase(),
          sgxType: sgxType!,
          sgxTypeName: SGX_TYPES[sgxType!]!,
          platformInstanceId,
          configuration,
        });
      }),
    );
  } catch (cause) {
    if (isAttestError(cause) && cause.code.startsWith('ERR_DER_'))
      throw new VerificationError('ERR_PKI_PCK_EXTENSION', `SGX PCK extension: ${cause.message}`, { cause });
    throw cause;
  }
}

/**
 * Parses the SGX extension (OID 1.2.840.113741.1.13.1) of a PCK certificate (DER, PEM, node's
 * `X509Certificate` or a parsed {@link Certificate}). Throws `ERR_PKI_PCK_EXTENSION` when the
 * extension is absent or malformed (and `ERR_DER_*` when the certificate itself is).
 */
export function parsePckExtensions(cert: CertificateInput): PckExtensions {
  const entry = certificateEntry(cert);
  const ext = entry.extensions.find((e) => e.oid === SGX);
  if (ext === undefined)
    throw new VerificationError(
      'ERR_PKI_PCK_EXTENSION',
      `certificate "${entry.subjectCommonName ?? '?'}" has no SGX extension (${SGX})`,
    );
  return parseSgxExtensionValue(ext.value);
}
