/**
 * The fast paths of pki (fast.ts, the SGX extension in pck.ts) against the general parsers, the PCK
 * chain DER the quote parser hands over, and the parse-cache rules for a chain's leaf.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { isAttestError } from '../../src/errors.ts';
import {
  certificateParses,
  clearPkiCaches,
  freshCertificateEntry,
  parseCertificate,
  parseCertificateFields,
} from '../../src/pki/cert.ts';
import { resolveTrustAnchors, verifyChain } from '../../src/pki/chain.ts';
import { fastCertificateFields } from '../../src/pki/fast.ts';
import { parseSgxExtensionGeneral, parseSgxExtensionValue, pckExtensionsOfEntry } from '../../src/pki/pck.ts';
import { decodePemBlocks } from '../../src/pki/pem.ts';
import { INTEL_SGX_ROOT_CA_PEM } from '../../src/pki/roots.ts';
import { type EcdsaQuote, parseQuote } from '../../src/wire/quote.ts';
import { vector } from './helpers.ts';

const SGX_OID = '1.2.840.113741.1.13.1';
const code = (c: string) => (e: unknown) => isAttestError(e) && e.code === c;

function quote(path: string): EcdsaQuote {
  const q = parseQuote(vector(path), { allowTrailing: true });
  assert.ok(q.version !== 2);
  return q;
}

const TDX = quote('phala-dcap-qvl/tdx_quote');
const SGX = quote('phala-dcap-qvl/sgx_quote');
/** PCK leaves: Platform CA issued (TDX, with PlatformInstanceID and Configuration) and Processor CA issued. */
const LEAVES = [TDX.pckCertChainDer![0]!, SGX.pckCertChainDer![0]!];

/** Every certificate in the vectors' PEM text (quotes hold theirs as PEM too). */
function vectorCertificates(): Uint8Array[] {
  const root = fileURLToPath(new URL('../vectors/', import.meta.url));
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = `${dir}/${f}`;
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
  const out: Uint8Array[] = [];
  for (const file of walk(root.replace(/\/$/, ''))) {
    const text = readFileSync(file, 'latin1');
    for (const pem of text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []) {
      const g = general(() => decodePemBlocks(pem));
      // Some vectors hold deliberately broken PEM: only the decodable certificates count here.
      if ('value' in g) out.push(...g.value);
    }
  }
  return out;
}

/** The general parser's outcome: its value, or the error code it throws. */
function general<T>(fn: () => T): { value: T } | { code: string } {
  try {
    return { value: fn() };
  } catch (e) {
    assert.ok(isAttestError(e), `not an AttestError: ${String(e)}`);
    return { code: e.code };
  }
}

describe('fast certificate parser', () => {
  test('on every certificate of the vectors it agrees with the general parser, and takes Intel PCK certificates', () => {
    const certs = vectorCertificates();
    assert.ok(certs.length >= 20);
    let fast = 0;
    for (const der of certs) {
      const f = fastCertificateFields(der);
      if (f === undefined) continue;
      fast++;
      assert.deepEqual(f, parseCertificateFields(der));
    }
    assert.ok(fast >= certs.length - 4, `${fast} of ${certs.length} took the fast path`);
    for (const der of [...LEAVES, ...TDX.pckCertChainDer!.slice(1), ...SGX.pckCertChainDer!.slice(1)])
      assert.notEqual(fastCertificateFields(der), undefined);
  });

  test('byte flips of a PCK leaf: the fast parser gives the general result or gives up', () => {
    fc.assert(
      fc.property(fc.nat(1), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, pos, mask) => {
        const der = LEAVES[which]!.slice();
        der[pos % der.length]! ^= mask;
        const f = fastCertificateFields(der);
        if (f === undefined) return;
        const g = general(() => parseCertificateFields(der));
        assert.ok('value' in g, `fast path accepted what the general parser refuses (${JSON.stringify(g)})`);
        assert.ok(isDeepStrictEqual(f, g.value));
      }),
      { numRuns: 500 },
    );
  });

  test('truncations and extensions of a PCK leaf are refused with the general error', () => {
    const der = LEAVES[0]!;
    for (const bad of [der.subarray(0, der.length - 1), new Uint8Array([...der, 0])]) {
      assert.equal(fastCertificateFields(bad), undefined);
      assert.throws(() => freshCertificateEntry(bad.slice()), code('ERR_DER_INVALID'));
    }
  });
});

describe('fast SGX extension parser', () => {
  const values = LEAVES.map((der) => {
    const v = parseCertificate(der).extensions.find((e) => e.oid === SGX_OID)?.value;
    assert.ok(v !== undefined);
    return v;
  });

  test('genuine PCK leaves: the same record as the general parser', () => {
    for (const v of values) assert.deepEqual(parseSgxExtensionValue(v), parseSgxExtensionGeneral(v));
    const tdx = parseSgxExtensionValue(values[0]!);
    assert.equal(tdx.fmspcHex, 'B0C06F000000');
    assert.equal(tdx.platformInstanceId?.length, 16);
    assert.notEqual(tdx.configuration, undefined);
    assert.equal(parseSgxExtensionValue(values[1]!).fmspcHex, '00A067110000');
  });

  test('byte flips: the same record or the same error code as the general parser', () => {
    fc.assert(
      fc.property(fc.nat(1), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, pos, mask) => {
        const v = values[which]!.slice();
        v[pos % v.length]! ^= mask;
        const g = general(() => parseSgxExtensionGeneral(v));
        const f = general(() => parseSgxExtensionValue(v));
        assert.ok(isDeepStrictEqual(f, g), `${JSON.stringify(f)} vs ${JSON.stringify(g)}`);
      }),
      { numRuns: 500 },
    );
  });
});

