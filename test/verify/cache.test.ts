/**
 * The verifier's bounded LRU map (src/verify/cache.ts) and the identity records of verified evidence
 * (src/verify/identity.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { LruMap, VerifierCache } from '../../src/verify/cache.ts';
import { toEnclaveIdentity, toTdIdentity } from '../../src/verify/identity.ts';
import { toHex } from '../../src/wire/hex.ts';
import { type EcdsaQuote, parseQuote } from '../../src/wire/quote.ts';
import type { SgxReportBody, TdReport } from '../../src/wire/report.ts';

const quote = (name: string): EcdsaQuote => {
  const q = parseQuote(
    new Uint8Array(readFileSync(new URL(`../vectors/phala-dcap-qvl/${name}`, import.meta.url))),
    { allowTrailing: true },
  );
  assert.ok(q.version !== 2);
  return q;
};

describe('LruMap', () => {
  test('evicts the least recently used entry, also when the newest is read again', () => {
    const m = new LruMap<number>(2);
    m.set('a', 1);
    m.set('b', 2);
    assert.equal(m.get('b'), 2);
    m.set('c', 3);
    assert.equal(m.get('a'), undefined);
    assert.equal(m.get('b'), 2);
    assert.equal(m.get('c'), 3);
    assert.equal(m.size, 2);
  });

  test('a read makes an entry the most recent', () => {
    const m = new LruMap<number>(2);
    m.set('a', 1);
    m.set('b', 2);
    assert.equal(m.get('a'), 1);
    m.set('c', 3);
    assert.equal(m.get('b'), undefined);
    assert.equal(m.get('a'), 1);
    m.clear();
    assert.equal(m.size, 0);
    assert.equal(m.get('a'), undefined);
    m.set('a', 4);
    assert.equal(m.get('a'), 4);
  });

  test('property: the same contents as a reference LRU under any sequence of gets and sets', () => {
    const op = fc.tuple(fc.boolean(), fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.nat(9));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 40 }), (max, ops) => {
        const m = new LruMap<number>(max);
        let ref: [string, number][] = [];
        for (const [isSet, key, value] of ops) {
          if (isSet) {
            m.set(key, value);
            ref = ref.filter(([k]) => k !== key);
            if (ref.length >= max) ref.shift();
            ref.push([key, value]);
          } else {
            const hit = ref.find(([k]) => k === key);
            assert.equal(m.get(key), hit?.[1]);
            if (hit !== undefined) ref = [...ref.filter(([k]) => k !== key), hit];
          }
        }
        assert.equal(m.size, ref.length);
        for (const [k, v] of ref) assert.equal(m.get(k), v);
      }),
      { numRuns: 300 },
    );
  });

  test('VerifierCache.clear empties every map', () => {
    const c = new VerifierCache({ cachePlatform: true, maxEntries: 2 });
    c.platform?.set('k', true);
    c.clear();
    assert.equal(c.platform?.get('k'), undefined);
    assert.equal(c.platform?.size, 0);
  });
});

describe('identity records', () => {
  test('TD identity: the hex of every field of the quote body', () => {
    const q = quote('tdx_quote');
    assert.ok(q.body.kind !== 'sgx');
    const td: TdReport = q.body;
    const id = toTdIdentity(td);
    assert.equal(id.mrTd, toHex(td.mrTd));
    assert.equal(id.mrSeam, toHex(td.mrSeam));
    assert.equal(id.teeTcbSvn, toHex(td.teeTcbSvn));
    assert.equal(id.reportData, toHex(td.reportData));
    assert.deepEqual(
      id.rtmr,
      td.rtmr.map((r) => toHex(r)),
    );
    assert.ok(Object.isFrozen(id) && Object.isFrozen(id.rtmr));
  });

  test('enclave identity: the same record when the fields are separate arrays', () => {
    const q = quote('sgx_quote');
    assert.ok(q.body.kind === 'sgx');
    const body: SgxReportBody = q.body;
    const separate = Object.fromEntries(
      Object.entries(body).map(([k, v]) => [k, v instanceof Uint8Array ? v.slice() : v]),
    ) as unknown as SgxReportBody;
    const id = toEnclaveIdentity(body);
    assert.deepEqual(toEnclaveIdentity(separate), id);
    assert.equal(id.mrEnclave, toHex(body.mrEnclave));
    assert.equal(id.reportData, toHex(body.reportData));
    assert.equal(id.mrEnclave.length, 64);
  });
});
