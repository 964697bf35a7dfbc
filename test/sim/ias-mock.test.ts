import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IasClient } from '../../src/collateral/ias-client.ts';
import { isAttestError } from '../../src/errors.ts';
import {
  createIasMock,
  generateIasSigningIdentity,
  type IasMock,
  type IasSigningIdentity,
  SIM_EPID_QUOTE_SIZE,
  SIM_IAS_CA_NAME,
  signSimEpidQuote,
  verifySimEpidQuote,
} from '../../src/sim/ias-mock.ts';
import { verifyIasReport } from '../../src/verify/ias.ts';
import type { VerifiedIasReport } from '../../src/verify/types.ts';

const GID = new Uint8Array([0x0c, 0x0b, 0x00, 0x00]);
const FIXED_NOW = new Date('2030-03-01T12:00:00.123Z');

function codeIs(code: string) {
  return (e: unknown): boolean => {
    assert.ok(isAttestError(e), String(e));
    assert.equal(e.code, code, e.message);
    return true;
  };
}

/** A 432-byte EPID quote body: version 2, linkable, the group id, a report body with a MRENCLAVE. */
function quoteBody(gid: Uint8Array = GID, version = 2): Uint8Array {
  const b = new Uint8Array(432);
  const v = new DataView(b.buffer);
  v.setUint16(0, version, true);
  v.setUint16(2, 1, true);
  b.set(gid, 4);
  b.fill(0x5a, 48 + 64, 48 + 96); // MRENCLAVE
  b.fill(0x11, 48 + 320, 48 + 384); // REPORTDATA
  return b;
}

describe('simulated EPID quotes', () => {
  test('sign and verify; any change breaks them', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const q = signSimEpidQuote(quoteBody(), privateKey);
    assert.equal(q.length, SIM_EPID_QUOTE_SIZE);
    assert.equal(new DataView(q.buffer).getUint32(432, true), 680);
    assert.ok(verifySimEpidQuote(q, publicKey));
    for (const at of [0, 4, 100, 431, 436, 500, 1115]) {
      const bad = Uint8Array.from(q);
      bad[at] = bad[at]! ^ 1;
      assert.equal(verifySimEpidQuote(bad, publicKey), false, `byte ${at}`);
    }
    assert.equal(verifySimEpidQuote(q.subarray(0, 1115), publicKey), false);
    assert.throws(() => signSimEpidQuote(new Uint8Array(431), privateKey), RangeError);
  });
});

