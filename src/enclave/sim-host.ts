/**
 * What the simulated enclave's worker and its in-process variant share: the structured-clone-safe
 * options, building the RA core from them, and carrying errors across the thread boundary.
 *
 * @module
 */
import {
  AttestError,
  ConfigError,
  CryptoError,
  ERROR_CODES,
  type ErrorCode,
  isAttestError,
  NetworkError,
  ParseError,
  PolicyError,
  ProtocolError,
  VerificationError,
} from '../errors.ts';
import type { SimulatedPlatformConfig } from '../sim/platform.ts';
import { loadSimulatedPlatform, platformFromConfig } from '../sim/platform.ts';
import { RaCore } from './core.ts';
import { SimulatedDcapQuoteProvider } from './dcap-sim.ts';
import { SimulatedEpidQuoteProvider } from './epid-sim.ts';
import type { QuoteProvider, SimulatedIdentity, WarnFn } from './types.ts';

/** The options of a simulated enclave that can cross to a worker (structured clone). */
export interface SimulatedEnclaveConfig {
  /** The pinned service-provider public key, `sgx_ec256_public_t` (64 bytes, little-endian). */
  readonly spPublicKey: Uint8Array;
  /** `'epid'`: simulated v2 quotes for an IAS mock; `'dcap'`: v3 quotes from the simulated platform. */
  readonly mode: 'epid' | 'dcap';
  /** The enclave's identity (defaults: not debug, fixed simulated MRENCLAVE/MRSIGNER). */
  readonly identity?: SimulatedIdentity;
  /** EPID mode: the simulated group id (4 bytes little-endian) and group key (PKCS#8 PEM; fresh when absent). */
  readonly epid?: { readonly groupId?: Uint8Array; readonly groupKeyPem?: string };
  /** DCAP mode: the simulated platform, as its config (`platform.config`) or a saved directory. */
  readonly dcap?: { readonly platformConfig?: SimulatedPlatformConfig; readonly platformDir?: string };
  /** The extended EPID group id for msg0 (default 0). */
  readonly extendedGroupId?: number;
  /** Cap on concurrently open sessions. */
  readonly maxSessions?: number;
}

/** What a built simulated enclave reports about itself (no secrets). */
export interface SimulatedEnclaveInfo {
  readonly quoteKind: 'epid' | 'dcap';
  /** EPID mode: the simulated group's public key (SPKI PEM), for an IAS mock. */
  readonly epidGroupPublicKeyPem?: string;
  /** EPID mode: the simulated group id, 4 bytes little-endian. */
  readonly epidGroupId?: Uint8Array;
}

/** Builds the quote provider and RA core a simulated enclave runs. */
export async function buildSimulatedCore(
  config: SimulatedEnclaveConfig,
  warn: WarnFn,
): Promise<{ core: RaCore; info: SimulatedEnclaveInfo }> {
  let provider: QuoteProvider;
  let info: SimulatedEnclaveInfo;
  if (config.mode === 'epid') {
    const epid = new SimulatedEpidQuoteProvider({
      ...(config.identity === undefined ? {} : { identity: config.identity }),
      ...(config.epid?.groupId === undefined ? {} : { groupId: config.epid.groupId }),
      ...(config.epid?.groupKeyPem === undefined ? {} : { groupKeyPem: config.epid.groupKeyPem }),
      warn,
    });
    provider = epid;
    info = {
      quoteKind: 'epid',
      epidGroupPublicKeyPem: epid.groupPublicKeyPem,
      epidGroupId: epid.epidGroupId(),
    };
  } else if (config.mode === 'dcap') {
    const d = config.dcap ?? {};
    let platform: Awaited<ReturnType<typeof platformFromConfig>>;
    if (d.platformConfig !== undefined) platform = await platformFromConfig(d.platformConfig);
    else if (d.platformDir !== undefined) platform = await loadSimulatedPlatform(d.platformDir);
    else {
      throw new ConfigError(
        'ERR_CONFIG_INVALID',
        'DCAP mode needs a simulated platform (its config or directory)',
        {
          hint: 'Create one with `attestkit keygen --out DIR` and pass the directory.',
        },
      );
    }
    provider = new SimulatedDcapQuoteProvider(platform, config.identity ?? {});
    info = { quoteKind: 'dcap' };
  } else {
    throw new ConfigError('ERR_CONFIG_INVALID', `unknown simulated quote mode ${String(config.mode)}`);
  }
  const core = new RaCore({
    spPublicKey: config.spPublicKey,
    quoteProvider: provider,
    ...(config.extendedGroupId === undefined ? {} : { extendedGroupId: config.extendedGroupId }),
    ...(config.maxSessions === undefined ? {} : { maxSessions: config.maxSessions }),
  });
  return { core, info };
}

