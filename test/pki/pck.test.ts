import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAttestError } from '../../src/errors.ts';
import { OID, parseCertificate, parseCertificateChain } from '../../src/pki/cert.ts';
import { parsePckExtensions, parseSgxExtensionValue, SGX_EXTENSION_OID } from '../../src/pki/pck.ts';
import { splitPem } from '../../src/pki/pem.ts';
import { INTEL_SGX_ROOT_CA_PEM } from '../../src/pki/roots.ts';
import { flip, hex, quoteChainPem, vectorText } from './helpers.ts';

const code = (c: string, includes?: string) => (e: unknown) =>
  isAttestError(e) && e.code === c && (includes === undefined || e.message.includes(includes));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const leafOf = (file: string) => parseCertificateChain(quoteChainPem(file))[0]!;

describe('SGX PCK extension of genuine PCK leaves', () => {
  test('phala sgx_quote (Processor CA): FMSPC 00A067110000, pcesvn 13', () => {
    const p = parsePckExtensions(leafOf('phala-dcap-qvl/sgx_quote'));
    assert.equal(p.fmspcHex, '00A067110000');
    assert.deepEqual(p.fmspc, hex('00a067110000'));
    assert.equal(p.pceSvn, 13);
    assert.deepEqual([...p.tcbComponents], [11, 11, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(toHex(p.cpuSvn), '0b0b0202ff0100000000000000000000');
    assert.equal(toHex(p.ppid), 'd04ec06d4e6d92dc90d0ad3cf5ee2ddf');
    assert.equal(p.pceIdHex, '0000');
    assert.equal(p.sgxType, 0);
    assert.equal(p.sgxTypeName, 'Standard');
    assert.equal(p.platformInstanceId, undefined);
    assert.equal(p.configuration, undefined);
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.tcbComponents));
  });

  test('phala tdx_quote (Platform CA): PlatformInstanceID and Configuration', () => {
    const p = parsePckExtensions(leafOf('phala-dcap-qvl/tdx_quote'));
    assert.equal(p.fmspcHex, 'B0C06F000000');
    assert.equal(p.pceSvn, 11);
    assert.equal(p.sgxTypeName, 'Scalable');
    assert.equal(toHex(p.platformInstanceId!), '07828474603e7019dc930775ffe8cdd2');
    assert.deepEqual(p.configuration, { dynamicPlatform: true, cachedKeys: true, smtEnabled: true });
  });

  // FMSPC, PCESVN and CPUSVN as test/vectors/README.md lists them.
  const table: { file: string; fmspc: string; pceSvn?: number; cpuSvnPrefix?: string }[] = [
    { file: 'oasis-core/pcs/quote_v3_ecdsa_p256_pck_chain.bin', fmspc: '00606A000000', pceSvn: 13 },
    { file: 'oasis-core/pcs/quote_v4_tdx_ecdsa_p256.bin', fmspc: 'C0806F000000' },
    {
      file: 'oasis-core/pcs/quote_v4_tdx_ecdsa_p256_out_of_date.bin',
      fmspc: '50806F000000',
      cpuSvnPrefix: '0303020202010002',
    },
    { file: 'go-tdx-guest/tdx_prod_quote_SPR_E4.dat', fmspc: '50806F000000' },
    {
      file: 'phala-dcap-qvl/tdx_quote_outdated',
      fmspc: '90C06F000000',
      pceSvn: 13,
      cpuSvnPrefix: '0303020204010003',
    },
    { file: 'go-tdx-guest/quote_v5_sample.dat', fmspc: '90C06F000000' },
    { file: 'go-tdx-guest/cos-113-tdx-quote.dat', fmspc: '00806F050000' },
  ];
  for (const row of table) {
    test(`${row.file}: FMSPC ${row.fmspc}`, () => {
      const p = parsePckExtensions(leafOf(row.file));
      assert.equal(p.fmspcHex, row.fmspc);
      if (row.pceSvn !== undefined) assert.equal(p.pceSvn, row.pceSvn);
      if (row.cpuSvnPrefix !== undefined) assert.equal(toHex(p.cpuSvn).slice(0, 16), row.cpuSvnPrefix);
      assert.deepEqual([...p.tcbComponents], [...p.cpuSvn]);
    });
  }

  test('near_tdx_quote_hex.txt (hex text): FMSPC 20A06F000000', () => {
    const bytes = Buffer.from(vectorText('phala-dcap-qvl/near_tdx_quote_hex.txt').trim(), 'hex').toString(
      'latin1',
    );
    const pem = bytes.slice(bytes.indexOf('-----BEGIN'), bytes.lastIndexOf('-----END CERTIFICATE-----') + 25);
    assert.equal(parsePckExtensions(splitPem(pem)[0]!.der).fmspcHex, '20A06F000000');
  });

  test('a certificate without the extension → ERR_PKI_PCK_EXTENSION', () => {
    assert.throws(() => parsePckExtensions(INTEL_SGX_ROOT_CA_PEM), code('ERR_PKI_PCK_EXTENSION'));
  });
});

