import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { isAttestError } from '../../src/errors.ts';
import { certificateSignatureChecks } from '../../src/pki/cert.ts';
import { generateIasSigningIdentity, type IasSigningIdentity } from '../../src/sim/ias-mock.ts';
import { IAS_QUOTE_STATUSES, mapIasQuoteStatus, verifyIasReport } from '../../src/verify/ias.ts';
import type { VerifiedIasReport } from '../../src/verify/types.ts';

const DIR = new URL('../vectors/oasis-core/ias/', import.meta.url);
const read = (name: string): Buffer => readFileSync(new URL(name, DIR));
const CHAIN = read('avr_certificates_urlencoded.pem').toString('utf8');
const ROOT_SGX = readFileSync(
  new URL('../vectors/intel-roots/intel_sgx_root_ca.pem', import.meta.url),
  'utf8',
);
const IAS_CA = readFileSync(
  new URL('../vectors/intel-roots/ias_report_signing_ca.pem', import.meta.url),
  'utf8',
);
const IAS_LEAF = readFileSync(
  new URL('../vectors/intel-roots/ias_report_signing_cert.pem', import.meta.url),
  'utf8',
);

interface Avr {
  readonly body: Uint8Array;
  readonly sig: string;
  readonly at: Date;
}

function avr(v: 'v4' | 'v5'): Avr {
  const body = new Uint8Array(read(`avr_${v}_body_sw_hardening_needed.json`));
  const ts = (JSON.parse(Buffer.from(body).toString('utf8')) as { timestamp: string }).timestamp;
  return {
    body,
    sig: read(`avr_${v}_body_sw_hardening_needed.sig`).toString('utf8').trim(),
    at: new Date(`${ts}Z`),
  };
}

const V4 = avr('v4');
const V5 = avr('v5');
const LEAF_NOT_AFTER = new Date('2026-11-20T09:36:58Z');