// ---- the worker protocol ----

/** An operation on the worker's RA core. */
export type WorkerOp =
  | 'open'
  | 'msg1'
  | 'msg2'
  | 'verifyResult'
  | 'decrypt'
  | 'verifyDecrypt'
  | 'closeSession'
  | 'closeAll';

/**
 * A request from the host thread. `session` is the id the host gave the session. A request with
 * `id` 0 gets no answer (closes are sent that way: the worker handles requests in order, so the
 * next request sees their effect).
 *
 * To save crossings, a request can carry two things the worker does first, in this order: `close`,
 * host session ids to close (closes the host batched), then `open`, which opens `session` (sent
 * with the session's first operation; a failed open fails that operation with its error).
 */
export interface WorkerRequest {
  readonly id: number;
  readonly op: WorkerOp;
  readonly session?: number;
  readonly data?: Uint8Array;
  /** Host session ids to close before anything else. */
  readonly close?: readonly number[];
  /** Open `session` before running `op`. */
  readonly open?: boolean;
}

/**
 * `bytes` itself when it spans its whole `ArrayBuffer`, else an exact copy: structured clone
 * copies the whole underlying buffer of a view (a protobuf field is a window on its frame, a small
 * Node `Buffer` a window on an 8 KiB pool).
 */
export function exactBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  readonly attest: boolean;
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly hint?: string;
  readonly offset?: number;
  readonly field?: string;
}

/** A message from the worker. */
export type WorkerMessage =
  | { readonly kind: 'ready'; readonly info: SimulatedEnclaveInfo }
  | { readonly kind: 'init-error'; readonly error: SerializedError }
  | { readonly kind: 'warn'; readonly message: string }
  | {
      readonly kind: 'result';
      readonly id: number;
      readonly value?: Uint8Array | number | null;
      /** The session can take no further call and the worker released its context (no close needed). */
      readonly ended?: boolean;
    }
  | {
      readonly kind: 'error';
      readonly id: number;
      readonly error: SerializedError;
      /** As for `result`. */
      readonly ended?: boolean;
    };

/** Flattens an error for `postMessage`; AttestErrors keep their code, hint and parse location. */
export function serializeError(e: unknown): SerializedError {
  if (isAttestError(e)) {
    const base = {
      attest: true,
      name: e.name,
      message: e.message,
      code: e.code,
      ...(e.hint === undefined ? {} : { hint: e.hint }),
    };
    if (e instanceof ParseError) return { ...base, offset: e.offset, field: e.field };
    return base;
  }
  if (e instanceof Error) return { attest: false, name: e.name, message: e.message };
  return { attest: false, name: 'Error', message: String(e) };
}