// A small DER encoder for hand-made extension values.
function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return new Uint8Array([tag, ...len, ...content]);
}
const cat = (...p: Uint8Array[]) => new Uint8Array(p.flatMap((x) => [...x]));
function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const a of arcs.slice(2)) {
    const bytes = [a & 0x7f];
    for (let v = Math.floor(a / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift(0x80 | (v & 0x7f));
    out.push(...bytes);
  }
  return tlv(0x06, new Uint8Array(out));
}
const seq = (...p: Uint8Array[]) => tlv(0x30, cat(...p));
/** INTEGER, minimal two's complement, for v >= 0. */
function int(v: number): Uint8Array {
  const out = [v & 0xff];
  for (let x = Math.floor(v / 256); x > 0; x = Math.floor(x / 256)) out.unshift(x & 0xff);
  if (out[0]! >= 0x80) out.unshift(0);
  return tlv(0x02, new Uint8Array(out));
}
const oct = (n: number, fill = 0x11) => tlv(0x04, new Uint8Array(n).fill(fill));
const field = (o: string, v: Uint8Array) => seq(oid(o), v);
const O = SGX_EXTENSION_OID;

interface Parts {
  ppid?: Uint8Array | null;
  tcb?: Uint8Array | null;
  pceId?: Uint8Array | null;
  fmspc?: Uint8Array | null;
  sgxType?: Uint8Array | null;
  extra?: Uint8Array[];
}
function tcb(
  components: (number | null)[] = new Array(16).fill(1),
  pceSvn = 13,
  extra: Uint8Array[] = [],
): Uint8Array {
  return seq(
    ...components.flatMap((c, i) => (c === null ? [] : [field(`${O.TCB}.${i + 1}`, int(c))])),
    field(O.PCESVN, int(pceSvn)),
    field(O.CPUSVN, oct(16, 1)),
    ...extra,
  );
}
function build(p: Parts = {}): Uint8Array {
  const pick = (v: Uint8Array | null | undefined, d: Uint8Array) => (v === null ? [] : [v ?? d]);
  return seq(
    ...pick(p.ppid, field(O.PPID, oct(16))),
    ...pick(p.tcb, field(O.TCB, tcb())),
    ...pick(p.pceId, field(O.PCE_ID, oct(2, 0))),
    ...pick(p.fmspc, field(O.FMSPC, oct(6, 0xab))),
    ...pick(p.sgxType, field(O.SGX_TYPE, tlv(0x0a, new Uint8Array([2])))),
    ...(p.extra ?? []),
  );
}

describe('hand-made SGX extension values', () => {
  test('a minimal valid value parses; unknown top-level fields are ignored', () => {
    const p = parseSgxExtensionValue(build({ extra: [field(`${OID.SGX_EXTENSIONS}.99`, oct(3))] }));
    assert.equal(p.fmspcHex, 'ABABABABABAB');
    assert.equal(p.sgxTypeName, 'ScalableWithIntegrity');
    assert.equal(p.pceSvn, 13);
  });

  const T = O.TCB;
  const bad: { name: string; says: string; value: () => Uint8Array }[] = [
    { name: 'FMSPC missing', says: 'fmspc is missing', value: () => build({ fmspc: null }) },
    { name: 'PPID missing', says: 'ppid is missing', value: () => build({ ppid: null }) },
    { name: 'TCB missing', says: 'tcb is missing', value: () => build({ tcb: null }) },
    {
      name: 'FMSPC of 5 bytes',
      says: 'expected 6 bytes',
      value: () => build({ fmspc: field(O.FMSPC, oct(5)) }),
    },
    {
      name: 'PCE-ID of 3 bytes',
      says: 'expected 2 bytes',
      value: () => build({ pceId: field(O.PCE_ID, oct(3)) }),
    },
    {
      name: 'duplicate PPID',
      says: 'duplicate field',
      value: () => build({ extra: [field(O.PPID, oct(16))] }),
    },
    {
      name: 'SGX type 3',
      says: 'outside 0..2',
      value: () => build({ sgxType: field(O.SGX_TYPE, tlv(0x0a, new Uint8Array([3]))) }),
    },
    {
      name: 'SGX type as INTEGER',
      says: 'expected tag 0x0a',
      value: () => build({ sgxType: field(O.SGX_TYPE, int(1)) }),
    },
    {
      name: 'TCB component 256',
      says: 'outside 0..255',
      value: () => build({ tcb: field(T, tcb([256, ...new Array(15).fill(0)])) }),
    },
    {
      name: 'TCB component 7 missing',
      says: 'component 7 is missing',
      value: () => build({ tcb: field(T, tcb([1, 1, 1, 1, 1, 1, null, 1, 1, 1, 1, 1, 1, 1, 1, 1])) }),
    },
    {
      name: 'duplicate TCB component',
      says: 'duplicate TCB component 3',
      value: () =>
        build({ tcb: field(T, tcb([...new Array(15).fill(1), null], 13, [field(`${T}.3`, int(0))])) }),
    },
    {
      name: 'PCESVN above 65535',
      says: 'outside 0..65535',
      value: () => build({ tcb: field(T, tcb(undefined, 0x10000)) }),
    },
    {
      name: 'unknown TCB field',
      says: 'unknown TCB field',
      value: () =>
        build({ tcb: field(T, tcb([...new Array(15).fill(1), null], 13, [field(`${T}.19`, int(0))])) }),
    },
    {
      name: 'Configuration flag BOOLEAN 0x01',
      says: 'must be 0xff',
      value: () =>
        build({
          extra: [field(O.CONFIGURATION, seq(field(O.DYNAMIC_PLATFORM, tlv(0x01, new Uint8Array([1])))))],
        }),
    },
    { name: 'not a SEQUENCE', says: 'expected tag 0x30', value: () => oct(4) },
    { name: 'trailing byte', says: 'unexpected bytes', value: () => cat(build(), new Uint8Array([0])) },
    { name: 'empty', says: 'empty input', value: () => new Uint8Array(0) },
  ];
  for (const c of bad) {
    test(`rejects: ${c.name}`, () => {
      assert.throws(() => parseSgxExtensionValue(c.value()), code('ERR_PKI_PCK_EXTENSION', c.says));
    });
  }
});

describe('PCK extension parser robustness', () => {
  const genuine = parseCertificate(leafOf('phala-dcap-qvl/tdx_quote').der).extensions.find(
    (e) => e.oid === OID.SGX_EXTENSIONS,
  )!.value;

  test('arbitrary bytes: only AttestErrors escape', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseSgxExtensionValue(bytes);
        } catch (e) {
          if (!isAttestError(e)) throw e;
        }
      }),
      { numRuns: 400 },
    );
  });

  test('mutated genuine extension: only AttestErrors escape, and failures are ERR_PKI_PCK_EXTENSION', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (pos, mask) => {
        try {
          parseSgxExtensionValue(flip(genuine, pos % genuine.length, mask));
        } catch (e) {
          if (!isAttestError(e) || e.code !== 'ERR_PKI_PCK_EXTENSION') throw e;
        }
      }),
      { numRuns: 400 },
    );
  });
});
