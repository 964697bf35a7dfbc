/**
 * The TLS frame client: the ServiceProvider's side of the seed's transport (PROTOCOL-SEED.md §1, §3.2).
 *
 * The server certificate is always verified against the pinned `ca` (the seed's SP pins the App's
 * `server.crt`, §3.2; attestkit's `--tls-ca`); the system trust store is not used. The hostname is
 * checked too by default — which the seed does not do (§11.1 S10). Self-signed seed certificates
 * whose name does not match can be accepted with `servername` (check another name), a custom
 * `checkServerIdentity`, or `dangerouslySkipHostnameCheck` (the seed's behaviour: chain only).
 *
 * @module
 */
import {
  connect,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { NetworkError } from '../errors.ts';
import { FrameChannel, publishDiagnostic, TRANSPORT_CHANNELS } from './channel.ts';
import { resolveTimeouts, runSession, type SessionHandler, type TransportLimits } from './session.ts';

/** Options of {@link connectFrameChannel} and {@link runClientSession}. */
export interface FrameClientOptions extends TransportLimits {
  /** The server's host name or address. */
  readonly host: string;
  /** The server's port. */
  readonly port: number;
  /** The only trust anchors for the server's chain, PEM (required: there is no fallback to system roots). */
  readonly ca: string | Uint8Array | readonly (string | Uint8Array)[];
  /** The name to send as SNI and to check the certificate against (default: `host` when it is a name). */
  readonly servername?: string;
  /** Replaces Node's hostname check; return an Error to refuse. The chain is verified against `ca` regardless. */
  readonly checkServerIdentity?: (hostname: string, cert: PeerCertificate) => Error | undefined;
  /**
   * Skips the hostname check, as the seed does (§3.2, §11.1 S10). The chain is still verified
   * against `ca`, so only a holder of a pinned certificate's key can serve.
   */
  readonly dangerouslySkipHostnameCheck?: boolean;
}

/** System error codes that mean the server could not be reached at all. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
]);

function errorCode(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'unknown';
}

function toBuffer(v: string | Uint8Array): string | Buffer {
  return typeof v === 'string' ? v : Buffer.from(v);
}

/** How many distinct pinned CA sets keep a ready TLS context. */
const CONTEXT_CACHE_SIZE = 16;
/** Client TLS contexts by pinned CA set (most recently used last). */
const contextCache = new Map<string, SecureContext>();

/**
 * The client TLS context for a pinned CA set, built once and reused by every connection with the
 * same `ca`: building one parses the CAs into a fresh certificate store, which costs about as much
 * CPU as a third of a handshake. Only the CAs and the minimum version are in it; the per-connection
 * checks (hostname, `rejectUnauthorized`) stay on `connect`.
 */
function secureContextFor(caList: readonly (string | Uint8Array)[]): SecureContext {
  const key = caList
    .map((c) => (typeof c === 'string' ? `s${c}` : `b${Buffer.from(c).toString('base64')}`))
    .join('\u0000');
  const hit = contextCache.get(key);
  if (hit !== undefined) {
    contextCache.delete(key);
    contextCache.set(key, hit);
    return hit;
  }
  const context = createSecureContext({ ca: caList.map(toBuffer), minVersion: 'TLSv1.2' });
  if (contextCache.size >= CONTEXT_CACHE_SIZE) {
    const oldest = contextCache.keys().next().value;
    if (oldest !== undefined) contextCache.delete(oldest);
  }
  contextCache.set(key, context);
  return context;
}

/**
 * Connects and completes the TLS handshake within `timeouts.handshakeMs`. Rejects with
 * `ERR_NET_UNREACHABLE` (refused, no route, unknown host), `ERR_NET_TLS` (untrusted chain, name
 * mismatch, handshake failure, closed during the handshake) or `ERR_NET_TIMEOUT`.
 */
export function connectFrameChannel(options: FrameClientOptions): Promise<FrameChannel> {
  const { handshakeMs } = resolveTimeouts(options.timeouts);
  const caList = Array.isArray(options.ca)
    ? (options.ca as readonly (string | Uint8Array)[])
    : [options.ca as string | Uint8Array];
  if (caList.length === 0 || caList.some((c) => typeof c !== 'string' && !(c instanceof Uint8Array))) {
    throw new TypeError('ca must be one or more PEM certificates');
  }
  if (options.dangerouslySkipHostnameCheck === true && options.checkServerIdentity !== undefined) {
    throw new TypeError('use either checkServerIdentity or dangerouslySkipHostnameCheck, not both');
  }
  let checkServerIdentity = options.checkServerIdentity;
  if (options.dangerouslySkipHostnameCheck === true) checkServerIdentity = () => undefined;

  return new Promise<FrameChannel>((resolve, reject) => {
    let settled = false;
    const socket: TLSSocket = connect({
      host: options.host,
      port: options.port,
      // The pinned CAs and TLSv1.2 as the minimum live in the shared context.
      secureContext: secureContextFor(caList),
      rejectUnauthorized: true,
      ...(options.servername === undefined ? {} : { servername: options.servername }),
      ...(checkServerIdentity === undefined ? {} : { checkServerIdentity }),
    });
    const where = `${options.host}:${options.port}`;
    const fail = (error: NetworkError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      publishDiagnostic(TRANSPORT_CHANNELS.reject, {
        side: 'client',
        peer: { remoteAddress: options.host, remotePort: options.port },
        code: error.code,
      });
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(new NetworkError('ERR_NET_TIMEOUT', `no TLS connection to ${where} within ${handshakeMs} ms`)),
      handshakeMs,
    );
    const onError = (err: unknown): void => {
      const code = errorCode(err);
      if (UNREACHABLE.has(code)) {
        fail(new NetworkError('ERR_NET_UNREACHABLE', `cannot reach ${where}: ${code}`, { cause: err }));
      } else {
        fail(new NetworkError('ERR_NET_TLS', `TLS handshake with ${where} failed: ${code}`, { cause: err }));
      }
    };
    const onClose = (): void => {
      fail(new NetworkError('ERR_NET_TLS', `${where} closed the connection during the TLS handshake`));
    };
    socket.on('error', onError); // stays attached until the channel takes over, so no error goes unhandled
    socket.once('close', onClose);
    socket.once('secureConnect', () => {
      if (settled) return;
      // rejectUnauthorized already refused an untrusted chain; this is a second, explicit check.
      if (!socket.authorized) {
        fail(
          new NetworkError(
            'ERR_NET_TLS',
            `the certificate of ${where} is not trusted: ${String(socket.authorizationError)}`,
          ),
        );
        return;
      }
      settled = true;
      clearTimeout(timer);
      const channel = new FrameChannel(socket, {
        side: 'client',
        ...(options.maxBodyLength === undefined ? {} : { maxBodyLength: options.maxBodyLength }),
      });
      socket.off('error', onError);
      socket.off('close', onClose);
      publishDiagnostic(TRANSPORT_CHANNELS.connect, { side: 'client', peer: channel.peer });
      resolve(channel);
    });
  });
}

/**
 * Connects, then drives `handler` (whose `start` sends the first frame, e.g. `RA_VERIFICATION`) until
 * it closes the session. Resolves on success; rejects with the connection error, the deadline
 * (`ERR_NET_TIMEOUT`), the peer's close (`ERR_NET_CLOSED`), a bad frame (`ERR_FRAME_*`), or whatever
 * the handler threw.
 */
export async function runClientSession(options: FrameClientOptions, handler: SessionHandler): Promise<void> {
  let channel: FrameChannel;
  try {
    channel = await connectFrameChannel(options);
  } catch (error) {
    try {
      handler.onEnd?.({ ok: false, error });
    } catch {
      // onEnd is an observer and must not throw; the connection error below is what matters.
    }
    throw error;
  }
  const end = await runSession(channel, handler, options);
  if (!end.ok) throw end.error;
}