describe('PCK chain DER from the quote parser', () => {
  test('equals the strict PEM decoding of the same blocks', () => {
    for (const q of [TDX, SGX]) {
      assert.equal(q.pckCertChainDer?.length, 3);
      assert.ok(q.certificationData.type === 5);
      assert.deepEqual(q.certificationData.derCertificates, q.pckCertChainDer);
      for (const [i, pem] of q.pckCertChain!.entries())
        assert.deepEqual(decodePemBlocks(pem)[0], q.pckCertChainDer![i]);
    }
  });

  test('base64 that is not canonical or misplaces padding is ERR_PEM_INVALID at parse time', () => {
    const bytes = vector('phala-dcap-qvl/sgx_quote');
    const text = Buffer.from(bytes).toString('latin1');
    const end = text.indexOf('-----END CERTIFICATE-----');
    // The last base64 character before the padding of the leaf, and a character mid-body.
    let last = end - 1;
    while (' \n\r\t='.includes(text[last]!)) last--;
    const mid = text.indexOf('-----BEGIN CERTIFICATE-----') + 100;
    const cases: [number, string][] = [
      [mid, '='],
      [mid, '*'],
      // A non-zero value in the bits the padding leaves over.
      [last, text[last] === 'B' ? 'C' : 'B'],
    ];
    const padded = text.slice(last + 1, end).includes('=');
    for (const [at, ch] of cases) {
      const m = bytes.slice();
      m[at] = ch.charCodeAt(0);
      if (at === last && !padded) continue; // No padding bits to spoil.
      assert.throws(() => parseQuote(m, { allowTrailing: true }), code('ERR_PEM_INVALID'), `${at} ${ch}`);
    }
  });
});

describe('a chain leaf is parsed afresh unless a leaf cache is given', () => {
  const parsesOf = (fn: () => unknown): number => {
    const before = certificateParses();
    fn();
    return certificateParses() - before;
  };
  const chain = TDX.pckCertChainDer!;
  const now = new Date('2025-07-19T10:00:34Z');

  test('freshCertificateEntry neither reads nor fills the parse cache', () => {
    clearPkiCaches();
    const der = LEAVES[1]!.slice();
    parseCertificate(der);
    assert.equal(
      parsesOf(() => freshCertificateEntry(der.slice())),
      1,
    );
    const other = LEAVES[0]!.slice();
    freshCertificateEntry(other.slice());
    // Not cached by the fresh parse: the cached parse of the same DER parses it.
    assert.equal(
      parsesOf(() => parseCertificate(other)),
      1,
    );
    assert.equal(
      parsesOf(() => parseCertificate(other)),
      0,
    );
  });

  test('verifyChain parses the leaf on every call; with leafSignatureCache the leaf may come from the cache', () => {
    const opts = { now, trustAnchors: INTEL_SGX_ROOT_CA_PEM, dangerouslySkipRevocation: true } as const;
    verifyChain([...chain], opts);
    for (let i = 0; i < 2; i++)
      assert.equal(
        parsesOf(() => verifyChain([...chain], opts)),
        1,
      );
    const seen = new Map<string, true>();
    const leafSignatureCache = {
      get: (k: string) => seen.get(k),
      set: (k: string) => void seen.set(k, true),
    };
    verifyChain([...chain], { ...opts, leafSignatureCache });
    assert.equal(
      parsesOf(() => verifyChain([...chain], { ...opts, leafSignatureCache })),
      0,
    );
  });

  test('a fresh entry is frozen; its hashes, computed on request, are those of its DER and key', () => {
    const der = LEAVES[0]!.slice();
    const e = freshCertificateEntry(der.slice());
    assert.ok(Object.isFrozen(e));
    assert.equal(e.spkiSha256, createHash('sha256').update(e.spki).digest('hex'));
    assert.equal(e.sha256, createHash('sha256').update(der).digest('hex'));
    assert.equal(e.sha256, parseCertificate(der).sha256);
  });

  test('the SGX extension of a fresh entry is read from that entry', () => {
    const e = freshCertificateEntry(LEAVES[0]!.slice());
    assert.equal(
      parsesOf(() => pckExtensionsOfEntry(e)),
      0,
    );
  });
});

describe('resolved trust anchors', () => {
  test('resolved once per anchors array while it holds the same elements', () => {
    const anchors = [INTEL_SGX_ROOT_CA_PEM];
    const a = resolveTrustAnchors(anchors);
    assert.equal(resolveTrustAnchors(anchors), a);
    assert.equal(resolveTrustAnchors(INTEL_SGX_ROOT_CA_PEM), resolveTrustAnchors(INTEL_SGX_ROOT_CA_PEM));
    const pem = Buffer.from(vector('intel-roots/ias_report_signing_ca.pem')).toString('utf8');
    anchors.push(pem);
    const b = resolveTrustAnchors(anchors);
    assert.notEqual(b, a);
    assert.equal(b.length, 2);
  });
});
