/**
 * The TLS frame transport over real TLS on 127.0.0.1 (PROTOCOL-SEED.md §3): echo, many concurrent
 * sessions, a seed-like ping-pong driven by handlers, caps and malformed headers that end only the
 * offending connection, deadlines (handshake, per message, per session), and the client's pinned CA
 * and hostname check. Certificates are made fresh for each run with @peculiar/x509 (tests only).
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { once } from 'node:events';
import {
  type AddressInfo,
  connect as netConnect,
  createServer as netCreateServer,
  type Socket,
} from 'node:net';
import { before, describe, test } from 'node:test';
import { type TLSSocket, connect as tlsConnect, createServer as tlsCreateServer } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { isAttestError, type NetworkError, NetworkError as NetworkErrorCtor } from '../../src/errors.ts';
import {
  connectFrameChannel,
  FrameChannel,
  type FrameClientOptions,
  type FrameServer,
  type FrameServerOptions,
  type FrameSink,
  runClientSession,
  type SessionEnd,
  type SessionHandler,
  startFrameServer,
} from '../../src/transport/index.ts';
import { encodeFrame, type Frame } from '../../src/wire/frame.ts';
import { fromHex, toHex } from '../../src/wire/hex.ts';

interface Credentials {
  readonly cert: string;
  readonly key: string;
}

async function selfSigned(commonName: string, withSan: boolean): Promise<Credentials> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(true, undefined, true)];
  if (withSan) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    );
  }
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${commonName}`,
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2100-01-01T00:00:00Z'),
    signingAlgorithm: alg,
    keys,
    extensions,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem'), key };
}

let server: Credentials; // CN=localhost, SAN localhost + 127.0.0.1
let other: Credentials; // CN=attestkit-other-test, no SAN, another key

before(async () => {
  server = await selfSigned('localhost', true);
  other = await selfSigned('attestkit-other-test', false);
});

const hasCode = (code: string) => (e: unknown) => isAttestError(e) && e.code === code;
const codeOf = (end: SessionEnd): string | undefined =>
  end.ok ? undefined : isAttestError(end.error) ? end.error.code : 'non-attest';

/** A server whose sessions are recorded; `ends` resolves in the order sessions end. */
async function withServer(
  make: (peer: unknown) => SessionHandler,
  opts: Partial<FrameServerOptions> = {},
): Promise<{
  srv: FrameServer;
  ends: SessionEnd[];
  nextEnd: () => Promise<SessionEnd>;
  rejects: NetworkError[];
}> {
  const ends: SessionEnd[] = [];
  const rejects: NetworkError[] = [];
  const waiting: ((e: SessionEnd) => void)[] = [];
  let taken = 0;
  const srv = await startFrameServer({
    cert: server.cert,
    key: server.key,
    onSession: (peer) => {
      const h = make(peer);
      return {
        ...(h.start === undefined ? {} : { start: () => h.start!() }),
        onFrame: (f) => h.onFrame(f),
        onEnd: (e) => {
          h.onEnd?.(e);
          ends.push(e);
          waiting.shift()?.(e);
        },
      };
    },
    onConnectionError: (e) => rejects.push(e),
    ...opts,
  });
  const nextEnd = (): Promise<SessionEnd> => {
    const i = taken++;
    if (i < ends.length) return Promise.resolve(ends[i]!);
    return new Promise((resolve) => waiting.push(resolve));
  };
  return { srv, ends, nextEnd, rejects };
}

const echo = (): SessionHandler => ({ onFrame: (f) => ({ send: [f] }) });

function clientOptions(port: number, extra: Partial<FrameClientOptions> = {}): FrameClientOptions {
  return { host: '127.0.0.1', port, ca: server.cert, ...extra };
}

function rawTls(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: server.cert }, () => resolve(s));
    s.once('error', reject);
  });
}

function frame(type: number, hex: string): Frame {
  return { type, body: fromHex(hex) };
}