describe('IAS mock end to end over 127.0.0.1', () => {
  let identity: IasSigningIdentity;
  let mock: IasMock;
  let group: ReturnType<typeof generateKeyPairSync>;
  let outDir: string;

  before(async () => {
    identity = await generateIasSigningIdentity({ now: FIXED_NOW });
    group = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    outDir = await mkdtemp(join(tmpdir(), 'attestkit-ias-'));
    mock = await createIasMock({
      signingIdentity: identity,
      simEpidPublicKey: group.publicKey,
      epidGroupId: GID,
      apiKey: 'secret-key',
      sigRlB64: 'AAIADgAAAAEAAAAB',
      now: () => FIXED_NOW,
      outDir,
    });
  });
  after(async () => {
    await mock.close();
    await rm(outDir, { recursive: true, force: true });
  });

  const client = (version: 1 | 4 | 5, apiKey = 'secret-key'): IasClient =>
    new IasClient({
      baseUrl: version === 1 ? mock.urls.v1 : version === 4 ? mock.urls.v4 : mock.urls.v5,
      apiVersion: version,
      ...(version === 1 ? {} : { apiKey }),
    });

  async function attest(version: 1 | 4 | 5, quote: Uint8Array, nonce?: string): Promise<VerifiedIasReport> {
    const res = await client(version).getReport(quote, nonce === undefined ? {} : { nonce });
    assert.equal(res.insecureTransport, true);
    return verifyIasReport(res, {
      now: FIXED_NOW,
      trustAnchors: mock.reportSigningCaPem,
      expectedQuote: quote,
      ...(nonce === undefined ? {} : { expectedNonce: nonce }),
    });
  }

  test('the Report Signing CA is generated as specified and written to outDir', async () => {
    const ca = new X509Certificate(mock.reportSigningCaPem);
    assert.ok(ca.subject.includes(`CN=${SIM_IAS_CA_NAME}`));
    assert.equal(ca.publicKey.asymmetricKeyDetails?.modulusLength, 3072);
    assert.equal(new X509Certificate(identity.leafPem).publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(await readFile(mock.files.reportSigningCa!, 'utf8'), mock.reportSigningCaPem);
    assert.equal(mock.tlsCaPem, undefined);
  });

  test('v4: sigrl, then a report that verifies, echoes the nonce and carries the enclave identity', async () => {
    const sigrl = await client(4).getSigRl(GID);
    assert.deepEqual([...sigrl.subarray(0, 4)], [0x00, 0x02, 0x00, 0x0e]);
    const quote = signSimEpidQuote(quoteBody(), group.privateKey);
    const r = await attest(4, quote, 'nonce-123');
    assert.equal(r.iasStatus, 'OK');
    assert.equal(r.tcbStatus, 'UpToDate');
    assert.equal(r.nonce, 'nonce-123');
    assert.equal(r.epidGroupId, '0c0b0000');
    assert.equal(r.enclave.mrEnclave, '5a'.repeat(32));
    assert.equal(r.timestamp, '2030-03-01T12:00:00.123000Z');
  });

  test('v5 and legacy v1 (HTTP 201) paths', async () => {
    const quote = signSimEpidQuote(quoteBody(), group.privateKey);
    const v5 = await client(5).getReport(quote);
    const body5 = JSON.parse(new TextDecoder().decode(v5.body)) as Record<string, unknown>;
    assert.equal(body5.version, 5);
    assert.equal(typeof body5.tcbEvaluationDataNumber, 'number');
    const v1 = await client(1).getReport(quote);
    assert.equal(v1.status, 201);
    assert.equal(
      (JSON.parse(new TextDecoder().decode(v1.body)) as Record<string, unknown>).version,
      undefined,
    );
    assert.equal(
      verifyIasReport(v1, { now: FIXED_NOW, trustAnchors: mock.reportSigningCaPem }).tcbStatus,
      'UpToDate',
    );
  });

  test('a forged EPID signature gets SIGNATURE_INVALID, which the verifier refuses', async () => {
    const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = signSimEpidQuote(quoteBody(), forger.privateKey);
    await assert.rejects(attest(4, forged), (e: unknown) => {
      codeIs('ERR_IAS_QUOTE_STATUS')(e);
      assert.equal(((e as Error).cause as VerifiedIasReport).iasStatus, 'SIGNATURE_INVALID');
      return true;
    });
    const smudged = signSimEpidQuote(quoteBody(), group.privateKey);
    smudged[1000] = 1; // non-zero after the 64 signature bytes
    await assert.rejects(attest(4, smudged), codeIs('ERR_IAS_QUOTE_STATUS'));
  });

  test('a wrong or missing API key is 401', async () => {
    await assert.rejects(client(4, 'wrong').getSigRl(GID), codeIs('ERR_NET_HTTP_STATUS'));
    const quote = signSimEpidQuote(quoteBody(), group.privateKey);
    await assert.rejects(client(5, 'wrong').getReport(quote), (e: unknown) => {
      codeIs('ERR_NET_HTTP_STATUS')(e);
      assert.match((e as Error).message, /401/);
      return true;
    });
  });

  test('unknown group, wrong version and malformed quotes are rejected as IAS would', async () => {
    await assert.rejects(client(4).getSigRl(0x1234), codeIs('ERR_NET_HTTP_STATUS')); // 404
    const otherGroup = signSimEpidQuote(quoteBody(new Uint8Array([1, 2, 3, 4])), group.privateKey);
    await assert.rejects(client(4).getReport(otherGroup), codeIs('ERR_NET_HTTP_STATUS')); // 400
    const v3 = signSimEpidQuote(quoteBody(GID, 3), group.privateKey);
    await assert.rejects(client(4).getReport(v3), codeIs('ERR_NET_HTTP_STATUS'));
    await assert.rejects(client(4).getReport(new Uint8Array(100)), codeIs('ERR_NET_HTTP_STATUS'));
  });

  test('status override: setStatus changes what valid quotes get', async () => {
    const quote = signSimEpidQuote(quoteBody(), group.privateKey);
    mock.setStatus('GROUP_OUT_OF_DATE', ['INTEL-SA-00334']);
    try {
      const r = await attest(4, quote);
      assert.equal(r.iasStatus, 'GROUP_OUT_OF_DATE');
      assert.equal(r.tcbStatus, 'OutOfDate');
      assert.deepEqual(r.advisoryIds, ['INTEL-SA-00334']);
      assert.match(r.platformInfoBlob ?? '', /^15020065/);
      mock.setStatus('GROUP_REVOKED');
      assert.equal((await attest(5, quote)).tcbStatus, 'Revoked');
      mock.setStatus('KEY_REVOKED');
      await assert.rejects(attest(4, quote), codeIs('ERR_IAS_QUOTE_STATUS'));
    } finally {
      mock.setStatus('OK', []);
    }
  });

  test('unknown paths and methods', async () => {
    const status = (method: string, path: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const r = request(`${mock.origin}${path}`, { method }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        r.on('error', reject);
        r.end();
      });
    assert.equal(await status('GET', '/nope'), 404);
    assert.equal(await status('GET', '/attestation/v4/report'), 405);
    assert.equal(await status('POST', '/attestation/sgx/v1/sigrl/00000b0c'), 405);
  });

  test('request targets are routed after URL normalisation (query, dot segments); others are 404', async () => {
    const rawStatus = (path: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const r = request({ host: '127.0.0.1', port: mock.port, path, method: 'GET' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        r.on('error', reject);
        r.end();
      });
    assert.equal(await rawStatus('/attestation/sgx/v1/sigrl/00000b0c'), 200);
    assert.equal(await rawStatus('/attestation/sgx/v1/sigrl/00000B0C?x=1'), 200);
    assert.equal(await rawStatus('/attestation/sgx/v1/../v1/sigrl/00000b0c'), 200);
    assert.equal(await rawStatus('/attestation/v4/sigrl/00000b0c'), 401);
    assert.equal(await rawStatus('/attestation/sgx/v1/sigrl/00000b0c/'), 404);
    assert.equal(await rawStatus('/attestation/sgx/v1/sigrl/0000b0c'), 404);
  });

  test('request ids are fresh random 128-bit values (hundreds of requests)', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const id = await new Promise<string>((resolve, reject) => {
        const r = request(`${mock.urls.v1}sigrl/00000b0c`, (res) => {
          res.resume();
          resolve(String(res.headers['request-id']));
        });
        r.on('error', reject);
        r.end();
      });
      assert.match(id, /^[0-9a-f]{32}$/);
      ids.add(id);
    }
    assert.equal(ids.size, 300);
  });
});

