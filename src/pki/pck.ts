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
import { type CertEntry, type CertificateInput, certificateEntry, OID } from './cert.ts';
import { type DerReader, parseDer } from './der.ts';
import { TAG as FAST_TAG, at as fastAt, tlv as fastTlv } from './fast.ts';

// Module-local bindings for the fast path: loaders that compile modules to CommonJS (tsx, which the
// bench runs under) turn each use of an imported binding into a getter call, 4x slower in these loops.
const at = fastAt;
const tlv = fastTlv;
const TAG = FAST_TAG;

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

// ---- Fast path (see fast.ts) ----
//
// PCK certificates carry the SGX extension in one canonical shape. `fastSgxExtension` reads that
// shape directly (no reader objects, OIDs compared as bytes) and gives up, returning undefined, at
// anything else: a non-minimal or unexpected encoding, an unknown or repeated field, a value out of
// range. The caller then runs the general parser, which either accepts the input with the same
// result or throws the precise error. So the fast path never accepts what the general one refuses.

/** Content octets of OID 1.2.840.113741.1.13.1 (the SGX extension); its fields add one or two arcs. */
const SGX_OID_PREFIX = [0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01] as const;

/**
 * Reads an OID at `p` that is the SGX prefix plus `arcs` more single-octet arcs, the first equal
 * to `first` when given; returns the last arc, or -1.
 */
function sgxOid(b: Uint8Array, p: number, end: number, arcs: 1 | 2, first?: number): number {
  if (!tlv(b, p, end, TAG.OID) || at.end - at.start !== SGX_OID_PREFIX.length + arcs) return -1;
  for (let i = 0; i < SGX_OID_PREFIX.length; i++) if (b[at.start + i] !== SGX_OID_PREFIX[i]) return -1;
  const a = b[at.start + SGX_OID_PREFIX.length]!;
  const last = b[at.end - 1]!;
  if (arcs === 2 && a !== first) return -1;
  if (a >= 0x80 || last >= 0x80 || last === 0) return -1;
  return last;
}

/** A minimal, non-negative INTEGER (or ENUMERATED) of at most `max` at the current content bounds, or -1. */
function smallUnsigned(b: Uint8Array, max: number): number {
  const n = at.end - at.start;
  const b0 = b[at.start]!;
  let v: number;
  if (n === 1) v = b0 < 0x80 ? b0 : -1;
  else if (n === 2) {
    const b1 = b[at.start + 1]!;
    v = b0 === 0 ? (b1 >= 0x80 ? b1 : -1) : b0 < 0x80 ? (b0 << 8) | b1 : -1;
  } else if (n === 3 && b0 === 0 && b[at.start + 1]! >= 0x80) v = (b[at.start + 1]! << 8) | b[at.start + 2]!;
  else v = -1;
  return v > max ? -1 : v;
}

/** An OCTET STRING of exactly `size` octets at `p`: a copy, or undefined. */
function fixedOctetsAt(b: Uint8Array, p: number, end: number, size: number): Uint8Array | undefined {
  if (!tlv(b, p, end, TAG.OCTET_STRING) || at.end - at.start !== size || at.end !== end) return undefined;
  return b.slice(at.start, at.end);
}

function fastTcb(
  b: Uint8Array,
  p: number,
  end: number,
): { tcbComponents: number[]; pceSvn: number; cpuSvn: Uint8Array } | undefined {
  if (!tlv(b, p, end, TAG.SEQUENCE) || at.end !== end) return undefined;
  const components: number[] = new Array<number>(16).fill(0);
  let pceSvn = -1;
  let cpuSvn: Uint8Array | undefined;
  let seen = 0;
  let q = at.start;
  while (q < end) {
    if (!tlv(b, q, end, TAG.SEQUENCE)) return undefined;
    const fieldEnd = at.end;
    const n = sgxOid(b, at.start, fieldEnd, 2, 2);
    if (n < 1 || n > 18 || (seen & (1 << n)) !== 0) return undefined;
    seen |= 1 << n;
    const valueAt = at.end;
    if (n === 18) {
      cpuSvn = fixedOctetsAt(b, valueAt, fieldEnd, 16);
      if (cpuSvn === undefined) return undefined;
    } else {
      if (!tlv(b, valueAt, fieldEnd, TAG.INTEGER) || at.end !== fieldEnd) return undefined;
      const v = smallUnsigned(b, n === 17 ? 0xffff : 0xff);
      if (v < 0) return undefined;
      if (n === 17) pceSvn = v;
      else components[n - 1] = v;
    }
    q = fieldEnd;
  }
  // All 16 components, PCESVN and CPUSVN: bits 1..18.
  if (seen !== 0x7fffe || cpuSvn === undefined) return undefined;
  return { tcbComponents: components, pceSvn, cpuSvn };
}

const CONFIGURATION_KEYS = [undefined, 'dynamicPlatform', 'cachedKeys', 'smtEnabled'] as const;