describe('transport over TLS on 127.0.0.1', () => {
  test('echo: request/response with the pinned CA and the hostname check', async () => {
    const { srv, nextEnd } = await withServer(echo);
    try {
      const ch = await connectFrameChannel(clientOptions(srv.address.port));
      const r1 = await ch.request([frame(5, '0805')], 5_000);
      assert.deepEqual({ type: r1.type, body: toHex(r1.body) }, { type: 5, body: '0805' });
      const big = new Uint8Array(200_000).map((_, i) => i % 251);
      const r2 = await ch.request([{ type: 3, body: big }], 5_000);
      assert.equal(r2.type, 3);
      assert.deepEqual(r2.body, big);
      await ch.close();
      assert.equal(codeOf(await nextEnd()), 'ERR_NET_CLOSED'); // the peer (us) closed between frames
    } finally {
      await srv.close();
    }
  });

  test('a seed-like ping-pong between two handlers (client starts, server ends with type 6)', async () => {
    const serverSeen: number[] = [];
    const { srv, nextEnd } = await withServer(() => ({
      onFrame: (f) => {
        serverSeen.push(f.type);
        if (f.type === 5) return { send: [frame(0, '08001000')] };
        if (f.type === 0) return { send: [frame(6, '08061000')], close: true };
        throw new Error('unexpected');
      },
    }));
    try {
      const clientSeen: number[] = [];
      let clientEnd: SessionEnd | undefined;
      await runClientSession(clientOptions(srv.address.port), {
        start: () => ({ send: [frame(5, '0805')] }),
        onFrame: (f) => {
          clientSeen.push(f.type);
          if (f.type === 0) return { send: [frame(0, '080010001800')] };
          return { close: true };
        },
        onEnd: (e) => {
          clientEnd = e;
        },
      });
      assert.deepEqual(clientSeen, [0, 6]);
      assert.deepEqual(serverSeen, [5, 0]);
      assert.deepEqual(clientEnd, { ok: true });
      assert.deepEqual(await nextEnd(), { ok: true });
    } finally {
      await srv.close();
    }
  });

  test('large frames go out whole and in order, also when the session closes right after them', async () => {
    const big = new Uint8Array(30_000).map((_, i) => (i * 7) % 253);
    const { srv, nextEnd } = await withServer(() => ({
      // Three frames in one step (a large one between two small ones), then a graceful close.
      onFrame: () => ({
        send: [frame(2, '0802'), { type: 3, body: big }, frame(6, '08061000')],
        close: true,
      }),
    }));
    try {
      const ch = await connectFrameChannel(clientOptions(srv.address.port));
      const first = await ch.request([frame(5, '0805')], 5_000);
      assert.deepEqual({ type: first.type, body: toHex(first.body) }, { type: 2, body: '0802' });
      const second = await ch.receive(5_000);
      assert.equal(second.type, 3);
      assert.deepEqual(second.body, big);
      const third = await ch.receive(5_000);
      assert.deepEqual({ type: third.type, body: toHex(third.body) }, { type: 6, body: '08061000' });
      await assert.rejects(ch.receive(5_000), hasCode('ERR_NET_CLOSED'));
      assert.deepEqual(await nextEnd(), { ok: true });
      await ch.close();
    } finally {
      await srv.close();
    }
  });

  test('many concurrent sessions, each with its own state', async () => {
    const { srv } = await withServer(() => {
      let n = 0;
      return {
        onFrame: (f) => {
          n++;
          // Reply asynchronously so sessions interleave.
          return new Promise((resolve) =>
            setImmediate(() => resolve({ send: [{ type: f.type, body: Uint8Array.from([...f.body, n]) }] })),
          );
        },
      };
    });
    try {
      const run = async (id: number): Promise<void> => {
        const ch = await connectFrameChannel(clientOptions(srv.address.port));
        for (let round = 1; round <= 3; round++) {
          const r = await ch.request([{ type: round, body: Uint8Array.from([id, round]) }], 10_000);
          assert.equal(r.type, round);
          assert.deepEqual(Array.from(r.body), [id, round, round]);
        }
        await ch.close();
      };
      await Promise.all(Array.from({ length: 40 }, (_, i) => run(i)));
    } finally {
      await srv.close();
    }
  });

  test('an oversized frame ends only that connection', async () => {
    const { srv, nextEnd } = await withServer(echo, { maxBodyLength: 1024 });
    try {
      const good = await connectFrameChannel(clientOptions(srv.address.port));
      assert.equal((await good.request([frame(1, '0801')], 5_000)).type, 1);

      const bad = await rawTls(srv.address.port);
      bad.write(Buffer.from('2000@1'.padEnd(20, '\0'), 'latin1'));
      assert.equal(codeOf(await nextEnd()), 'ERR_FRAME_TOO_LARGE');
      await once(bad, 'close');

      // The good session and new sessions still work.
      assert.equal((await good.request([frame(2, '0802')], 5_000)).type, 2);
      const again = await connectFrameChannel(clientOptions(srv.address.port));
      assert.equal((await again.request([frame(3, '0803')], 5_000)).type, 3);
      await Promise.all([good.close(), again.close()]);
    } finally {
      await srv.close();
    }
  });

  test('a malformed header ends the connection with ERR_FRAME_HEADER_INVALID', async () => {
    const { srv, nextEnd } = await withServer(echo);
    try {
      const bad = await rawTls(srv.address.port);
      bad.write(Buffer.from(' 2@5'.padEnd(20, '\0'), 'latin1'));
      assert.equal(codeOf(await nextEnd()), 'ERR_FRAME_HEADER_INVALID');
      await once(bad, 'close');
    } finally {
      await srv.close();
    }
  });

  test('the client cap: refused before sending, and a reply above it ends the client connection', async () => {
    const { srv } = await withServer(() => ({
      onFrame: (f) => ({ send: [{ type: f.type, body: new Uint8Array(f.body[0]!) }] }),
    }));
    try {
      const ch = await connectFrameChannel(clientOptions(srv.address.port, { maxBodyLength: 16 }));
      assert.throws(() => ch.send([{ type: 1, body: new Uint8Array(17) }]), hasCode('ERR_FRAME_TOO_LARGE'));
      assert.throws(() => ch.send([{ type: 1, body: new Uint8Array(0) }]), RangeError);
      assert.equal((await ch.request([frame(1, '10')], 5_000)).body.length, 16);
      await assert.rejects(ch.request([frame(1, '11')], 5_000), hasCode('ERR_FRAME_TOO_LARGE'));
      assert.equal(ch.ended, true);
      await ch.closed;
    } finally {
      await srv.close();
    }
  });

  test('the peer closing inside a frame → ERR_NET_CLOSED', async () => {
    const { srv, nextEnd } = await withServer(echo);
    try {
      const bad = await rawTls(srv.address.port);
      bad.end(encodeFrame(2, new Uint8Array(50)).subarray(0, 30));
      const end = await nextEnd();
      assert.equal(codeOf(end), 'ERR_NET_CLOSED');
    } finally {
      await srv.close();
    }
  });

  test('a handler that throws closes the connection without a message', async () => {
    const boom = new Error('handler failure');
    const { srv, nextEnd } = await withServer(() => ({
      onFrame: () => {
        throw boom;
      },
    }));
    try {
      const ch = await connectFrameChannel(clientOptions(srv.address.port));
      await assert.rejects(ch.request([frame(5, '0805')], 5_000), hasCode('ERR_NET_CLOSED'));
      const end = await nextEnd();
      assert.equal(end.ok, false);
      assert.equal(end.ok ? undefined : end.error, boom);
    } finally {
      await srv.close();
    }
  });
});