function codeIs(code: string) {
  return (e: unknown): boolean => {
    assert.ok(isAttestError(e), `expected an AttestError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

/** The quote the v4 report is about: its 432-byte body plus a dummy signature part. */
function v4Quote(): Uint8Array {
  const b64 = (JSON.parse(Buffer.from(V4.body).toString('utf8')) as { isvEnclaveQuoteBody: string })
    .isvEnclaveQuoteBody;
  const body = Buffer.from(b64, 'base64');
  const q = new Uint8Array(436 + 680);
  q.set(body, 0);
  new DataView(q.buffer).setUint32(432, 680, true);
  return q;
}

describe('verifyIasReport: genuine AVRs (oasis-core testdata)', () => {
  test('v4 AVR verifies at its timestamp: SW_HARDENING_NEEDED, INTEL-SA-00334, nonce, debug enclave', () => {
    const r = verifyIasReport(
      { body: V4.body, signatureB64: V4.sig, signingCertChain: CHAIN },
      { now: V4.at },
    );
    assert.equal(r.kind, 'epid');
    assert.equal(r.iasStatus, 'SW_HARDENING_NEEDED');
    assert.equal(r.tcbStatus, 'SWHardeningNeeded');
    assert.deepEqual(r.advisoryIds, ['INTEL-SA-00334']);
    assert.equal(r.nonce, 'biNMqBAuTPF2hp/0fXa4P3splRkLHJf0');
    assert.equal(r.reportId, '323119119247496566074708526703373820736');
    assert.equal(r.timestamp, '2020-05-11T09:21:15.454051Z');
    assert.equal(r.enclave.debug, true);
    assert.equal(r.enclave.attributes.slice(0, 2), '07');
    assert.equal(r.enclave.mrSigner, '9affcfae47b848ec2caf1c49b4b283531e1cc425f93582b36806e52a43d78d1a');
    assert.equal(r.enclave.mrEnclave, '92143ea742e1628677b5a8e280173b7264470bfb0611d520c2474aab9846168e');
    assert.equal(r.epidGroupId, 'c50b0000');
    assert.deepEqual(
      r.steps.map((s) => s.check),
      ['ias.chain', 'ias.signature', 'ias.format', 'ias.status'],
    );
    assert.ok(Object.isFrozen(r) && Object.isFrozen(r.enclave) && Object.isFrozen(r.steps));
  });

  test('the report signing chain is collateral: its signature is checked once, the report every time', () => {
    verifyIasReport({ body: V4.body, signatureB64: V4.sig, signingCertChain: CHAIN }, { now: V4.at });
    const before = certificateSignatureChecks();
    const r = verifyIasReport(
      { body: V5.body, signatureB64: V5.sig, signingCertChain: CHAIN },
      { now: V5.at },
    );
    assert.equal(certificateSignatureChecks(), before, 'no certificate signature recomputed');
    assert.equal(r.iasStatus, 'SW_HARDENING_NEEDED');
    // The body signature is still checked on every call: a flipped body byte fails on the warm path.
    const flipped = V5.body.slice();
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    assert.throws(
      () => verifyIasReport({ body: flipped, signatureB64: V5.sig, signingCertChain: CHAIN }, { now: V5.at }),
      (e: unknown) => isAttestError(e) && e.code === 'ERR_IAS_SIGNATURE',
    );
  });

  test('v5 AVR verifies at its timestamp: two advisories, no nonce, debug enclave', () => {
    const r = verifyIasReport(
      { body: V5.body, signatureB64: V5.sig, signingCertChain: CHAIN },
      { now: V5.at },
    );
    assert.equal(r.iasStatus, 'SW_HARDENING_NEEDED');
    assert.equal(r.tcbStatus, 'SWHardeningNeeded');
    assert.deepEqual(r.advisoryIds, ['INTEL-SA-00334', 'INTEL-SA-00615']);
    assert.equal(r.nonce, undefined);
    assert.equal(r.enclave.debug, true);
    assert.equal(r.timestamp, '2023-09-27T15:51:58.044803Z');
  });

  test('the body may be given as a string and the chain URL-decoded', () => {
    const r = verifyIasReport(
      {
        body: Buffer.from(V4.body).toString('utf8'),
        signatureB64: V4.sig,
        signingCertChain: IAS_LEAF + IAS_CA,
      },
      { now: V4.at },
    );
    assert.equal(r.tcbStatus, 'SWHardeningNeeded');
  });

  test('a chain holding only the leaf verifies against the embedded CA', () => {
    const r = verifyIasReport(
      { body: V4.body, signatureB64: V4.sig, signingCertChain: IAS_LEAF },
      { now: V4.at },
    );
    assert.equal(r.iasStatus, 'SW_HARDENING_NEEDED');
  });

  test('fails after the leaf notAfter 2026-11-20T09:36:58Z and before its notBefore', () => {
    const input = { body: V4.body, signatureB64: V4.sig, signingCertChain: CHAIN };
    verifyIasReport(input, { now: LEAF_NOT_AFTER });
    assert.throws(
      () => verifyIasReport(input, { now: new Date(LEAF_NOT_AFTER.getTime() + 1000) }),
      codeIs('ERR_PKI_CERT_EXPIRED'),
    );
    assert.throws(
      () => verifyIasReport(input, { now: new Date('2016-11-01T00:00:00Z') }),
      codeIs('ERR_PKI_CERT_NOT_YET_VALID'),
    );
  });

  test('a certificate header seen before is still verified on every call (only its decoding is remembered)', () => {
    const input = { body: V4.body, signatureB64: V4.sig, signingCertChain: CHAIN };
    for (let i = 0; i < 3; i++)
      assert.equal(verifyIasReport(input, { now: V4.at }).iasStatus, 'SW_HARDENING_NEEDED');
    assert.throws(
      () => verifyIasReport(input, { now: new Date(LEAF_NOT_AFTER.getTime() + 1000) }),
      codeIs('ERR_PKI_CERT_EXPIRED'),
    );
    assert.throws(
      () => verifyIasReport(input, { now: V4.at, trustAnchors: ROOT_SGX }),
      codeIs('ERR_PKI_UNTRUSTED_ROOT'),
    );
    // The leaf's signature bytes changed (the last base64 characters before its END line).
    const end = IAS_LEAF.indexOf('-----END');
    const flipped = `${IAS_LEAF.slice(0, end - 6)}${IAS_LEAF.slice(end - 6, end - 5) === 'A' ? 'B' : 'A'}${IAS_LEAF.slice(end - 5)}`;
    assert.throws(
      () => verifyIasReport({ ...input, signingCertChain: flipped + IAS_CA }, { now: V4.at }),
      codeIs('ERR_PKI_SIGNATURE'),
    );
    assert.equal(verifyIasReport(input, { now: V4.at }).iasStatus, 'SW_HARDENING_NEEDED');
  });

  test('an anchor other than the IAS Report Signing CA is refused', () => {
    assert.throws(
      () =>
        verifyIasReport(
          { body: V4.body, signatureB64: V4.sig, signingCertChain: CHAIN },
          { now: V4.at, trustAnchors: ROOT_SGX },
        ),
      codeIs('ERR_PKI_UNTRUSTED_ROOT'),
    );
  });

  test('a one-byte change anywhere in the body fails the signature', () => {
    for (let i = 0; i < V4.body.length; i += 37) {
      const body = Uint8Array.from(V4.body);
      body[i] = body[i]! ^ 0x01;
      assert.throws(
        () => verifyIasReport({ body, signatureB64: V4.sig, signingCertChain: CHAIN }, { now: V4.at }),
        codeIs('ERR_IAS_SIGNATURE'),
        `byte ${i}`,
      );
    }
    const extended = new Uint8Array([...V4.body, 0x0a]);
    assert.throws(
      () =>
        verifyIasReport({ body: extended, signatureB64: V4.sig, signingCertChain: CHAIN }, { now: V4.at }),
      codeIs('ERR_IAS_SIGNATURE'),
    );
  });

  test('a one-byte change to the signature, or a malformed one, fails', () => {
    const raw = Buffer.from(V5.sig, 'base64');
    for (const i of [0, 1, 100, 200, 255]) {
      const s = Buffer.from(raw);
      s[i] = s[i]! ^ 0x80;
      assert.throws(
        () =>
          verifyIasReport(
            { body: V5.body, signatureB64: s.toString('base64'), signingCertChain: CHAIN },
            { now: V5.at },
          ),
        codeIs('ERR_IAS_SIGNATURE'),
        `signature byte ${i}`,
      );
    }
    const cases = [
      V5.sig.slice(0, -4),
      `${V5.sig}AAAA`,
      `${V5.sig.slice(0, -3)}R==`, // non-canonical padding bits
      `!${V5.sig.slice(1)}`,
      '',
    ];
    for (const sig of cases) {
      assert.throws(
        () => verifyIasReport({ body: V5.body, signatureB64: sig, signingCertChain: CHAIN }, { now: V5.at }),
        codeIs('ERR_IAS_SIGNATURE'),
      );
    }
  });

  test('a corrupted certificate header is a PEM or chain error', () => {
    assert.throws(
      () =>
        verifyIasReport({ body: V4.body, signatureB64: V4.sig, signingCertChain: 'garbage' }, { now: V4.at }),
      codeIs('ERR_PEM_INVALID'),
    );
    assert.throws(
      () =>
        verifyIasReport(
          { body: V4.body, signatureB64: V4.sig, signingCertChain: '%E0%A4%A' },
          { now: V4.at },
        ),
      codeIs('ERR_PEM_INVALID'),
    );
    // The CA first and the leaf second is not a chain.
    assert.throws(
      () =>
        verifyIasReport(
          { body: V4.body, signatureB64: V4.sig, signingCertChain: IAS_CA + IAS_LEAF },
          { now: V4.at },
        ),
      (e: unknown) => isAttestError(e) && e.code.startsWith('ERR_PKI_'),
    );
  });

  test('expectedQuote: the report must be about the quote sent', () => {
    const q = v4Quote();
    const r = verifyIasReport(
      { body: V4.body, signatureB64: V4.sig, signingCertChain: CHAIN },
      { now: V4.at, expectedQuote: q },
    );
    assert.ok(r.steps.some((s) => s.check === 'ias.quote' && s.ok));
    // Bytes after 432 (the EPID signature) are not part of the body IAS echoes.
    q[500] = 0xff;
    verifyIasReport(
      { body: V4.body, signatureB64: V4.sig, signingCertChain: CHAIN },
      { now: V4.at, expectedQuote: q },
    );
    for (const at of [0, 4, 48 + 64, 431]) {
      const bad = v4Quote();
      bad[at] = bad[at]! ^ 1;
      assert.throws(
        () =>
          verifyIasReport(
            { body: V4.body, signatureB64: V4.sig, signingCertChain: CHAIN },
            { now: V4.at, expectedQuote: bad },
          ),
        codeIs('ERR_IAS_QUOTE_MISMATCH'),
      );
    }
    assert.throws(
      () =>
        verifyIasReport(
          { body: V4.body, signatureB64: V4.sig, signingCertChain: CHAIN },
          { now: V4.at, expectedQuote: v4Quote().subarray(0, 431) },
        ),
      codeIs('ERR_IAS_QUOTE_MISMATCH'),
    );
  });

  test('expectedNonce: echoed exactly, or refused', () => {
    const input = { body: V4.body, signatureB64: V4.sig, signingCertChain: CHAIN };
    const r = verifyIasReport(input, { now: V4.at, expectedNonce: 'biNMqBAuTPF2hp/0fXa4P3splRkLHJf0' });
    assert.ok(r.steps.some((s) => s.check === 'ias.nonce' && s.ok));
    assert.throws(
      () => verifyIasReport(input, { now: V4.at, expectedNonce: 'biNMqBAuTPF2hp/0fXa4P3splRkLHJf1' }),
      codeIs('ERR_IAS_NONCE_MISMATCH'),
    );
    // The v5 report carries no nonce.
    assert.throws(
      () =>
        verifyIasReport(
          { body: V5.body, signatureB64: V5.sig, signingCertChain: CHAIN },
          { now: V5.at, expectedNonce: 'x' },
        ),
      codeIs('ERR_IAS_NONCE_MISMATCH'),
    );
  });
});

describe('mapIasQuoteStatus (DESIGN.md mapping)', () => {
  test('every IAS status maps as DESIGN.md says', () => {
    const expected: Record<string, string | undefined> = {
      OK: 'UpToDate',
      SW_HARDENING_NEEDED: 'SWHardeningNeeded',
      CONFIGURATION_NEEDED: 'ConfigurationNeeded',
      CONFIGURATION_AND_SW_HARDENING_NEEDED: 'ConfigurationAndSWHardeningNeeded',
      GROUP_OUT_OF_DATE: 'OutOfDate',
      GROUP_REVOKED: 'Revoked',
      SIGNATURE_INVALID: undefined,
      SIGNATURE_REVOKED: undefined,
      KEY_REVOKED: undefined,
      SIGRL_VERSION_MISMATCH: undefined,
    };
    assert.deepEqual([...IAS_QUOTE_STATUSES].sort(), Object.keys(expected).sort());
    for (const [status, tcb] of Object.entries(expected))
      assert.equal(mapIasQuoteStatus(status), tcb, status);
    assert.equal(mapIasQuoteStatus('toString'), undefined);
    assert.equal(mapIasQuoteStatus('ok'), undefined);
  });
});

describe('verifyIasReport: synthetic reports signed under a test Report Signing CA', () => {
  let id: IasSigningIdentity;
  const NOW = new Date('2030-01-01T00:00:00Z');
  const quoteBody = Buffer.from(
    (JSON.parse(Buffer.from(V4.body).toString('utf8')) as { isvEnclaveQuoteBody: string })
      .isvEnclaveQuoteBody,
    'base64',
  );
  const base = (): Record<string, unknown> => ({
    id: '1234',
    timestamp: '2029-12-31T23:00:00.123456',
    version: 4,
    isvEnclaveQuoteStatus: 'OK',
    isvEnclaveQuoteBody: quoteBody.toString('base64'),
  });

  before(async () => {
    id = await generateIasSigningIdentity({ now: new Date('2029-06-01T00:00:00Z') });
  });

  function signed(report: Record<string, unknown> | string): { body: Uint8Array; signatureB64: string } {
    const body = new TextEncoder().encode(typeof report === 'string' ? report : JSON.stringify(report));
    return { body, signatureB64: sign('sha256', body, id.leafKey).toString('base64') };
  }

  function check(report: Record<string, unknown> | string): VerifiedIasReport {
    return verifyIasReport(
      { ...signed(report), signingCertChain: encodeURIComponent(id.leafPem + id.caPem) },
      { now: NOW, trustAnchors: id.caPem },
    );
  }

  test('reports verify only under the anchor that issued them', () => {
    assert.equal(check(base()).tcbStatus, 'UpToDate');
    assert.throws(
      () => verifyIasReport({ ...signed(base()), signingCertChain: id.leafPem + id.caPem }, { now: NOW }),
      codeIs('ERR_PKI_UNTRUSTED_ROOT'),
    );
  });

  test('mapped statuses are returned with the raw status kept', () => {
    for (const [status, tcb] of [
      ['OK', 'UpToDate'],
      ['CONFIGURATION_NEEDED', 'ConfigurationNeeded'],
      ['CONFIGURATION_AND_SW_HARDENING_NEEDED', 'ConfigurationAndSWHardeningNeeded'],
      ['GROUP_OUT_OF_DATE', 'OutOfDate'],
    ] as const) {
      const r = check({ ...base(), isvEnclaveQuoteStatus: status });
      assert.equal(r.iasStatus, status);
      assert.equal(r.tcbStatus, tcb);
    }
    const revoked = check({ ...base(), isvEnclaveQuoteStatus: 'GROUP_REVOKED', revocationReason: 1 });
    assert.equal(revoked.tcbStatus, 'Revoked');
  });

  test('SIGNATURE_INVALID, KEY_REVOKED, SIGNATURE_REVOKED, SIGRL_VERSION_MISMATCH and unknown statuses are refused', () => {
    for (const status of [
      'SIGNATURE_INVALID',
      'KEY_REVOKED',
      'SIGNATURE_REVOKED',
      'SIGRL_VERSION_MISMATCH',
      'NEW',
    ]) {
      assert.throws(
        () => check({ ...base(), isvEnclaveQuoteStatus: status }),
        (e: unknown) => {
          codeIs('ERR_IAS_QUOTE_STATUS')(e);
          const cause = (e as Error).cause as VerifiedIasReport;
          assert.equal(cause.iasStatus, status);
          assert.equal(cause.tcbStatus, undefined);
          assert.ok((e as Error).message.includes(status));
          return true;
        },
      );
    }
  });

  test('platformInfoBlob is kept as lowercase hex; advisories are sorted and de-duplicated', () => {
    const r = check({
      ...base(),
      isvEnclaveQuoteStatus: 'GROUP_OUT_OF_DATE',
      platformInfoBlob: '1502006504000900000F0F',
      advisoryIDs: ['INTEL-SA-00615', 'INTEL-SA-00334', 'INTEL-SA-00615'],
    });
    assert.equal(r.platformInfoBlob, '1502006504000900000f0f');
    assert.deepEqual(r.advisoryIds, ['INTEL-SA-00334', 'INTEL-SA-00615']);
  });

  test('legacy reports without a version field are accepted', () => {
    const { version: _drop, ...legacy } = base();
    assert.equal(check(legacy).tcbStatus, 'UpToDate');
  });

  test('malformed but signed bodies fail with ERR_IAS_REPORT_FORMAT', () => {
    const cases: (Record<string, unknown> | string)[] = [
      'not json',
      '[1,2]',
      '"text"',
      { ...base(), id: undefined },
      { ...base(), id: 7 },
      { ...base(), timestamp: '2020-05-11 09:21:15' },
      { ...base(), timestamp: '2020-05-11T09:21:15Z' },
      { ...base(), timestamp: '2020-13-45T09:21:15.1' },
      { ...base(), version: 7 },
      { ...base(), version: '4' },
      { ...base(), isvEnclaveQuoteStatus: undefined },
      { ...base(), isvEnclaveQuoteBody: quoteBody.subarray(0, 431).toString('base64') },
      { ...base(), isvEnclaveQuoteBody: 'not base64!' },
      {
        ...base(),
        isvEnclaveQuoteBody: Buffer.concat([Buffer.from([3, 0]), quoteBody.subarray(2)]).toString('base64'),
      },
      { ...base(), revocationReason: 1 },
      { ...base(), nonce: 5 },
      { ...base(), advisoryIDs: 'INTEL-SA-00334' },
      { ...base(), advisoryIDs: [1] },
      { ...base(), platformInfoBlob: 'xyz' },
    ];
    for (const c of cases) {
      assert.throws(() => check(c), codeIs('ERR_IAS_REPORT_FORMAT'), JSON.stringify(c).slice(0, 80));
    }
  });

  test('property: arbitrary signed bodies and arbitrary headers only raise AttestErrors', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 600 })), (b) => {
        const body = typeof b === 'string' ? new TextEncoder().encode(b) : b;
        const signatureB64 = sign('sha256', body, id.leafKey).toString('base64');
        try {
          check(Buffer.from(body).toString('latin1'));
          verifyIasReport(
            { body, signatureB64, signingCertChain: id.leafPem + id.caPem },
            { now: NOW, trustAnchors: id.caPem },
          );
        } catch (e) {
          assert.ok(isAttestError(e), String(e));
        }
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 400 }), (chain, sig) => {
        try {
          verifyIasReport({ body: V4.body, signatureB64: sig, signingCertChain: chain }, { now: V4.at });
          assert.fail('must not verify');
        } catch (e) {
          assert.ok(isAttestError(e), String(e));
        }
      }),
      { numRuns: 200 },
    );
  });
});
