/**
 * An {@link Enclave} that runs the RA core in the current thread. The real backends use it (inside
 * Gramine the process is the enclave; in a TDX guest the whole VM is the TEE), and so does the
 * in-process variant of the simulated enclave used by unit tests.
 *
 * @module
 */
import { ProtocolError } from '../errors.ts';
import { RaCore, type RaCoreOptions } from './core.ts';
import type { Enclave, EnclaveSession } from './types.ts';

/** Options of {@link LocalEnclave}: the core's options, or a core built already. */
export type LocalEnclaveOptions = (RaCoreOptions | { readonly core: RaCore }) & {
  /** What backs it (default `'simulated'`). */
  readonly kind?: Enclave['kind'];
};

class LocalSession implements EnclaveSession {
  readonly id: number;
  readonly #core: RaCore;

  constructor(core: RaCore, id: number) {
    this.#core = core;
    this.id = id;
  }

  async msg1(): Promise<Uint8Array> {
    return this.#core.msg1(this.id);
  }

  processMsg2(msg2: Uint8Array): Promise<Uint8Array> {
    return this.#core.processMsg2(this.id, msg2);
  }

  async verifyAttestationResult(attestationResult: Uint8Array): Promise<void> {
    this.#core.verifyAttestationResult(this.id, attestationResult);
  }

  async decryptSecret(): Promise<Uint8Array> {
    return this.#core.decryptSecret(this.id);
  }

  async verifyAndDecrypt(attestationResult: Uint8Array): Promise<Uint8Array> {
    this.#core.verifyAttestationResult(this.id, attestationResult);
    return this.#core.decryptSecret(this.id);
  }

  async close(): Promise<void> {
    this.#core.close(this.id);
  }
}

/** The RA core in this thread, behind the {@link Enclave} interface. */
export class LocalEnclave implements Enclave {
  readonly kind: Enclave['kind'];
  readonly #core: RaCore;
  #closed = false;

  constructor(options: LocalEnclaveOptions) {
    this.kind = options.kind ?? 'simulated';
    this.#core = 'core' in options ? options.core : new RaCore(options);
  }

  async extendedGroupId(): Promise<number> {
    return this.#core.extendedGroupId();
  }

  async openSession(): Promise<EnclaveSession> {
    if (this.#closed) throw new ProtocolError('ERR_PROTOCOL_SESSION_ENDED', 'the enclave is closed');
    return new LocalSession(this.#core, this.#core.open());
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#core.closeAll();
  }
}
