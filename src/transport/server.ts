/**
 * The TLS frame server: the Application's side of the seed's transport (PROTOCOL-SEED.md §1, §3.2).
 *
 * Unlike the seed (one blocking session at a time, no timeouts: §11.2 B16), it serves many
 * connections concurrently, each with its own {@link SessionHandler}, a handshake deadline, a
 * per-frame deadline, a session deadline and the frame-size cap. A misbehaving peer only ends its
 * own connection. Like the seed, it asks for no client certificate (§3.2): who may drive the
 * protocol is the protocol's business (the enclave's key exchange), not TLS's.
 *
 * @module
 */
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { ConfigError, NetworkError } from '../errors.ts';
import { FrameChannel, type PeerInfo, publishDiagnostic, TRANSPORT_CHANNELS } from './channel.ts';
import {
  type RunningSession,
  resolveTimeouts,
  type SessionHandler,
  startSession,
  type TransportLimits,
} from './session.ts';

/** Options of {@link startFrameServer}. */
export interface FrameServerOptions extends TransportLimits {
  /** The server's certificate chain, PEM (the seed's `server.crt`). */
  readonly cert: string | Uint8Array;
  /** The server's private key, PEM (the seed's `server.key`). */
  readonly key: string | Uint8Array;
  /** The key's passphrase, if it is encrypted. */
  readonly passphrase?: string;
  /** The address to listen on (default `127.0.0.1`; the seed listens on `0.0.0.0`, §1). */
  readonly host?: string;
  /** The port (default 0 = any free port; the seed uses 22222). */
  readonly port?: number;
  /** The most concurrent connections; more are dropped at accept (default 256). */
  readonly maxConnections?: number;
  /** Makes the handler for one new session (after its TLS handshake). Throwing drops the connection. */
  readonly onSession: (peer: PeerInfo) => SessionHandler;
  /** Told about connections that fail before a session starts (handshake errors and timeouts). */
  readonly onConnectionError?: (error: NetworkError, peer: PeerInfo) => void;
}

/** A listening frame server. */
export interface FrameServer {
  /** The address actually bound. */
  readonly address: { readonly host: string; readonly port: number };
  /** Sessions currently running. */
  readonly activeSessions: number;
  /** Stops accepting, aborts running sessions (`ERR_NET_CLOSED`), and resolves when all is closed. */
  close(): Promise<void>;
}

/** The default cap on concurrent connections. */
export const DEFAULT_MAX_CONNECTIONS = 256;

function peerOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): PeerInfo {
  return Object.freeze({ remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
}

function errorCode(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'unknown';
}

/**
 * Starts a TLS server that hands each connection to `options.onSession(peer)` and drives it as
 * `runSession` does (its callback form). Resolves once listening; rejects with `ERR_CONFIG_INVALID`
 * if it cannot listen (address in use, permission).
 */
export async function startFrameServer(options: FrameServerOptions): Promise<FrameServer> {
  const timeouts = resolveTimeouts(options.timeouts);
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1)
    throw new RangeError('maxConnections must be >= 1');
  if (typeof options.onSession !== 'function') throw new TypeError('onSession must be a function');
  const limits: TransportLimits = {
    timeouts,
    ...(options.maxBodyLength === undefined ? {} : { maxBodyLength: options.maxBodyLength }),
  };

  const server: Server = createServer({
    cert: typeof options.cert === 'string' ? options.cert : Buffer.from(options.cert),
    key: typeof options.key === 'string' ? options.key : Buffer.from(options.key),
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    minVersion: 'TLSv1.2',
    requestCert: false,
    handshakeTimeout: timeouts.handshakeMs,
  });
  server.maxConnections = maxConnections;

  const channels = new Set<FrameChannel>();
  const sessions = new Set<RunningSession>();
  /** Resolves `close()` once the last session has ended (made by the first `close()`). */
  let idle: (() => void) | undefined;
  let allEnded: Promise<void> | undefined;
  const sockets = new Set<Socket>();

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  server.on('tlsClientError', (err: unknown, socket: TLSSocket) => {
    const peer = peerOf(socket);
    const timedOut = errorCode(err) === 'ERR_TLS_HANDSHAKE_TIMEOUT';
    const error = timedOut
      ? new NetworkError('ERR_NET_TIMEOUT', `TLS handshake not finished within ${timeouts.handshakeMs} ms`, {
          cause: err,
        })
      : new NetworkError('ERR_NET_TLS', `TLS handshake failed: ${errorCode(err)}`, { cause: err });
    socket.destroy();
    publishDiagnostic(TRANSPORT_CHANNELS.reject, { side: 'server', peer, code: error.code });
    options.onConnectionError?.(error, peer);
  });

  server.on('secureConnection', (socket: TLSSocket) => {
    const channel = new FrameChannel(socket, {
      side: 'server',
      ...(options.maxBodyLength === undefined ? {} : { maxBodyLength: options.maxBodyLength }),
    });
    publishDiagnostic(TRANSPORT_CHANNELS.connect, { side: 'server', peer: channel.peer });
    let handler: SessionHandler;
    try {
      handler = options.onSession(channel.peer);
    } catch (cause) {
      const error = new NetworkError('ERR_NET_CLOSED', 'no session handler for this connection', { cause });
      channel.abort(error);
      publishDiagnostic(TRANSPORT_CHANNELS.reject, { side: 'server', peer: channel.peer, code: error.code });
      options.onConnectionError?.(error, channel.peer);
      return;
    }
    channels.add(channel);
    const session = startSession(channel, handler, limits, (_end, ended) => {
      channels.delete(channel);
      if (sessions.delete(ended) && sessions.size === 0) idle?.();
    });
    // A session can end before startSession returns (a handler whose start throws at once).
    if (!session.finished) sessions.add(session);
  });

  // A server-level error after listening (rare) must not crash the process; sessions carry their own errors.
  const onListenError = new Promise<never>((_, reject) => {
    server.once('error', (err: unknown) =>
      reject(
        new ConfigError(
          'ERR_CONFIG_INVALID',
          `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${errorCode(err)}`,
          {
            cause: err,
          },
        ),
      ),
    );
  });
  onListenError.catch(() => undefined);
  const listening = new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  await Promise.race([listening, onListenError]);
  server.on('error', () => undefined);

  const bound = server.address() as AddressInfo;
  const address = Object.freeze({ host: bound.address, port: bound.port });

  return {
    address,
    get activeSessions(): number {
      return sessions.size;
    },
    async close(): Promise<void> {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const ch of channels) ch.abort(new NetworkError('ERR_NET_CLOSED', 'the server is shutting down'));
      for (const socket of sockets) socket.destroy(); // connections still in their handshake
      if (sessions.size > 0) {
        allEnded ??= new Promise<void>((resolve) => {
          idle = resolve;
        });
        await allEnded;
      }
      await stopped;
    },
  };
}
