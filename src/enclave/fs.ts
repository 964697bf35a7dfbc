/**
 * The node implementation of {@link FsAdapter}, and the error wrapping the real backends share.
 *
 * @module
 */
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { ConfigError, isAttestError } from '../errors.ts';
import type { FsAdapter } from './types.ts';

/** {@link FsAdapter} over `node:fs/promises`. */
export const nodeFsAdapter: FsAdapter = Object.freeze({
  async readFile(path: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(path));
  },
  async writeFile(path: string, data: Uint8Array): Promise<void> {
    await writeFile(path, data);
  },
  async mkdir(path: string): Promise<void> {
    await mkdir(path);
  },
  async rmdir(path: string): Promise<void> {
    await rmdir(path);
  },
});

/** Runs a file operation; a failure that is not an AttestError becomes `ERR_CONFIG_UNSUPPORTED`. */
export async function tee<T>(what: string, hint: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (cause) {
    if (isAttestError(cause)) throw cause;
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError('ERR_CONFIG_UNSUPPORTED', `${what}: ${detail}`, { cause, hint });
  }
}

/** A promise chain that runs callbacks one at a time (pseudo files are process-global state). */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier callback has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}
