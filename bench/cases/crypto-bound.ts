/**
 * Case 2: the crypto bound of one warm DCAP quote verification — the work no verifier can skip once
 * the collateral is verified and cached (DCAP-VERIFICATION.md §8.3), timed with `node:crypto` alone:
 *
 * 1. `pckLeafSignature`: the PCK leaf's signature (DER ECDSA over tbsCertificate) under the PCK CA's
 *    cached key;
 * 2. `pckKeyImport`: import of the PCK leaf's public key (raw X‖Y via JWK, the fast path, §8.2);
 * 3. `qeReportSignature`: the QE report's r‖s signature under that key;
 * 4. `binding`: SHA-256(attestation key ‖ QE auth data);
 * 5. `attestationKeyImport`: import of the attestation key (JWK);
 * 6. `quoteSignature`: the quote's r‖s signature under the attestation key.
 *
 * `total` runs the six in sequence per call (fresh imports each time); it is the bound. attestkit's
 * warm verification is timed in the same interleaved rounds and reported as a multiple of `total`.
 *
 * @module
 */
import { createHash, createPublicKey, type KeyObject, verify, X509Certificate } from 'node:crypto';
import { VerifierCache, verifyQuote } from '../../src/verify/index.ts';
import { type EcdsaQuote, parseQuote } from '../../src/wire/quote.ts';
import {
  deriveFigure,
  type Figure,
  figure,
  perSecond,
  type RoundPlan,
  type Row,
  timeSyncInterleaved,
} from '../lib/harness.ts';
import { genuineQuotes } from '../lib/inputs.ts';

/** Per-quote results of case 2 (µs per operation). */
export interface CryptoBoundResult {
  readonly components: Readonly<Record<string, Figure>>;
  /** The six operations in sequence: the bound, µs per quote. */
  readonly total: Figure;
  /** The bound as quotes per second. */
  readonly boundPerSecond: Figure;
  /** attestkit warm verification in the same rounds, µs. */
  readonly attestkitWarm: Figure;
  /** attestkit warm ÷ the bound (target ≤ 2). */
  readonly warmMultipleOfBound: Figure;
}

/** The JSON of case 2. */
export interface CryptoBoundCaseResult {
  readonly definition: string;
  readonly quotes: Readonly<Record<string, CryptoBoundResult>>;
}

/** Reads one DER TLV header at `at`: [content start, content end]. */
function tlv(der: Uint8Array, at: number): [number, number] {
  const len0 = der[at + 1]!;
  if (len0 < 0x80) return [at + 2, at + 2 + len0];
  const n = len0 & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + der[at + 2 + i]!;
  return [at + 2 + n, at + 2 + n + len];
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }. */
function splitCertificate(der: Uint8Array): { tbs: Uint8Array; signature: Uint8Array } {
  const [outerStart] = tlv(der, 0);
  const [, tbsEnd] = tlv(der, outerStart);
  const [, algEnd] = tlv(der, tbsEnd);
  const [sigStart, sigEnd] = tlv(der, algEnd);
  // BIT STRING: the first content octet is the count of unused bits (0).
  return { tbs: der.subarray(outerStart, tbsEnd), signature: der.subarray(sigStart + 1, sigEnd) };
}

function b64url(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}

function importJwk(x: string, y: string): KeyObject {
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
}