describe('deadlines', () => {
  test('a silent peer hits the per-message deadline (server side)', async () => {
    const { srv, nextEnd } = await withServer(echo, { timeouts: { messageMs: 150 } });
    try {
      const ch = await connectFrameChannel(clientOptions(srv.address.port));
      assert.equal(codeOf(await nextEnd()), 'ERR_NET_TIMEOUT');
      await assert.rejects(ch.receive(5_000), hasCode('ERR_NET_CLOSED'));
    } finally {
      await srv.close();
    }
  });

  test('a silent server hits the client receive deadline', async () => {
    const { srv } = await withServer(() => ({ onFrame: () => ({}) })); // never answers
    try {
      const ch = await connectFrameChannel(clientOptions(srv.address.port));
      await assert.rejects(ch.request([frame(5, '0805')], 150), hasCode('ERR_NET_TIMEOUT'));
      assert.equal(ch.ended, true);
      await assert.rejects(
        runClientSession(clientOptions(srv.address.port, { timeouts: { messageMs: 150 } }), {
          start: () => ({ send: [frame(5, '0805')] }),
          onFrame: () => ({ close: true }),
        }),
        hasCode('ERR_NET_TIMEOUT'),
      );
    } finally {
      await srv.close();
    }
  });

  test('a slow handler hits the session deadline', async () => {
    const { srv, nextEnd } = await withServer(() => ({ onFrame: () => new Promise(() => undefined) }), {
      timeouts: { sessionMs: 200 },
    });
    try {
      const ch = await connectFrameChannel(clientOptions(srv.address.port));
      ch.send([frame(5, '0805')]);
      assert.equal(codeOf(await nextEnd()), 'ERR_NET_TIMEOUT');
      await assert.rejects(ch.receive(5_000), hasCode('ERR_NET_CLOSED'));
    } finally {
      await srv.close();
    }
  });

  test('a peer that never starts TLS hits the server handshake deadline', async () => {
    const { srv, rejects } = await withServer(echo, { timeouts: { handshakeMs: 150 } });
    try {
      const sock: Socket = netConnect(srv.address.port, '127.0.0.1');
      sock.on('error', () => undefined);
      await once(sock, 'close');
      assert.equal(rejects.length, 1);
      assert.equal(rejects[0]!.code, 'ERR_NET_TIMEOUT');
    } finally {
      await srv.close();
    }
  });

  test('a server that never answers the handshake hits the client handshake deadline', async () => {
    const accepted: Socket[] = [];
    const tcp = netCreateServer((s) => accepted.push(s));
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    try {
      const port = (tcp.address() as AddressInfo).port;
      await assert.rejects(
        connectFrameChannel(clientOptions(port, { timeouts: { handshakeMs: 150 } })),
        hasCode('ERR_NET_TIMEOUT'),
      );
    } finally {
      for (const s of accepted) s.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    }
  });
});

