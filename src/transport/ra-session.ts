/**
 * The seed's remote attestation over TLS, both sides (PROTOCOL-SEED.md §1, §4.1): the glue between
 * the frame transport and the protocol state machines.
 *
 * - {@link startApplicationServer}: the Application, a TLS server; one {@link Application} state
 *   machine per connection, all sharing one {@link Enclave} (each session opens its own RA context
 *   in it). The decrypted secret goes to the host's callback with its SHA-256; it is never kept or
 *   logged here.
 * - {@link runServiceProvider}: the ServiceProvider, a TLS client pinning the App's certificate; it
 *   runs one session of a {@link ServiceProvider} (quote verifier and appraiser injected) and
 *   returns its result. It never throws for a failed session: the result carries the error.
 *
 * Both report every frame's direction, type, body size and time (for the demo's transcript); no
 * frame content is reported.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Enclave } from '../enclave/types.ts';
import { type AttestError, isAttestError, NetworkError, ProtocolError } from '../errors.ts';
import { Application, type AppState } from '../protocol/application.ts';
import {
  ServiceProvider,
  type ServiceProviderOptions,
  type SpState,
  spResultOf,
} from '../protocol/service-provider.ts';
import type { ProtocolSession } from '../protocol/session.ts';
import type { ProtocolEvent, SpResult } from '../protocol/types.ts';
import type { Frame } from '../wire/frame.ts';
import { RA_MSG_TYPES, type RaMsgTypeName } from '../wire/messages.ts';
import type { PeerInfo } from './channel.ts';
import { type FrameClientOptions, runClientSession } from './client.ts';
import { type FrameServer, type FrameServerOptions, startFrameServer } from './server.ts';
import type { SessionEnd, SessionHandler, SessionStep, TransportLimits } from './session.ts';

/** One frame of a session, as a transcript line (no content). */
export interface RaMessageInfo {
  /** `sent` by this side or `received` from the peer. */
  readonly direction: 'sent' | 'received';
  /** The frame's `<type>` (§2.3). */
  readonly type: number;
  /** Its name, e.g. `RA_MSG2` (`UNKNOWN` for a type outside §2.3). */
  readonly typeName: RaMsgTypeName | 'UNKNOWN';
  /** The body length in bytes (the header's `<len>`). */
  readonly bytes: number;
  /** Milliseconds since the TLS connection was up. */
  readonly ms: number;
}

const TYPE_NAMES: ReadonlyMap<number, RaMsgTypeName> = new Map(
  (Object.entries(RA_MSG_TYPES) as [RaMsgTypeName, number][]).map(([k, v]) => [v, k]),
);

function messageInfo(direction: 'sent' | 'received', frame: Frame, start: number): RaMessageInfo {
  return Object.freeze({
    direction,
    type: frame.type,
    typeName: TYPE_NAMES.get(frame.type) ?? 'UNKNOWN',
    bytes: frame.body.length,
    ms: Math.round((performance.now() - start) * 1000) / 1000,
  });
}

/** Wraps a protocol session as a transport handler that reports each frame. */
function observed<S>(
  session: ProtocolSession<S>,
  onMessage: ((m: RaMessageInfo) => void) | undefined,
): SessionHandler {
  const start = performance.now();
  const report = (direction: 'sent' | 'received', frames: readonly Frame[]): void => {
    if (onMessage === undefined) return;
    for (const f of frames) {
      try {
        onMessage(messageInfo(direction, f, start));
      } catch {
        // An observer must not break the session.
      }
    }
  };
  return {
    async start(): Promise<SessionStep> {
      const step = await session.start();
      report('sent', step.send);
      return step;
    },
    // Not async: the frame must not stay referenced while the protocol works on it.
    onFrame(frame: Frame): Promise<SessionStep> {
      report('received', [frame]);
      return session.onFrame(frame).then((step) => {
        report('sent', step.send);
        return step;
      });
    },
    onEnd(end): void {
      session.onEnd(end);
    },
  };
}

function asAttestError(error: unknown): AttestError {
  if (isAttestError(error)) return error;
  return new NetworkError('ERR_NET_CLOSED', 'the session ended unexpectedly', { cause: error });
}

// ---- the Application ------------------------------------------------------------------------------

/** What the App reports when one session ends (one log line per session). */
export interface AppSessionReport {
  readonly peer: PeerInfo;
  /** The secret was decrypted, handed to the host and APP_ATT_OK sent. */
  readonly ok: boolean;
  /** SHA-256 of the delivered secret, lowercase hex (never the secret). */
  readonly secretSha256?: string;
  /** Its size in bytes. */
  readonly secretSize?: number;
  /** Why the session failed (`ERR_PROTOCOL_REFUSED` when the SP refused the enclave). */
  readonly error?: AttestError;
  /** Milliseconds from the TLS connection to the end. */
  readonly durationMs: number;
}