describe('IAS mock over HTTPS with a status option', () => {
  let mock: IasMock;
  let outDir: string;
  before(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'attestkit-ias-tls-'));
    mock = await createIasMock({
      https: true,
      status: 'SW_HARDENING_NEEDED',
      advisories: ['INTEL-SA-00615'],
      now: () => FIXED_NOW,
      outDir,
    });
  });
  after(async () => {
    await mock.close();
    await rm(outDir, { recursive: true, force: true });
  });

  test('verifies end to end with the TLS CA; the generated group key is exposed', async () => {
    assert.ok(mock.tlsCaPem !== undefined && mock.simEpidPrivateKey !== undefined);
    assert.equal(await readFile(mock.files.tlsCa!, 'utf8'), mock.tlsCaPem);
    const c = new IasClient({ baseUrl: mock.urls.v5, apiVersion: 5, apiKey: 'any', tlsCa: mock.tlsCaPem });
    assert.equal(c.insecureTransport, false);
    const quote = signSimEpidQuote(quoteBody(), mock.simEpidPrivateKey);
    const res = await c.getReport(quote, { nonce: 'n' });
    const r = verifyIasReport(res, {
      now: FIXED_NOW,
      trustAnchors: mock.reportSigningCaPem,
      expectedQuote: quote,
      expectedNonce: 'n',
    });
    assert.equal(r.tcbStatus, 'SWHardeningNeeded');
    assert.deepEqual(r.advisoryIds, ['INTEL-SA-00615']);
  });

  test('without the TLS CA the handshake fails with ERR_NET_TLS', async () => {
    const c = new IasClient({ baseUrl: mock.urls.v4, apiVersion: 4, apiKey: 'any' });
    await assert.rejects(c.getSigRl(1), codeIs('ERR_NET_TLS'));
  });
});