describe('client trust', () => {
  test('a wrong CA fails the handshake with ERR_NET_TLS', async () => {
    const { srv } = await withServer(echo);
    try {
      await assert.rejects(
        connectFrameChannel(clientOptions(srv.address.port, { ca: other.cert })),
        hasCode('ERR_NET_TLS'),
      );
      let ended: SessionEnd | undefined;
      await assert.rejects(
        runClientSession(clientOptions(srv.address.port, { ca: other.cert }), {
          onFrame: () => ({}),
          onEnd: (e) => {
            ended = e;
          },
        }),
        hasCode('ERR_NET_TLS'),
      );
      assert.equal(ended?.ok, false);
      // The server keeps serving.
      const ch = await connectFrameChannel(clientOptions(srv.address.port));
      assert.equal((await ch.request([frame(5, '0805')], 5_000)).type, 5);
      await ch.close();
    } finally {
      await srv.close();
    }
  });

  test('the hostname is checked by default; servername, a custom check, or the dangerous skip accept a seed-style cert', async () => {
    const { srv } = await withServer(echo, { cert: other.cert, key: other.key });
    try {
      const port = srv.address.port;
      await assert.rejects(
        connectFrameChannel(clientOptions(port, { ca: other.cert })),
        hasCode('ERR_NET_TLS'),
      );
      const accepted = [
        { servername: 'attestkit-other-test' },
        { checkServerIdentity: () => undefined },
        { dangerouslySkipHostnameCheck: true },
      ];
      for (const extra of accepted) {
        const ch = await connectFrameChannel(clientOptions(port, { ca: other.cert, ...extra }));
        assert.equal((await ch.request([frame(5, '0805')], 5_000)).type, 5);
        await ch.close();
      }
      // Skipping the hostname check never skips the chain check.
      await assert.rejects(
        connectFrameChannel(clientOptions(port, { ca: server.cert, dangerouslySkipHostnameCheck: true })),
        hasCode('ERR_NET_TLS'),
      );
      // A custom identity check can refuse.
      await assert.rejects(
        connectFrameChannel(
          clientOptions(port, {
            ca: other.cert,
            checkServerIdentity: () => new Error('not the pinned subject'),
          }),
        ),
        hasCode('ERR_NET_TLS'),
      );
    } finally {
      await srv.close();
    }
  });

  test('an unreachable server → ERR_NET_UNREACHABLE', async () => {
    const tcp = netCreateServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const port = (tcp.address() as AddressInfo).port;
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    await assert.rejects(connectFrameChannel(clientOptions(port)), hasCode('ERR_NET_UNREACHABLE'));
  });

  test('option misuse', () => {
    assert.throws(() => connectFrameChannel(clientOptions(1, { ca: [] })), TypeError);
    assert.throws(
      () =>
        connectFrameChannel(
          clientOptions(1, { dangerouslySkipHostnameCheck: true, checkServerIdentity: () => undefined }),
        ),
      TypeError,
    );
    assert.throws(() => connectFrameChannel(clientOptions(1, { timeouts: { messageMs: 0 } })), RangeError);
  });
});

