import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  formatEpidGroupId,
  IasClient,
  type IasHttpRequest,
  type IasHttpResponse,
  type IasTransport,
  nodeHttpTransport,
} from '../../src/collateral/ias-client.ts';
import { isAttestError, NetworkError } from '../../src/errors.ts';

const QUOTE = new Uint8Array(1116).fill(7);

function codeIs(code: string) {
  return (e: unknown): boolean => {
    assert.ok(isAttestError(e), String(e));
    assert.equal(e.code, code, e.message);
    return true;
  };
}

function fake(responses: IasHttpResponse[]) {
  const seen: IasHttpRequest[] = [];
  const transport = async (req: IasHttpRequest): Promise<IasHttpResponse> => {
    seen.push(req);
    const r = responses.shift();
    if (r === undefined) throw new Error('no more responses');
    return r;
  };
  return { seen, transport };
}

const SIGNED_HEADERS = {
  'x-iasreport-signature': 'c2ln',
  'x-iasreport-signing-certificate': '-----BEGIN%20CERTIFICATE-----',
  'request-id': 'abc',
};
const REPORT = new TextEncoder().encode('{"id":"1"}');

describe('IasClient (injected transport)', () => {
  test('v4: GET sigrl/{gid} with the subscription key; gid is the u32 in hex (wire bytes reversed)', async () => {
    const { seen, transport } = fake([
      { status: 200, headers: {}, body: new TextEncoder().encode('AAIADg==') },
    ]);
    const c = new IasClient({
      baseUrl: 'https://ias.example/attestation/v4',
      apiVersion: 4,
      apiKey: 'k1',
      transport,
    });
    const sigrl = await c.getSigRl(new Uint8Array([0x03, 0x01, 0x00, 0x00]));
    assert.deepEqual([...sigrl], [0x00, 0x02, 0x00, 0x0e]);
    assert.equal(seen[0]?.method, 'GET');
    assert.equal(seen[0]?.url.href, 'https://ias.example/attestation/v4/sigrl/00000103');
    assert.equal(seen[0]?.headers['ocp-apim-subscription-key'], 'k1');
    assert.equal(c.insecureTransport, false);
  });

  test('an empty SigRL body means no SigRL; garbage is ERR_NET_BAD_RESPONSE; 404 is ERR_NET_HTTP_STATUS', async () => {
    const { transport } = fake([
      { status: 200, headers: {}, body: new Uint8Array(0) },
      { status: 200, headers: {}, body: new TextEncoder().encode('not base64!') },
      { status: 404, headers: {}, body: new Uint8Array(0) },
    ]);
    const c = new IasClient({ baseUrl: 'https://ias.example/v4/', apiVersion: 4, apiKey: 'k', transport });
    assert.equal((await c.getSigRl(0x103)).length, 0);
    await assert.rejects(c.getSigRl(0x103), codeIs('ERR_NET_BAD_RESPONSE'));
    await assert.rejects(c.getSigRl(0x103), codeIs('ERR_NET_HTTP_STATUS'));
  });

  test('v5: POST report with {isvEnclaveQuote, nonce}; returns body bytes and the signature headers', async () => {
    const { seen, transport } = fake([{ status: 200, headers: SIGNED_HEADERS, body: REPORT }]);
    const c = new IasClient({ baseUrl: 'https://ias.example/v5/', apiVersion: 5, apiKey: 'k', transport });
    const r = await c.getReport(QUOTE, { nonce: 'n0nce' });
    assert.deepEqual(r.body, REPORT);
    assert.equal(r.signatureB64, 'c2ln');
    assert.equal(r.signingCertChain, '-----BEGIN%20CERTIFICATE-----');
    assert.equal(r.requestId, 'abc');
    assert.equal(r.status, 200);
    const req = seen[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url.href, 'https://ias.example/v5/report');
    assert.equal(req.headers['content-type'], 'application/json');
    const sent = JSON.parse(new TextDecoder().decode(req.body)) as Record<string, string>;
    assert.deepEqual(Object.keys(sent), ['isvEnclaveQuote', 'nonce']);
    assert.deepEqual(new Uint8Array(Buffer.from(sent.isvEnclaveQuote!, 'base64')), QUOTE);
    assert.equal(sent.nonce, 'n0nce');
  });

  test('v3-style Advisory-URL / Advisory-IDs headers are returned', async () => {
    const { transport } = fake([
      {
        status: 200,
        headers: {
          ...SIGNED_HEADERS,
          'advisory-url': 'https://x',
          'advisory-ids': 'INTEL-SA-00334, INTEL-SA-00615',
        },
        body: REPORT,
      },
    ]);
    const c = new IasClient({ baseUrl: 'https://ias.example/', apiVersion: 4, apiKey: 'k', transport });
    const r = await c.getReport(QUOTE);
    assert.deepEqual(r.advisoryIds, ['INTEL-SA-00334', 'INTEL-SA-00615']);
    assert.equal(r.advisoryUrl, 'https://x');
  });

  test('401 retries once with the secondary key', async () => {
    const { seen, transport } = fake([
      { status: 401, headers: {}, body: new Uint8Array(0) },
      { status: 200, headers: SIGNED_HEADERS, body: REPORT },
    ]);
    const c = new IasClient({
      baseUrl: 'https://ias.example/',
      apiVersion: 4,
      apiKey: 'primary',
      secondaryApiKey: 'secondary',
      transport,
    });
    await c.getReport(QUOTE);
    assert.deepEqual(
      seen.map((r) => r.headers['ocp-apim-subscription-key']),
      ['primary', 'secondary'],
    );
  });

  test('v1 (the seed): client certificate, no subscription key, HTTP 201 only', async () => {
    const { seen, transport } = fake([
      { status: 201, headers: SIGNED_HEADERS, body: REPORT },
      { status: 200, headers: SIGNED_HEADERS, body: REPORT },
    ]);
    const c = new IasClient({
      baseUrl: 'https://ias.example/attestation/sgx/v1/',
      apiVersion: 1,
      clientCert: { cert: 'CERT', key: 'KEY' },
      tlsCa: 'CA',
      transport,
    });
    const r = await c.getReport(QUOTE);
    assert.equal(r.status, 201);
    assert.equal(seen[0]?.headers['ocp-apim-subscription-key'], undefined);
    assert.equal(seen[0]?.cert, 'CERT');
    assert.equal(seen[0]?.key, 'KEY');
    assert.equal(seen[0]?.ca, 'CA');
    await assert.rejects(c.getReport(QUOTE), codeIs('ERR_NET_HTTP_STATUS'));
  });

  test('unsigned or empty reports and error statuses are refused', async () => {
    const { transport } = fake([
      { status: 200, headers: {}, body: REPORT },
      { status: 200, headers: SIGNED_HEADERS, body: new Uint8Array(0) },
      { status: 400, headers: {}, body: new Uint8Array(0) },
      { status: 503, headers: {}, body: new Uint8Array(0) },
    ]);
    const c = new IasClient({ baseUrl: 'https://ias.example/', apiVersion: 4, apiKey: 'k', transport });
    await assert.rejects(c.getReport(QUOTE), codeIs('ERR_NET_BAD_RESPONSE'));
    await assert.rejects(c.getReport(QUOTE), codeIs('ERR_NET_BAD_RESPONSE'));
    await assert.rejects(c.getReport(QUOTE), codeIs('ERR_NET_HTTP_STATUS'));
    await assert.rejects(c.getReport(QUOTE), codeIs('ERR_NET_HTTP_STATUS'));
  });

  test('transport failures become NetworkErrors', async () => {
    const errors: unknown[] = [
      Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
      Object.assign(new Error('cert'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
      new NetworkError('ERR_NET_TIMEOUT', 'slow'),
      new Error('odd'),
    ];
    const expected = [
      'ERR_NET_UNREACHABLE',
      'ERR_NET_CLOSED',
      'ERR_NET_TLS',
      'ERR_NET_TIMEOUT',
      'ERR_NET_UNREACHABLE',
    ];
    for (const [i, err] of errors.entries()) {
      const c = new IasClient({
        baseUrl: 'https://ias.example/',
        apiVersion: 4,
        apiKey: 'k',
        transport: async () => {
          throw err;
        },
      });
      await assert.rejects(c.getSigRl(1), codeIs(expected[i]!));
    }
  });

  test('configuration errors', () => {
    assert.throws(
      () => new IasClient({ baseUrl: 'not a url', apiVersion: 4, apiKey: 'k' }),
      codeIs('ERR_CONFIG_INVALID'),
    );
    assert.throws(
      () => new IasClient({ baseUrl: 'ftp://x/', apiVersion: 4, apiKey: 'k' }),
      codeIs('ERR_CONFIG_INVALID'),
    );
    assert.throws(
      () => new IasClient({ baseUrl: 'https://x/', apiVersion: 4 }),
      codeIs('ERR_CONFIG_INVALID'),
    );
    assert.throws(
      () => new IasClient({ baseUrl: 'https://x/', apiVersion: 3 as 4, apiKey: 'k' }),
      codeIs('ERR_CONFIG_INVALID'),
    );
    const c = new IasClient({ baseUrl: 'http://127.0.0.1:1/', apiVersion: 4, apiKey: 'k' });
    assert.equal(c.insecureTransport, true);
    return assert.rejects(c.getReport(QUOTE, { nonce: 'x'.repeat(33) }), codeIs('ERR_CONFIG_INVALID'));
  });

  test('formatEpidGroupId', () => {
    assert.equal(formatEpidGroupId(new Uint8Array([0xc5, 0x0b, 0, 0])), '00000bc5');
    assert.equal(formatEpidGroupId(0xb0c), '00000b0c');
    assert.throws(() => formatEpidGroupId(new Uint8Array(3)), RangeError);
    assert.throws(() => formatEpidGroupId(-1), RangeError);
  });
});

describe('IasClient SigRL cache (sigRlCacheMs)', () => {
  const G1 = new Uint8Array([0x37, 0x0b, 0x00, 0x00]);
  const G2 = new Uint8Array([0x38, 0x0b, 0x00, 0x00]);

  /** A transport that answers every SigRL request with the next body (or throws) and counts them by group. */
  function sigRlServer(bodies: (string | Error)[]) {
    const paths: string[] = [];
    const transport = async (req: IasHttpRequest): Promise<IasHttpResponse> => {
      paths.push(req.url.pathname);
      const next = bodies.shift();
      if (next === undefined) throw new Error('no more responses');
      if (next instanceof Error) throw next;
      return { status: 200, headers: {}, body: new TextEncoder().encode(next) };
    };
    return { paths, transport };
  }

  function client(
    transport: IasTransport,
    clock: { ms: number },
    over: Partial<ConstructorParameters<typeof IasClient>[0]> = {},
  ) {
    return new IasClient({
      baseUrl: 'https://ias.example/attestation/v4/',
      apiVersion: 4,
      apiKey: 'k',
      transport,
      sigRlCacheMs: 1000,
      now: () => new Date(clock.ms),
      ...over,
    });
  }

  test('off by default: every call asks IAS', async () => {
    const { paths, transport } = sigRlServer(['AAIADg==', 'AAIADw==']);
    const c = new IasClient({ baseUrl: 'https://ias.example/v4/', apiVersion: 4, apiKey: 'k', transport });
    assert.deepEqual([...(await c.getSigRl(G1))], [0, 2, 0, 0x0e]);
    assert.deepEqual([...(await c.getSigRl(G1))], [0, 2, 0, 0x0f]);
    assert.equal(paths.length, 2);
  });

  test('a hit within the TTL, a miss at and after it; a clock that went back is a miss', async () => {
    const clock = { ms: 1_000_000 };
    const { paths, transport } = sigRlServer(['AAIADg==', 'AAIADw==', 'AAIAEA==']);
    const c = client(transport, clock);
    assert.deepEqual([...(await c.getSigRl(G1))], [0, 2, 0, 0x0e]);
    clock.ms += 999;
    assert.deepEqual([...(await c.getSigRl(G1))], [0, 2, 0, 0x0e]);
    assert.equal(paths.length, 1);
    clock.ms += 1; // fetched at 1_000_000, TTL 1000: valid up to 1_000_999
    assert.deepEqual([...(await c.getSigRl(G1))], [0, 2, 0, 0x0f]);
    assert.equal(paths.length, 2);
    clock.ms -= 1;
    assert.deepEqual([...(await c.getSigRl(G1))], [0, 2, 0, 0x10]);
    assert.equal(paths.length, 3);
  });

  test('entries are per EPID group, and callers get copies', async () => {
    const clock = { ms: 0 };
    const { paths, transport } = sigRlServer(['AAIADg==', 'AAIADw==']);
    const c = client(transport, clock);
    const a = await c.getSigRl(G1);
    const b = await c.getSigRl(G2);
    assert.deepEqual(paths, ['/attestation/v4/sigrl/00000b37', '/attestation/v4/sigrl/00000b38']);
    a.fill(0xff);
    assert.deepEqual([...(await c.getSigRl(G1))], [0, 2, 0, 0x0e]);
    assert.deepEqual([...(await c.getSigRl(0xb38))], [...b]);
    assert.equal(paths.length, 2);
  });

  test('errors are never cached: the next call asks again', async () => {
    const clock = { ms: 0 };
    const { paths, transport } = sigRlServer([
      Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
      'not base64!',
      'AAIADg==',
    ]);
    const c = client(transport, clock);
    await assert.rejects(c.getSigRl(G1), codeIs('ERR_NET_CLOSED'));
    await assert.rejects(c.getSigRl(G1), codeIs('ERR_NET_BAD_RESPONSE'));
    assert.deepEqual([...(await c.getSigRl(G1))], [0, 2, 0, 0x0e]);
    assert.deepEqual([...(await c.getSigRl(G1))], [0, 2, 0, 0x0e]);
    assert.equal(paths.length, 3);
    // Error statuses are not cached either.
    const statuses = [404, 200];
    let asked = 0;
    const d = client(async () => {
      asked++;
      return { status: statuses.shift() ?? 500, headers: {}, body: new Uint8Array(0) };
    }, clock);
    await assert.rejects(d.getSigRl(G1), codeIs('ERR_NET_HTTP_STATUS'));
    assert.equal((await d.getSigRl(G1)).length, 0);
    assert.equal((await d.getSigRl(G1)).length, 0);
    assert.equal(asked, 2);
  });

  test('concurrent calls for one group share one request', async () => {
    const clock = { ms: 0 };
    const { paths, transport } = sigRlServer(['AAIADg==']);
    const c = client(transport, clock);
    const all = await Promise.all([c.getSigRl(G1), c.getSigRl(G1), c.getSigRl(G1)]);
    assert.equal(paths.length, 1);
    for (const r of all) assert.deepEqual([...r], [0, 2, 0, 0x0e]);
    all[0]!.fill(0);
    assert.deepEqual([...all[1]!], [0, 2, 0, 0x0e]);
  });

  test('forgetSigRl drops one group or all; a request under way then does not fill the cache', async () => {
    const clock = { ms: 0 };
    const { paths, transport } = sigRlServer([
      'AAIADg==',
      'AAIADw==',
      'AAIAEA==',
      'AAIAEQ==',
      'AAIAEg==',
      'AAIAEw==',
    ]);
    const c = client(transport, clock);
    await c.getSigRl(G1);
    await c.getSigRl(G2);
    c.forgetSigRl(G1);
    assert.deepEqual([...(await c.getSigRl(G1))], [0, 2, 0, 0x10]);
    assert.deepEqual([...(await c.getSigRl(G2))], [0, 2, 0, 0x0f]);
    assert.equal(paths.length, 3);
    c.forgetSigRl();
    const during = c.getSigRl(G2);
    c.forgetSigRl(G2);
    assert.deepEqual([...(await during)], [0, 2, 0, 0x11]);
    assert.deepEqual([...(await c.getSigRl(G2))], [0, 2, 0, 0x12]);
    assert.deepEqual([...(await c.getSigRl(G2))], [0, 2, 0, 0x12]);
    assert.equal(paths.length, 5);
  });

  test('bounded: the least recently used group is dropped first', async () => {
    const clock = { ms: 0 };
    const { paths, transport } = sigRlServer(['AAIADg==', 'AAIADw==', 'AAIAEA==', 'AAIAEQ==']);
    const c = client(transport, clock, { sigRlCacheMaxEntries: 2 });
    await c.getSigRl(1);
    await c.getSigRl(2);
    await c.getSigRl(1); // hit; 2 is now the least recently used
    await c.getSigRl(3); // drops 2
    assert.equal(paths.length, 3);
    assert.deepEqual([...(await c.getSigRl(1))], [0, 2, 0, 0x0e]);
    assert.deepEqual([...(await c.getSigRl(2))], [0, 2, 0, 0x11]);
    assert.equal(paths.length, 4);
  });

  test('invalid cache settings are configuration errors', () => {
    const base = { baseUrl: 'https://x/', apiVersion: 4, apiKey: 'k' } as const;
    for (const sigRlCacheMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new IasClient({ ...base, sigRlCacheMs }), codeIs('ERR_CONFIG_INVALID'));
    }
    for (const sigRlCacheMaxEntries of [0, 1.5, -3]) {
      assert.throws(
        () => new IasClient({ ...base, sigRlCacheMs: 10, sigRlCacheMaxEntries }),
        codeIs('ERR_CONFIG_INVALID'),
      );
    }
  });
});

describe('nodeHttpTransport (127.0.0.1)', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200);
        res.end(Buffer.alloc(4096, 0x41));
      } else if (req.url === '/chunked-big') {
        res.writeHead(200);
        for (let i = 0; i < 8; i++) res.write(Buffer.alloc(1024, 0x41));
        res.end();
      } else if (req.url === '/silent') {
        // never answers
      } else {
        res.writeHead(200, { 'X-Custom': 'Yes' });
        req.pipe(res);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const req = (path: string, over: Partial<IasHttpRequest> = {}): IasHttpRequest => ({
    method: 'POST',
    url: new URL(path, base),
    headers: {},
    body: new TextEncoder().encode('hello'),
    timeoutMs: 2000,
    maxResponseBytes: 2048,
    ...over,
  });

  test('round trip; header names are lowercased', async () => {
    const res = await nodeHttpTransport(req('/echo'));
    assert.equal(res.status, 200);
    assert.equal(new TextDecoder().decode(res.body), 'hello');
    assert.equal(res.headers['x-custom'], 'Yes');
  });

  test('responses over the cap are ERR_NET_BAD_RESPONSE (declared or streamed)', async () => {
    await assert.rejects(nodeHttpTransport(req('/big')), codeIs('ERR_NET_BAD_RESPONSE'));
    await assert.rejects(nodeHttpTransport(req('/chunked-big')), codeIs('ERR_NET_BAD_RESPONSE'));
  });

  test('a silent server is ERR_NET_TIMEOUT', async () => {
    await assert.rejects(nodeHttpTransport(req('/silent', { timeoutMs: 150 })), codeIs('ERR_NET_TIMEOUT'));
  });

  test('a closed port is ERR_NET_UNREACHABLE', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const c = new IasClient({
      baseUrl: `http://127.0.0.1:${port}/attestation/v4/`,
      apiVersion: 4,
      apiKey: 'k',
    });
    await assert.rejects(c.getSigRl(1), codeIs('ERR_NET_UNREACHABLE'));
  });
});
