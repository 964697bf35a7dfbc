/**
 * The simulated enclave: the RA core of `core.ts` with a simulated quoting enclave, hosted in ONE
 * `worker_thread` per Application (so keys live in another V8 isolate than the host's code), with
 * one RA context per session. An in-process variant shares the same code for unit tests.
 *
 * No SGX is involved: anyone with access to the process can read its keys. It exists to develop and
 * test against, and its quotes verify only against the simulated PKI (DCAP) or an IAS mock (EPID).
 *
 * @module
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ConfigError, ProtocolError } from '../errors.ts';
import type { SimulatedPlatform } from '../sim/platform.ts';
import { LocalEnclave } from './local.ts';
import {
  buildSimulatedCore,
  deserializeError,
  exactBytes,
  type SimulatedEnclaveConfig,
  type SimulatedEnclaveInfo,
  type WorkerMessage,
  type WorkerOp,
  type WorkerRequest,
} from './sim-host.ts';
import type { Enclave, EnclaveSession, WarnFn } from './types.ts';

/**
 * Options of {@link SimulatedEnclave.create}: those of the worker's {@link SimulatedEnclaveConfig},
 * with the simulated platform as an object, plus host-side settings.
 */
export interface SimulatedEnclaveOptions extends Omit<SimulatedEnclaveConfig, 'dcap'> {
  /** DCAP mode: the simulated platform object, or the directory it was saved to. */
  readonly dcap?: { readonly platform?: SimulatedPlatform; readonly platformDir?: string };
  /** Warnings (e.g. a generated EPID group key). Default: none. */
  readonly warn?: WarnFn;
  /** Run in this thread instead of a worker (unit tests). Default false. */
  readonly inProcess?: boolean;
}

function toConfig(options: SimulatedEnclaveOptions): SimulatedEnclaveConfig {
  if (!(options.spPublicKey instanceof Uint8Array)) throw new TypeError('spPublicKey must be a Uint8Array');
  const dcap = options.dcap;
  return {
    spPublicKey: options.spPublicKey,
    mode: options.mode,
    ...(options.identity === undefined ? {} : { identity: options.identity }),
    ...(options.epid === undefined ? {} : { epid: options.epid }),
    ...(dcap === undefined
      ? {}
      : {
          dcap: {
            ...(dcap.platform === undefined ? {} : { platformConfig: dcap.platform.config }),
            ...(dcap.platformDir === undefined ? {} : { platformDir: dcap.platformDir }),
          },
        }),
    ...(options.extendedGroupId === undefined ? {} : { extendedGroupId: options.extendedGroupId }),
    ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
  };
}

/**
 * The worker script next to this module, with this module's own extension: `.js` from `dist/`,
 * `.ts` when the sources run under tsx.
 */
function workerUrl(): URL {
  const ext = extname(fileURLToPath(import.meta.url));
  return new URL(`./sim-worker${ext}`, import.meta.url);
}

/**
 * The worker's entry: a one-line script that imports the worker module. When the sources run under
 * tsx, Node 20 does not apply the `--import tsx` loader inside workers, so the script registers tsx's
 * loader first (resolved from here; tsx is a dev dependency and never needed from `dist/`).
 */
function workerSource(): string {
  const url = workerUrl();
  const main = `import(${JSON.stringify(url.href)})`;
  if (!url.pathname.endsWith('.ts')) return `${main};`;
  let api: string;
  try {
    api = import.meta.resolve('tsx/esm/api');
  } catch {
    return `${main};`;
  }
  return `import(${JSON.stringify(api)}).then((m) => m.register()).then(() => ${main});`;
}

/**
 * The worker's young generation, MiB (V8 splits it in two 1 MiB semi-spaces and a large-object
 * space). The worker keeps little per session (an RA context), and the garbage of one request dies
 * before the next, so a small nursery suffices; V8's default lets it grow to 16 MiB semi-spaces
 * under many concurrent sessions, pages that stay resident for the life of the process.
 */
const WORKER_YOUNG_GENERATION_MB = 3;

interface Pending {
  readonly resolve: (value: Uint8Array | number | null | undefined) => void;
  readonly reject: (error: Error) => void;
  /** The session the request is on, told when the worker released its context. */
  readonly session: WorkerSession | undefined;
}