/** Options of {@link startApplicationServer}. */
export interface ApplicationServerOptions extends TransportLimits {
  /** The App's TLS certificate chain, PEM (the seed's `server.crt`; never enters the enclave). */
  readonly cert: string | Uint8Array;
  /** The App's TLS private key, PEM (the seed's `server.key`). */
  readonly key: string | Uint8Array;
  /** The key's passphrase, if it is encrypted. */
  readonly passphrase?: string;
  /** Listen address (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port; the seed's is 22222). */
  readonly port?: number;
  /** Most concurrent connections. */
  readonly maxConnections?: number;
  /** The enclave all sessions share. The caller owns it (closing the server does not close it). */
  readonly enclave: Enclave;
  /**
   * Receives each delivered secret (e.g. to write it to a file). Throwing fails that session. The
   * bytes are zero-filled after the callback returns.
   */
  readonly onSecret?: (
    secret: Uint8Array,
    info: { readonly peer: PeerInfo; readonly sha256: string },
  ) => void | Promise<void>;
  /** Told when a session ends, successfully or not. Must not throw. */
  readonly onSessionEnd?: (report: AppSessionReport) => void;
  /** Told about every frame of every session. */
  readonly onMessage?: (message: RaMessageInfo, peer: PeerInfo) => void;
  /** Told about protocol events (never keys or the secret). */
  readonly onEvent?: (event: ProtocolEvent, peer: PeerInfo) => void;
  /** Told about connections that failed before a session started (TLS handshake). */
  readonly onConnectionError?: FrameServerOptions['onConnectionError'];
}

/** A running Application server. */
export interface ApplicationServer {
  /** The address actually bound. */
  readonly address: { readonly host: string; readonly port: number };
  /** Sessions currently running. */
  readonly activeSessions: number;
  /** Stops accepting, aborts running sessions, resolves when all is closed. The enclave stays open. */
  close(): Promise<void>;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Starts the Application: a TLS server on which each connection runs one RA session of the
 * {@link Application} state machine against `options.enclave` (PROTOCOL-SEED.md §4.1). Sessions run
 * concurrently; a misbehaving peer ends only its own connection.
 */
export async function startApplicationServer(options: ApplicationServerOptions): Promise<ApplicationServer> {
  if (typeof options.enclave !== 'object' || options.enclave === null)
    throw new TypeError('enclave is required');
  const server: FrameServer = await startFrameServer({
    cert: options.cert,
    key: options.key,
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
    ...(options.maxBodyLength === undefined ? {} : { maxBodyLength: options.maxBodyLength }),
    ...(options.onConnectionError === undefined ? {} : { onConnectionError: options.onConnectionError }),
    onSession: (peer) => appSession(options, peer),
  });
  return {
    address: server.address,
    get activeSessions(): number {
      return server.activeSessions;
    },
    close: () => server.close(),
  };
}

function appSession(options: ApplicationServerOptions, peer: PeerInfo): SessionHandler {
  return new AppConnection(options, peer);
}

/**
 * One App session as a transport handler: the {@link Application} state machine, the frame
 * transcript and the end-of-session report. One object with its methods on the prototype (no
 * per-session closures): thousands of these wait mid-protocol at once.
 */
class AppConnection implements SessionHandler {
  readonly #options: ApplicationServerOptions;
  readonly #peer: PeerInfo;
  readonly #started: number = performance.now();
  readonly #session: ProtocolSession<AppState>;
  #delivered: { readonly sha256: string; readonly size: number } | undefined;
  #reported = false;

  constructor(options: ApplicationServerOptions, peer: PeerInfo) {
    this.#options = options;
    this.#peer = peer;
    const app = new Application({
      enclave: options.enclave,
      onSecret: (secret) => this.#deliver(secret),
    });
    const onEvent = options.onEvent;
    this.#session = app.session(
      onEvent === undefined
        ? {}
        : {
            onEvent: (e) => {
              try {
                onEvent(e, peer);
              } catch {
                // observers must not break the session
              }
            },
          },
    );
  }

