/**
 * The PCS / PCCS client against a local node:http server on 127.0.0.1 that serves files from
 * test/vectors (never the internet).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ExpiringCache } from '../../src/collateral/cache.ts';
import { parseCollateralJson } from '../../src/collateral/collateral.ts';
import { PcsClient } from '../../src/collateral/pcs-client.ts';
import { collateralTargetOf } from '../../src/collateral/target.ts';
import { isAttestError } from '../../src/errors.ts';
import { parseQuote } from '../../src/wire/quote.ts';

const V = new URL('../vectors/', import.meta.url);
const bytes = (p: string): Buffer => readFileSync(new URL(p, V));
const text = (p: string): string => readFileSync(new URL(p, V), 'utf8');

const ASSEMBLED = parseCollateralJson(text('assembled/tdx_50806F_2023-06-18_collateral.json'));
const TCB_CHAIN = text('oasis-core/pcs/tcb_info_v3_fmspc_00606A000000_certs.pem');
const AT = new Date('2023-06-18T12:36:16Z');

interface Route {
  status?: number;
  body: Buffer | string;
  headers?: Record<string, string>;
}

let server: Server;
let base: string;
const hits = new Map<string, number>();
/** Per-path behaviour overrides for a test: return a Route, 'hang' or 'destroy'. */
const overrides = new Map<string, (n: number) => Route | 'hang' | 'destroy'>();

function routes(url: URL): Route | undefined {
  const p = url.pathname;
  if (p === '/sgx/certification/v4/pckcrl' && url.searchParams.get('ca') === 'platform') {
    assert.equal(url.searchParams.get('encoding'), 'der');
    return {
      body: bytes('go-tdx-guest/pckcrl'),
      headers: { 'SGX-PCK-CRL-Issuer-Chain': encodeURIComponent(ASSEMBLED.pckCrlIssuerChain) },
    };
  }
  // PCCS answers the Root CA CRL as hex text (DCAP-VERIFICATION.md §6.2).
  if (p === '/sgx/certification/v4/rootcacrl')
    return { body: bytes('go-tdx-guest/rootcrl.der').toString('hex') };
  if (p === '/tdx/certification/v4/tcb' && url.searchParams.get('fmspc') === '50806F000000') {
    return {
      body: bytes('oasis-core/pcs/tcb_info_v3_tdx_fmspc_50806F000000.json'),
      headers: { 'TCB-Info-Issuer-Chain': encodeURIComponent(TCB_CHAIN) },
    };
  }
  if (p === '/sgx/certification/v4/tcb' && url.searchParams.get('fmspc') === '00606A000000') {
    // v3-style header name, still accepted
    return {
      body: bytes('oasis-core/pcs/tcb_info_v3_fmspc_00606A000000.json'),
      headers: { 'SGX-TCB-Info-Issuer-Chain': encodeURIComponent(TCB_CHAIN) },
    };
  }
  if (p === '/tdx/certification/v4/qe/identity') {
    return {
      body: bytes('oasis-core/pcs/qe_identity_v2_tdx.json'),
      headers: { 'SGX-Enclave-Identity-Issuer-Chain': encodeURIComponent(TCB_CHAIN) },
    };
  }
  return undefined;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const n = (hits.get(url.pathname) ?? 0) + 1;
  hits.set(url.pathname, n);
  const o = overrides.get(url.pathname);
  const r = o === undefined ? routes(url) : o(n);
  if (r === 'hang') return; // never answers
  if (r === 'destroy') {
    req.socket.destroy();
    return;
  }
  if (r === undefined) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(r.status ?? 200, r.headers ?? {});
  res.end(r.body);
}