/** Rebuilds an error serialized by {@link serializeError} as the matching class. */
export function deserializeError(s: SerializedError): Error {
  if (s.attest && s.code !== undefined && s.code in ERROR_CODES) {
    const code = s.code as ErrorCode;
    const opts = s.hint === undefined ? {} : { hint: s.hint };
    switch (ERROR_CODES[code].stage) {
      case 'parse':
        return new ParseError(
          code as never,
          s.message,
          {
            ...(s.offset === undefined ? {} : { offset: s.offset }),
            ...(s.field === undefined ? {} : { field: s.field }),
          },
          opts,
        );
      case 'crypto':
        return new CryptoError(code as never, s.message, opts);
      case 'verify':
        return new VerificationError(code as never, s.message, opts);
      case 'policy':
        return new PolicyError(code as never, s.message, opts);
      case 'protocol':
        return new ProtocolError(code as never, s.message, opts);
      case 'config':
        return new ConfigError(code as never, s.message, opts);
      case 'network':
        return new NetworkError(code as never, s.message, opts);
      default:
        return new AttestError(code, s.message, opts);
    }
  }
  const err =
    s.name === 'TypeError'
      ? new TypeError(s.message)
      : s.name === 'RangeError'
        ? new RangeError(s.message)
        : new Error(s.message);
  return err;
}

/**
 * The worker's side of the protocol: the RA core, with the sessions named by the host's ids. An
 * `open` that failed (e.g. the session cap) is remembered, and the session's next request fails
 * with its error. A session that can take no further call (failed, delivered, or its open failed)
 * is released by {@link WorkerDispatcher.release} as soon as its request settled, so the host needs
 * no close for it.
 */
export class WorkerDispatcher {
  readonly #core: RaCore;
  /** Host session id → core session id, or the error its `open` failed with. */
  readonly #sessions = new Map<number, number | { readonly error: unknown }>();

  constructor(core: RaCore) {
    this.#core = core;
  }

  #coreId(hostId: number, op: WorkerOp): number {
    const entry = this.#sessions.get(hostId);
    if (typeof entry === 'number') return entry;
    if (entry !== undefined) throw entry.error;
    throw new ProtocolError('ERR_PROTOCOL_SESSION_ENDED', `${op}: RA session ${hostId} is closed`);
  }

  #open(hostId: number): void {
    if (this.#sessions.has(hostId)) throw new RangeError(`session id ${hostId} is in use`);
    try {
      this.#sessions.set(hostId, this.#core.open());
    } catch (error) {
      this.#sessions.set(hostId, { error });
    }
  }

  #close(hostId: number): void {
    const entry = this.#sessions.get(hostId);
    this.#sessions.delete(hostId);
    // Zero-fills the context's keys (RaCore.close).
    if (typeof entry === 'number') this.#core.close(entry);
  }

  /** Runs one request (in order: the caller must not start the next before this one settled). */
  async run(req: WorkerRequest): Promise<Uint8Array | number | null> {
    const core = this.#core;
    if (req.close !== undefined) for (const id of req.close) this.#close(id);
    const hostId = req.session ?? -1;
    if (req.open === true) this.#open(hostId);
    switch (req.op) {
      case 'open':
        this.#open(hostId);
        return hostId;
      case 'msg1':
        return core.msg1(this.#coreId(hostId, req.op));
      case 'msg2':
        return core.processMsg2(this.#coreId(hostId, req.op), req.data ?? new Uint8Array(0));
      case 'verifyResult':
        core.verifyAttestationResult(this.#coreId(hostId, req.op), req.data ?? new Uint8Array(0));
        return null;
      case 'decrypt':
        return core.decryptSecret(this.#coreId(hostId, req.op));
      case 'verifyDecrypt': {
        const id = this.#coreId(hostId, req.op);
        core.verifyAttestationResult(id, req.data ?? new Uint8Array(0));
        return core.decryptSecret(id);
      }
      case 'closeSession':
        if (req.session !== undefined) this.#close(hostId);
        return null;
      case 'closeAll':
        this.#sessions.clear();
        core.closeAll();
        return null;
      default:
        throw new TypeError(`unknown worker op ${String(req.op)}`);
    }
  }

  /**
   * After a request on `hostId` settled (either way): when the session can take no further call
   * (unknown, failed, delivered, or its open failed), releases its context and returns true. Its
   * keys are zero-filled already; the host then needs to send no close.
   */
  release(hostId: number): boolean {
    const entry = this.#sessions.get(hostId);
    if (entry === undefined) return true;
    if (typeof entry === 'number' && !this.#core.isFinished(entry)) return false;
    this.#close(hostId);
    return true;
  }
}