describe('server lifecycle', () => {
  test('close() aborts running sessions and a port in use is a config error', async () => {
    const { srv, nextEnd } = await withServer(echo);
    const ch = await connectFrameChannel(clientOptions(srv.address.port));
    assert.equal((await ch.request([frame(5, '0805')], 5_000)).type, 5);
    assert.equal(srv.activeSessions, 1);
    await assert.rejects(
      startFrameServer({ cert: server.cert, key: server.key, port: srv.address.port, onSession: echo }),
      hasCode('ERR_CONFIG_INVALID'),
    );
    await srv.close();
    assert.equal(codeOf(await nextEnd()), 'ERR_NET_CLOSED');
    await assert.rejects(ch.receive(5_000), hasCode('ERR_NET_CLOSED'));
  });

  test('close() called twice while sessions run: both resolve once every session has ended', async () => {
    const { srv, nextEnd } = await withServer(echo);
    const a = await connectFrameChannel(clientOptions(srv.address.port));
    const b = await connectFrameChannel(clientOptions(srv.address.port));
    assert.equal((await a.request([frame(5, '0805')], 5_000)).type, 5);
    assert.equal((await b.request([frame(5, '0805')], 5_000)).type, 5);
    assert.equal(srv.activeSessions, 2);
    await Promise.all([srv.close(), srv.close()]);
    assert.equal(srv.activeSessions, 0);
    assert.equal(codeOf(await nextEnd()), 'ERR_NET_CLOSED');
    assert.equal(codeOf(await nextEnd()), 'ERR_NET_CLOSED');
  });

  test('a handler whose start throws at once ends its session and leaves no session counted', async () => {
    const { srv, nextEnd } = await withServer(() => ({
      start: () => {
        throw new Error('start failed');
      },
      onFrame: () => ({}),
    }));
    try {
      const ch = await connectFrameChannel(clientOptions(srv.address.port));
      const end = await nextEnd();
      assert.equal(end.ok, false);
      await assert.rejects(ch.receive(5_000), hasCode('ERR_NET_CLOSED'));
      assert.equal(srv.activeSessions, 0);
    } finally {
      await srv.close();
    }
  });
});