  async #deliver(secret: Uint8Array): Promise<void> {
    const sha256 = sha256Hex(secret);
    try {
      await this.#options.onSecret?.(secret, { peer: this.#peer, sha256 });
    } finally {
      secret.fill(0);
    }
    this.#delivered = { sha256, size: secret.length };
  }

  #report(direction: 'sent' | 'received', frames: readonly Frame[]): void {
    const onMessage = this.#options.onMessage;
    if (onMessage === undefined) return;
    for (const f of frames) {
      try {
        onMessage(messageInfo(direction, f, this.#started), this.#peer);
      } catch {
        // An observer must not break the session.
      }
    }
  }

  start(): Promise<SessionStep> {
    const step = this.#session.start();
    return this.#options.onMessage === undefined ? step : step.then((s) => this.#sent(s));
  }

  // Not async: the frame must not stay referenced while the protocol works on it.
  onFrame(frame: Frame): Promise<SessionStep> {
    if (this.#options.onMessage === undefined) return this.#session.onFrame(frame);
    this.#report('received', [frame]);
    return this.#session.onFrame(frame).then((s) => this.#sent(s));
  }

  #sent(step: SessionStep): SessionStep {
    this.#report('sent', step.send ?? []);
    return step;
  }

  onEnd(end: SessionEnd): void {
    const session = this.#session;
    session.onEnd(end);
    const transportError = end.ok ? undefined : end.error;
    if (session.done) {
      this.#end(session.state, transportError);
      return;
    }
    // The transport ended an unfinished session: the state machine records why, asynchronously.
    void session.finished().then((state) => this.#end(state, transportError));
  }

  #end(state: AppState, transportError: unknown): void {
    if (this.#reported) return;
    this.#reported = true;
    const ok = state.step === 'done';
    const error = state.step === 'failed' ? state.error : ok ? undefined : asAttestError(transportError);
    const delivered = this.#delivered;
    try {
      this.#options.onSessionEnd?.(
        Object.freeze({
          peer: this.#peer,
          ok,
          ...(ok && delivered !== undefined
            ? { secretSha256: delivered.sha256, secretSize: delivered.size }
            : {}),
          ...(error === undefined ? {} : { error }),
          durationMs: Math.round(performance.now() - this.#started),
        }),
      );
    } catch {
      // must not throw
    }
  }
}

// ---- the ServiceProvider --------------------------------------------------------------------------

/** Options of {@link runServiceProvider}. */
export interface ServiceProviderRunOptions extends FrameClientOptions {
  /** The ServiceProvider to run, or the options to build one (verifier, appraiser, signing key, secret…). */
  readonly serviceProvider: ServiceProvider | ServiceProviderOptions;
  /** Told about every frame of the session. */
  readonly onMessage?: (message: RaMessageInfo) => void;
  /** Told about protocol events (never keys or the secret). */
  readonly onEvent?: (event: ProtocolEvent) => void;
}

/** The outcome of {@link runServiceProvider}. */
export interface ServiceProviderRun {
  /** The SP's result: `trusted && secretDelivered` for a full success, else `error` says why. */
  readonly result: SpResult;
  /** Every frame, in order. */
  readonly messages: readonly RaMessageInfo[];
  /** Milliseconds from the start of the TLS connection attempt to the end. */
  readonly durationMs: number;
}

/**
 * Connects to an Application (TLS, the App's certificate pinned by `ca`) and runs one attestation:
 * RA_VERIFICATION … ATT_RESULT, APP_ATT_OK (PROTOCOL-SEED.md §4.1). Resolves with the SP's result
 * for every outcome (connection failure, peer failure, refusal, success); rejects only for
 * programming errors.
 */
export async function runServiceProvider(options: ServiceProviderRunOptions): Promise<ServiceProviderRun> {
  const started = performance.now();
  const sp =
    options.serviceProvider instanceof ServiceProvider
      ? options.serviceProvider
      : new ServiceProvider(options.serviceProvider);
  const messages: RaMessageInfo[] = [];
  const onEvent = options.onEvent;
  const session = sp.session(onEvent === undefined ? {} : { onEvent });
  const handler = observed<SpState>(session, (m) => {
    messages.push(m);
    options.onMessage?.(m);
  });
  let failure: unknown;
  try {
    await runClientSession(options, handler);
  } catch (e) {
    if (!isAttestError(e)) throw e;
    failure = e;
  }
  // The transport's end reached the state machine through onEnd; wait for it to settle.
  const state = session.done ? session.state : await settle(session, failure);
  const result =
    spResultOf(state) ??
    Object.freeze({
      trusted: false,
      secretDelivered: false,
      advisoryIds: [],
      error: asAttestError(
        failure ?? new ProtocolError('ERR_PROTOCOL_SESSION_ENDED', 'the session did not finish'),
      ),
      nonce: 'nonce' in state ? state.nonce : '',
    });
  return Object.freeze({
    result,
    messages: Object.freeze(messages),
    durationMs: Math.round(performance.now() - started),
  });
}

async function settle(session: ProtocolSession<SpState>, failure: unknown): Promise<SpState> {
  if (!session.done) {
    await session
      .step({ kind: 'closed', ...(isAttestError(failure) ? { error: failure } : {}) })
      .catch(() => undefined);
  }
  return session.state;
}