function fastConfiguration(b: Uint8Array, p: number, end: number): PckConfiguration | undefined {
  if (!tlv(b, p, end, TAG.SEQUENCE) || at.end !== end) return undefined;
  const out: { dynamicPlatform?: boolean; cachedKeys?: boolean; smtEnabled?: boolean } = {};
  let q = at.start;
  while (q < end) {
    if (!tlv(b, q, end, TAG.SEQUENCE)) return undefined;
    const fieldEnd = at.end;
    const key = CONFIGURATION_KEYS[sgxOid(b, at.start, fieldEnd, 2, 7)];
    if (key === undefined || out[key] !== undefined) return undefined;
    if (!tlv(b, at.end, fieldEnd, TAG.BOOLEAN) || at.end !== fieldEnd || fieldEnd - at.start !== 1)
      return undefined;
    const v = b[at.start];
    if (v !== 0x00 && v !== 0xff) return undefined;
    out[key] = v === 0xff;
    q = fieldEnd;
  }
  return Object.freeze(out);
}

/** The SGX extension in its canonical shape, or undefined for anything else (see above). */
function fastSgxExtension(b: Uint8Array): PckExtensions | undefined {
  const end = b.length;
  if (!tlv(b, 0, end, TAG.SEQUENCE) || at.end !== end) return undefined;
  let ppid: Uint8Array | undefined;
  let tcb: ReturnType<typeof fastTcb>;
  let pceId: Uint8Array | undefined;
  let fmspc: Uint8Array | undefined;
  let sgxType = -1;
  let platformInstanceId: Uint8Array | undefined;
  let configuration: PckConfiguration | undefined;
  let seen = 0;
  let q = at.start;
  while (q < end) {
    if (!tlv(b, q, end, TAG.SEQUENCE)) return undefined;
    const fieldEnd = at.end;
    const n = sgxOid(b, at.start, fieldEnd, 1);
    if (n < 1 || n > 7 || (seen & (1 << n)) !== 0) return undefined;
    seen |= 1 << n;
    const valueAt = at.end;
    switch (n) {
      case 1:
        ppid = fixedOctetsAt(b, valueAt, fieldEnd, 16);
        if (ppid === undefined) return undefined;
        break;
      case 2:
        tcb = fastTcb(b, valueAt, fieldEnd);
        if (tcb === undefined) return undefined;
        break;
      case 3:
        pceId = fixedOctetsAt(b, valueAt, fieldEnd, 2);
        if (pceId === undefined) return undefined;
        break;
      case 4:
        fmspc = fixedOctetsAt(b, valueAt, fieldEnd, 6);
        if (fmspc === undefined) return undefined;
        break;
      case 5:
        if (!tlv(b, valueAt, fieldEnd, TAG.ENUMERATED) || at.end !== fieldEnd) return undefined;
        sgxType = smallUnsigned(b, SGX_TYPES.length - 1);
        if (sgxType < 0) return undefined;
        break;
      case 6:
        platformInstanceId = fixedOctetsAt(b, valueAt, fieldEnd, 16);
        if (platformInstanceId === undefined) return undefined;
        break;
      default:
        configuration = fastConfiguration(b, valueAt, fieldEnd);
        if (configuration === undefined) return undefined;
    }
    q = fieldEnd;
  }
  if (ppid === undefined || tcb === undefined || pceId === undefined || fmspc === undefined || sgxType < 0)
    return undefined;
  return Object.freeze({
    ppid,
    tcbComponents: Object.freeze(tcb.tcbComponents),
    pceSvn: tcb.pceSvn,
    cpuSvn: tcb.cpuSvn,
    pceId,
    pceIdHex: toHex(pceId),
    fmspc,
    fmspcHex: toHex(fmspc).toUpperCase(),
    sgxType,
    sgxTypeName: SGX_TYPES[sgxType]!,
    platformInstanceId,
    configuration,
  });
}

/**
 * Parses the DER value of the SGX extension (the contents of its `extnValue` OCTET STRING).
 * Throws `ERR_PKI_PCK_EXTENSION`.
 */
export function parseSgxExtensionValue(value: Uint8Array): PckExtensions {
  if (!(value instanceof Uint8Array)) throw new TypeError('expected the extension value bytes');
  return fastSgxExtension(value) ?? parseSgxExtensionGeneral(value);
}

/** @internal The general parser of the SGX extension (any valid encoding; precise errors). */
export function parseSgxExtensionGeneral(value: Uint8Array): PckExtensions {
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
  return pckExtensionsOfEntry(certificateEntry(cert));
}

/** @internal {@link parsePckExtensions} of a parsed entry (no lookup: e.g. a freshly parsed PCK leaf). */
export function pckExtensionsOfEntry(entry: CertEntry): PckExtensions {
  const ext = entry.extensions.find((e) => e.oid === SGX);
  if (ext === undefined)
    throw new VerificationError(
      'ERR_PKI_PCK_EXTENSION',
      `certificate "${entry.subjectCommonName ?? '?'}" has no SGX extension (${SGX})`,
    );
  return parseSgxExtensionValue(ext.value);
}