describe('FrameChannel.receiveInto: a sink instead of a promise', () => {
  /** A sink that records what it was told, and how often. */
  function recorder(): FrameSink & { frames: Frame[]; errors: string[] } {
    const frames: Frame[] = [];
    const errors: string[] = [];
    return {
      frames,
      errors,
      onFrame: (f) => frames.push(f),
      onReceiveError: (e) => errors.push(e.code),
    };
  }

  test('frames already queued are handed over at once, in order; then the sink waits for the next', async () => {
    const { srv } = await withServer(() => ({
      start: () => ({ send: [frame(1, '01'), frame(2, '02'), frame(3, '03')] }),
      onFrame: () => ({ close: true }),
    }));
    try {
      const ch = await connectFrameChannel(clientOptions(srv.address.port));
      // Let all three frames arrive and queue up.
      assert.equal((await ch.receive(5_000)).type, 1);
      await new Promise((r) => setTimeout(r, 50));
      const sink = recorder();
      ch.receiveInto(5_000, sink);
      assert.deepEqual(
        sink.frames.map((f) => f.type),
        [2],
      );
      // Frame 3 was held back by flow control while frame 2 waited; it arrives now.
      ch.receiveInto(5_000, sink);
      for (let i = 0; i < 100 && sink.frames.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(
        sink.frames.map((f) => f.type),
        [2, 3],
      );
      assert.throws(() => ch.receiveInto(0, sink), RangeError);
      const waiting = recorder();
      ch.receiveInto(5_000, waiting);
      assert.throws(() => ch.receiveInto(5_000, recorder()), /already pending/);
      ch.send([frame(4, '04')]); // the server closes after it
      await ch.closed;
      assert.deepEqual(waiting.frames, []);
      assert.deepEqual(waiting.errors, ['ERR_NET_CLOSED']);
      const late = recorder();
      ch.receiveInto(5_000, late);
      assert.deepEqual(late.errors, ['ERR_NET_CLOSED']);
      assert.deepEqual(sink.errors, []);
    } finally {
      await srv.close();
    }
  });

  test('the deadline: the sink hears ERR_NET_TIMEOUT once and the connection is aborted', async () => {
    const { srv, nextEnd } = await withServer(() => ({ onFrame: () => ({}) }), {
      timeouts: { messageMs: 60_000 },
    });
    try {
      const ch = await connectFrameChannel(clientOptions(srv.address.port));
      const sink = recorder();
      ch.receiveInto(30, sink);
      await ch.closed;
      assert.deepEqual(sink.errors, ['ERR_NET_TIMEOUT']);
      assert.equal(ch.error?.code, 'ERR_NET_TIMEOUT');
      assert.equal((await nextEnd()).ok, false);
    } finally {
      await srv.close();
    }
  });

  test('a sink that aborts the channel on a frame gets no more frames from the same chunk', async () => {
    // Two frames in one TLS write, so they arrive in one chunk.
    const raw = tlsCreateServer({ cert: server.cert, key: server.key }, (s) => {
      s.on('error', () => undefined);
      s.write(Buffer.concat([encodeFrame(1, fromHex('01')), encodeFrame(2, fromHex('02'))]));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const socket = await new Promise<TLSSocket>((resolve, reject) => {
        const s = tlsConnect(
          { host: '127.0.0.1', port: (raw.address() as AddressInfo).port, ca: server.cert },
          () => resolve(s),
        );
        s.once('error', reject);
      });
      const ch = new FrameChannel(socket, { side: 'client' });
      const seen: number[] = [];
      ch.receiveInto(5_000, {
        onFrame: (f) => {
          seen.push(f.type);
          ch.abort(new NetworkErrorCtor('ERR_NET_CLOSED', 'enough'));
        },
        onReceiveError: () => assert.fail('no error expected for the first frame'),
      });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(seen, [1]);
      await assert.rejects(ch.receive(5_000), hasCode('ERR_NET_CLOSED'));
    } finally {
      raw.close();
    }
  });

  test('channels share their socket listeners (no closures per connection)', async () => {
    const { srv } = await withServer(echo);
    try {
      // Two channels over two raw client sockets: each socket has one listener per event, and it is
      // the same function for both.
      const [s1, s2] = await Promise.all([rawTls(srv.address.port), rawTls(srv.address.port)]);
      const events = ['data', 'end', 'error', 'close'] as const;
      const before1 = new Map(events.map((e) => [e, s1.listeners(e)]));
      const before2 = new Map(events.map((e) => [e, s2.listeners(e)]));
      const c1 = new FrameChannel(s1, { side: 'client' });
      const c2 = new FrameChannel(s2, { side: 'client' });
      for (const event of events) {
        const l1 = s1.listeners(event).filter((l) => !before1.get(event)!.includes(l));
        const l2 = s2.listeners(event).filter((l) => !before2.get(event)!.includes(l));
        assert.equal(l1.length, 1, event);
        assert.equal(l1[0], l2[0], `${event}: the same function for both channels`);
      }
      assert.throws(() => new FrameChannel(s1, { side: 'client' }), /already carries a FrameChannel/);
      c1.abort(new NetworkErrorCtor('ERR_NET_CLOSED', 'done'));
      c2.abort(new NetworkErrorCtor('ERR_NET_CLOSED', 'done'));
    } finally {
      await srv.close();
    }
  });
});