before(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const code = (c: string) => (e: unknown) => isAttestError(e) && e.code === c;
const noSleep = async (): Promise<void> => {};

function client(extra: Partial<ConstructorParameters<typeof PcsClient>[0]> = {}): PcsClient {
  return new PcsClient({ baseUrl: base, now: () => AT, sleep: noSleep, timeoutMs: 2000, ...extra });
}

describe('PcsClient (PCCS on 127.0.0.1)', () => {
  test('assembles the same collateral as assembled/tdx_50806F_2023-06-18_collateral.json', async () => {
    hits.clear();
    overrides.clear();
    const c = await client().getCollateral({ fmspc: '50806f000000', pckCa: 'platform', tee: 'TDX' });
    assert.deepEqual(c, ASSEMBLED);
    assert.ok(Object.isFrozen(c));
  });

  test('getCollateralForQuote reads FMSPC, CA type and TEE from the quote', async () => {
    overrides.clear();
    const quote = bytes('oasis-core/pcs/quote_v4_tdx_ecdsa_p256_out_of_date.bin');
    const target = collateralTargetOf(new Uint8Array(quote));
    assert.deepEqual(target, { fmspc: '50806F000000', pckCa: 'platform', tee: 'TDX' });
    const c = await client().getCollateralForQuote(new Uint8Array(quote));
    assert.deepEqual(c, ASSEMBLED);
    // and a parsed quote, or a target, work too
    assert.deepEqual(await client().getCollateralForQuote(parseQuote(new Uint8Array(quote))), ASSEMBLED);
    assert.deepEqual(await client().getCollateralForQuote(target), ASSEMBLED);
    // SGX quote issued by the Processor CA
    assert.deepEqual(collateralTargetOf(new Uint8Array(bytes('phala-dcap-qvl/sgx_quote'))), {
      fmspc: '00A067110000',
      pckCa: 'processor',
      tee: 'SGX',
    });
    assert.throws(
      () => collateralTargetOf(new Uint8Array(bytes('oasis-core/pcs/quote_v3_ecdsa_p256_eppid.bin'))),
      code('ERR_VERIFY_NO_PCK_CHAIN'),
    );
  });

  test('accepts the v3 header name SGX-TCB-Info-Issuer-Chain', async () => {
    overrides.clear();
    const r = await client().getTcbInfo('SGX', '00606A000000');
    assert.equal(r.issuerChain, TCB_CHAIN);
    assert.ok(r.signedText.startsWith('{"id":"SGX"'));
  });

  test('the cache keeps entries until nextUpdate by the injected clock', async () => {
    overrides.clear();
    hits.clear();
    let now = AT;
    const cache = new ExpiringCache<unknown>();
    const c = client({ now: () => now, cache });
    await c.getQeIdentity('TDX');
    await c.getQeIdentity('TDX');
    assert.equal(hits.get('/tdx/certification/v4/qe/identity'), 1);
    now = new Date('2023-07-08T07:24:58Z'); // 1 s before nextUpdate
    await c.getQeIdentity('TDX');
    assert.equal(hits.get('/tdx/certification/v4/qe/identity'), 1);
    now = new Date('2023-07-08T07:24:59Z'); // at nextUpdate: refetched
    await c.getQeIdentity('TDX');
    assert.equal(hits.get('/tdx/certification/v4/qe/identity'), 2);
    // CRLs are kept until their own nextUpdate (pckcrl: 2023-07-08T07:27:52Z)
    now = AT;
    await c.getPckCrl('platform');
    await c.getPckCrl('platform');
    assert.equal(hits.get('/sgx/certification/v4/pckcrl'), 1);
    now = new Date('2023-07-09T00:00:00Z');
    await c.getPckCrl('platform');
    assert.equal(hits.get('/sgx/certification/v4/pckcrl'), 2);
  });

  test('cache: false fetches every time', async () => {
    overrides.clear();
    hits.clear();
    const c = client({ cache: false });
    await c.getRootCaCrl();
    await c.getRootCaCrl();
    assert.equal(hits.get('/sgx/certification/v4/rootcacrl'), 2);
  });

  test('retries 5xx with exponential backoff, then succeeds', async () => {
    hits.clear();
    overrides.clear();
    overrides.set('/sgx/certification/v4/rootcacrl', (n) =>
      n < 3 ? { status: 503, body: 'busy' } : { body: bytes('go-tdx-guest/rootcrl.der') },
    );
    const waits: number[] = [];
    const crl = await client({
      sleep: async (ms) => void waits.push(ms),
      backoffMs: 100,
      cache: false,
    }).getRootCaCrl();
    assert.equal(crl[0], 0x30);
    assert.deepEqual(waits, [100, 200]);
    assert.equal(hits.get('/sgx/certification/v4/rootcacrl'), 3);
  });

  test('5xx after the last retry → ERR_NET_HTTP_STATUS', async () => {
    hits.clear();
    overrides.clear();
    overrides.set('/sgx/certification/v4/rootcacrl', () => ({ status: 500, body: 'down' }));
    await assert.rejects(client({ retries: 2, cache: false }).getRootCaCrl(), code('ERR_NET_HTTP_STATUS'));
    assert.equal(hits.get('/sgx/certification/v4/rootcacrl'), 3);
  });

  test('404 is not retried → ERR_NET_HTTP_STATUS', async () => {
    hits.clear();
    overrides.clear();
    await assert.rejects(client().getTcbInfo('TDX', '00AABBCCDDEE'), code('ERR_NET_HTTP_STATUS'));
    assert.equal(hits.get('/tdx/certification/v4/tcb'), 1);
  });

  test('no answer before the deadline → ERR_NET_TIMEOUT', async () => {
    overrides.clear();
    overrides.set('/tdx/certification/v4/qe/identity', () => 'hang');
    await assert.rejects(
      client({ timeoutMs: 50, retries: 1, cache: false }).getQeIdentity('TDX'),
      code('ERR_NET_TIMEOUT'),
    );
  });

  test('connection reset → ERR_NET_UNREACHABLE', async () => {
    overrides.clear();
    overrides.set('/tdx/certification/v4/qe/identity', () => 'destroy');
    await assert.rejects(
      client({ retries: 1, cache: false }).getQeIdentity('TDX'),
      code('ERR_NET_UNREACHABLE'),
    );
  });

  test('nothing listening → ERR_NET_UNREACHABLE', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const c = new PcsClient({ baseUrl: `http://127.0.0.1:${port}`, sleep: noSleep, retries: 1 });
    await assert.rejects(c.getRootCaCrl(), code('ERR_NET_UNREACHABLE'));
  });

  const bad: [string, string, Route][] = [
    [
      'missing issuer-chain header',
      '/tdx/certification/v4/qe/identity',
      { body: bytes('oasis-core/pcs/qe_identity_v2_tdx.json') },
    ],
    [
      'body not JSON',
      '/tdx/certification/v4/qe/identity',
      { body: '<html>', headers: { 'SGX-Enclave-Identity-Issuer-Chain': encodeURIComponent(TCB_CHAIN) } },
    ],
    [
      'body JSON but wrong member',
      '/tdx/certification/v4/qe/identity',
      {
        body: bytes('oasis-core/pcs/tcb_info_v3_tdx_fmspc_50806F000000.json'),
        headers: { 'SGX-Enclave-Identity-Issuer-Chain': encodeURIComponent(TCB_CHAIN) },
      },
    ],
    [
      'header not PEM',
      '/tdx/certification/v4/qe/identity',
      {
        body: bytes('oasis-core/pcs/qe_identity_v2_tdx.json'),
        headers: { 'SGX-Enclave-Identity-Issuer-Chain': 'abc' },
      },
    ],
    ['CRL body garbage', '/sgx/certification/v4/rootcacrl', { body: 'deadbeef' }],
    ['CRL body not a CRL', '/sgx/certification/v4/rootcacrl', { body: 'hello' }],
    ['oversized body', '/sgx/certification/v4/rootcacrl', { body: Buffer.alloc(5000, 0x30) }],
  ];
  for (const [name, path, route] of bad) {
    test(`${name} → ERR_NET_BAD_RESPONSE`, async () => {
      overrides.clear();
      overrides.set(path, () => route);
      const c = client({ cache: false, maxResponseBytes: 4096 });
      const p = path.includes('rootcacrl') ? c.getRootCaCrl() : c.getQeIdentity('TDX');
      await assert.rejects(p, code('ERR_NET_BAD_RESPONSE'));
    });
  }

  test('injected fetch: the request URLs, query and API key header', async () => {
    const seen: { url: string; key: string | undefined }[] = [];
    const fake = async (url: string, init: { headers: Record<string, string> }): Promise<Response> => {
      seen.push({ url, key: init.headers['Ocp-Apim-Subscription-Key'] });
      return new Response('nope', { status: 404 });
    };
    const c = new PcsClient({
      fetch: fake,
      apiKey: 'k',
      update: 'early',
      tcbEvaluationDataNumber: 17,
      sleep: noSleep,
    });
    await assert.rejects(c.getTcbInfo('SGX', '00a067110000'), code('ERR_NET_HTTP_STATUS'));
    await assert.rejects(c.getPckCrl('processor'), code('ERR_NET_HTTP_STATUS'));
    await assert.rejects(c.getRootCaCrl(), code('ERR_NET_HTTP_STATUS'));
    assert.deepEqual(seen, [
      {
        url: 'https://api.trustedservices.intel.com/sgx/certification/v4/tcb?fmspc=00A067110000&update=early&tcbEvaluationDataNumber=17',
        key: 'k',
      },
      {
        url: 'https://api.trustedservices.intel.com/sgx/certification/v4/pckcrl?ca=processor&encoding=der',
        key: 'k',
      },
      { url: 'https://certificates.trustedservices.intel.com/IntelSGXRootCA.der', key: 'k' },
    ]);
  });

  test('misuse throws TypeError / RangeError', () => {
    assert.throws(() => new PcsClient({ baseUrl: 'ftp://x' }), TypeError);
    assert.throws(() => new PcsClient({ timeoutMs: -1 }), RangeError);
    assert.throws(() => client().getPckCrl('other' as 'platform'), TypeError);
  });
});

describe('ExpiringCache', () => {
  test('expiry, capacity and clear', () => {
    const c = new ExpiringCache<number>({ maxEntries: 2 });
    c.set('a', 1, 100, 0);
    c.set('b', 2, 100, 0);
    c.set('c', 3, 100, 0); // evicts a
    assert.equal(c.get('a', 0), undefined);
    assert.equal(c.get('b', 99), 2);
    assert.equal(c.get('b', 100), undefined);
    c.set('d', 4, 50, 60); // already expired: not stored
    assert.equal(c.get('d', 0), undefined);
    c.clear();
    assert.equal(c.size, 0);
    assert.throws(() => new ExpiringCache({ maxEntries: 0 }), RangeError);
  });
});