/** The six operations of the bound for one quote, checked to succeed once before timing. */
export function boundOperations(id: string, quoteBytes: Uint8Array): Record<string, () => unknown> {
  const quote = parseQuote(quoteBytes, { allowTrailing: true }) as EcdsaQuote;
  const chain = quote.pckCertChain;
  if (chain === null || chain.length < 2) throw new Error(`${id}: the quote carries no PCK chain`);
  const leaf = new X509Certificate(chain[0]!);
  const caKey = new X509Certificate(chain[1]!).publicKey; // collateral: cached legitimately
  const { tbs, signature } = splitCertificate(new Uint8Array(leaf.raw));
  const pckJwk = leaf.publicKey.export({ format: 'jwk' });
  const pckX = pckJwk.x!;
  const pckY = pckJwk.y!;
  const attX = b64url(quote.attestationKey.subarray(0, 32));
  const attY = b64url(quote.attestationKey.subarray(32, 64));
  const pckKey = importJwk(pckX, pckY);
  const attKey = importJwk(attX, attY);
  const p1363 = { dsaEncoding: 'ieee-p1363' } as const;

  const ops: Record<string, () => unknown> = {
    pckLeafSignature: () => verify('sha256', tbs, caKey, signature),
    pckKeyImport: () => importJwk(pckX, pckY),
    qeReportSignature: () =>
      verify('sha256', quote.qeReport, { key: pckKey, ...p1363 }, quote.qeReportSignature),
    binding: () => createHash('sha256').update(quote.attestationKey).update(quote.qeAuthData).digest(),
    attestationKeyImport: () => importJwk(attX, attY),
    quoteSignature: () => verify('sha256', quote.signedBytes, { key: attKey, ...p1363 }, quote.signature),
    total: () => {
      const ok1 = verify('sha256', tbs, caKey, signature);
      const k1 = importJwk(pckX, pckY);
      const ok2 = verify('sha256', quote.qeReport, { key: k1, ...p1363 }, quote.qeReportSignature);
      const h = createHash('sha256').update(quote.attestationKey).update(quote.qeAuthData).digest();
      const k2 = importJwk(attX, attY);
      const ok3 = verify('sha256', quote.signedBytes, { key: k2, ...p1363 }, quote.signature);
      return ok1 && ok2 && ok3 && h.length === 32;
    },
  };
  for (const [name, op] of Object.entries(ops)) {
    const v = op();
    if (v === false) throw new Error(`${id}: crypto bound operation ${name} failed`);
  }
  return ops;
}

/** Runs case 2. */
export function runCryptoBoundCase(plan: RoundPlan): {
  readonly json: CryptoBoundCaseResult;
  readonly rows: Row[];
} {
  const rows: Row[] = [];
  const quotes: Record<string, CryptoBoundResult> = {};
  const componentPlan: RoundPlan = { ...plan, roundMs: Math.max(1, Math.round(plan.roundMs * 0.3)) };
  for (const q of genuineQuotes()) {
    const ops = boundOperations(q.id, q.quote);
    const { total, ...components } = ops;
    const comp = timeSyncInterleaved(components, componentPlan);
    const warmCache = new VerifierCache();
    const pair = timeSyncInterleaved(
      { total: total!, warm: () => verifyQuote(q.quote, q.collateral, { now: q.now, cache: warmCache }) },
      plan,
    );
    const totalT = pair.total!;
    const warmT = pair.warm!;
    const r: CryptoBoundResult = {
      components: Object.fromEntries(Object.entries(comp).map(([k, v]) => [k, figure(v, 'us')])),
      total: figure(totalT, 'us'),
      boundPerSecond: figure(
        totalT.map((v) => perSecond(v)),
        'per s',
      ),
      attestkitWarm: figure(warmT, 'us'),
      warmMultipleOfBound: deriveFigure(warmT, totalT, (w, b) => w / b, 'x'),
    };
    quotes[q.id] = r;
    const c = `2 bound ${q.id}`;
    for (const [k, f] of Object.entries(r.components)) rows.push({ case: c, what: k, figure: f });
    rows.push(
      {
        case: c,
        what: 'bound (all six in sequence)',
        figure: r.total,
        note: `${Math.round(r.boundPerSecond.median)} quotes/s`,
      },
      { case: c, what: 'attestkit warm (same rounds)', figure: r.attestkitWarm },
      { case: c, what: 'attestkit warm ÷ bound', figure: r.warmMultipleOfBound, note: 'target ≤2x' },
    );
  }
  return {
    json: {
      definition:
        'µs per operation with node:crypto; total = PCK leaf signature (cached CA key) + PCK key import (JWK) + QE report ECDSA verify + SHA-256 binding + attestation key import (JWK) + quote ECDSA verify, per call. warmMultipleOfBound = attestkit warm time / total, per interleaved round.',
      quotes,
    },
    rows,
  };
}