class WorkerSession implements EnclaveSession {
  readonly id: number;
  readonly #host: SimulatedEnclave;
  /** The worker has been asked to open the context (with the session's first request). */
  opened = false;
  /** The worker released the context (it can take no further call): a close sends nothing. */
  ended = false;
  /** The host closed the session: any further call fails here, without a crossing. */
  closed = false;

  constructor(host: SimulatedEnclave, id: number) {
    this.#host = host;
    this.id = id;
  }

  async msg1(): Promise<Uint8Array> {
    return (await this.#host.request('msg1', this)) as Uint8Array;
  }

  async processMsg2(msg2: Uint8Array): Promise<Uint8Array> {
    if (!(msg2 instanceof Uint8Array)) throw new TypeError('msg2 must be a Uint8Array');
    return (await this.#host.request('msg2', this, msg2)) as Uint8Array;
  }

  async verifyAttestationResult(attestationResult: Uint8Array): Promise<void> {
    if (!(attestationResult instanceof Uint8Array))
      throw new TypeError('attestation result must be a Uint8Array');
    await this.#host.request('verifyResult', this, attestationResult);
  }

  async decryptSecret(): Promise<Uint8Array> {
    return (await this.#host.request('decrypt', this)) as Uint8Array;
  }

  async verifyAndDecrypt(attestationResult: Uint8Array): Promise<Uint8Array> {
    if (!(attestationResult instanceof Uint8Array))
      throw new TypeError('attestation result must be a Uint8Array');
    return (await this.#host.request('verifyDecrypt', this, attestationResult)) as Uint8Array;
  }

  /**
   * Not waiting for the worker, and usually without a message at all: a context that ended (secret
   * delivered, or failed) was released by the worker already, and one never opened there has
   * nothing to close. Otherwise the close rides on the next request, or on one batched message
   * after this turn of the event loop; the worker handles requests in order, so none sees the
   * context after.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.opened && !this.ended) this.#host.queueClose(this.id);
  }
}

/**
 * The simulated enclave (see the module comment). Create it with {@link SimulatedEnclave.create};
 * call {@link SimulatedEnclave.close} to stop the worker.
 */
export class SimulatedEnclave implements Enclave {
  /** Always `'simulated'`. */
  readonly kind: 'simulated' = 'simulated';
  /** What the enclave reports about itself (quote kind; EPID group public key and id). */
  readonly info: SimulatedEnclaveInfo;
  readonly #extendedGroupId: number;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  /** Sessions closed by the host whose close the worker has not been sent yet. */
  #closes: number[] = [];
  #flushScheduled = false;
  #nextRequest = 1;
  #nextSession = 1;
  #closed = false;
  #exitError: Error | undefined;

  private constructor(worker: Worker, info: SimulatedEnclaveInfo, extendedGroupId: number) {
    this.#worker = worker;
    this.info = info;
    this.#extendedGroupId = extendedGroupId;
  }

  /**
   * Starts the worker and builds the enclave in it (or, with `inProcess`, returns the same core in
   * this thread). Throws `ConfigError` for unusable options (e.g. DCAP without a platform).
   */
  static async create(
    options: SimulatedEnclaveOptions,
  ): Promise<Enclave & { readonly info: SimulatedEnclaveInfo }> {
    const config = toConfig(options);
    const warn = options.warn ?? (() => {});
    if (options.inProcess === true) {
      const { core, info } = await buildSimulatedCore(config, warn);
      return Object.assign(new LocalEnclave({ kind: 'simulated', core }), { info });
    }
    const worker = new Worker(workerSource(), {
      eval: true,
      workerData: config,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    const info = await new Promise<SimulatedEnclaveInfo>((resolve, reject) => {
      const onMessage = (msg: WorkerMessage): void => {
        if (msg.kind === 'warn') warn(msg.message);
        else if (msg.kind === 'ready') {
          cleanup();
          resolve(msg.info);
        } else if (msg.kind === 'init-error') {
          cleanup();
          void worker.terminate();
          reject(deserializeError(msg.error));
        }
      };
      const onError = (e: Error): void => {
        cleanup();
        reject(
          new ConfigError('ERR_CONFIG_UNSUPPORTED', `the simulated enclave worker failed: ${e.message}`, {
            cause: e,
          }),
        );
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(
          new ConfigError('ERR_CONFIG_UNSUPPORTED', `the simulated enclave worker exited (code ${code})`),
        );
      };
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
    const enclave = new SimulatedEnclave(worker, info, config.extendedGroupId ?? 0);
    enclave.#attach(warn);
    return enclave;
  }

  #attach(warn: WarnFn): void {
    const w = this.#worker;
    w.on('message', (msg: WorkerMessage) => {
      if (msg.kind === 'warn') {
        warn(msg.message);
        return;
      }
      if (msg.kind !== 'result' && msg.kind !== 'error') return;
      const p = this.#pending.get(msg.id);
      if (p === undefined) return;
      this.#pending.delete(msg.id);
      this.#refresh();
      if (msg.ended === true && p.session !== undefined) p.session.ended = true;
      if (msg.kind === 'result') p.resolve(msg.value);
      else p.reject(deserializeError(msg.error));
    });
    const fail = (e: Error): void => {
      this.#exitError = e;
      this.#closed = true;
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    w.on('error', (e) =>
      fail(new ProtocolError('ERR_PROTOCOL_SESSION_ENDED', `enclave worker failed: ${e.message}`)),
    );
    w.on('exit', (code) =>
      fail(new ProtocolError('ERR_PROTOCOL_SESSION_ENDED', `enclave worker exited (code ${code})`)),
    );
    // An idle enclave does not keep the process alive; a pending request does.
    this.#refresh();
  }

  #refresh(): void {
    if (this.#pending.size > 0) this.#worker.ref();
    else this.#worker.unref();
  }

  /** True once {@link SimulatedEnclave.close} ran or the worker died. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * @internal Sends one request to the worker, carrying the closes queued so far and, for a
   * session's first request, its open.
   */
  request(
    op: WorkerOp,
    session?: WorkerSession,
    data?: Uint8Array,
  ): Promise<Uint8Array | number | null | undefined> {
    if (this.#closed) {
      return Promise.reject(
        this.#exitError ?? new ProtocolError('ERR_PROTOCOL_SESSION_ENDED', 'the simulated enclave is closed'),
      );
    }
    if (session?.closed === true) {
      return Promise.reject(
        new ProtocolError('ERR_PROTOCOL_SESSION_ENDED', `${op}: RA session ${session.id} is closed`),
      );
    }
    const id = this.#nextRequest++;
    const open = session !== undefined && !session.opened;
    if (open) session.opened = true;
    const close = this.#takeCloses();
    const req: WorkerRequest = {
      id,
      op,
      ...(session === undefined ? {} : { session: session.id }),
      ...(data === undefined ? {} : { data: exactBytes(data) }),
      ...(close === undefined ? {} : { close }),
      ...(open ? { open } : {}),
    };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, session });
      this.#refresh();
      this.#worker.postMessage(req);
    });
  }

  #takeCloses(): number[] | undefined {
    if (this.#closes.length === 0) return undefined;
    const close = this.#closes;
    this.#closes = [];
    return close;
  }

  /**
   * @internal Queues the close of a session the worker opened: it rides on the next request, or
   * goes in one message with every other close of this turn of the event loop (no answer: the
   * worker handles messages in order, so any later request sees its effect).
   */
  queueClose(session: number): void {
    if (this.#closed) return;
    this.#closes.push(session);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      const close = this.#takeCloses();
      if (close === undefined || this.#closed) return;
      const req: WorkerRequest = { id: 0, op: 'closeSession', close };
      this.#worker.postMessage(req);
    });
  }

  async extendedGroupId(): Promise<number> {
    return this.#extendedGroupId;
  }

  /**
   * Opens an RA context without a crossing to the worker: the host names the session, and the
   * worker opens it with the session's first request (an open over the cap fails that request with
   * the cap's error).
   */
  async openSession(): Promise<EnclaveSession> {
    if (this.#closed) {
      throw (
        this.#exitError ?? new ProtocolError('ERR_PROTOCOL_SESSION_ENDED', 'the simulated enclave is closed')
      );
    }
    return new WorkerSession(this, this.#nextSession++);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Zero-fill every context first; a worker that already died has nothing left to clear.
    this.#closes = [];
    await this.request('closeAll').catch(() => undefined);
    this.#closed = true;
    await this.#worker.terminate();
  }
}
