/**
 * Child processes for the session and memory cases: spawned with node (through tsx when they are
 * TypeScript sources), optionally pinned to one CPU
 * with `taskset`, driven by request/response messages over the IPC channel.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { getHeapSpaceStatistics } from 'node:v8';

/** A request to a child: a command and its arguments. */
export interface ChildRequest {
  readonly cmd: string;
  readonly [key: string]: unknown;
}

interface Envelope {
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

/** A running child, with `call` for request/response. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  /** The CPU it is pinned to, or null. */
  readonly cpu: number | null;
  call<T>(request: ChildRequest, timeoutMs?: number): Promise<T>;
  /** Asks the child to exit and waits (kills it after 5 s). */
  stop(): Promise<void>;
}

function hasTaskset(): boolean {
  return existsSync('/usr/bin/taskset') || existsSync('/bin/taskset');
}

/**
 * The CPU for the `index`-th role, or null when there is only one CPU or no `taskset`. Counts the
 * machine's CPUs, not this process's affinity (the bench process pins itself to CPU 0).
 */
export function cpuFor(index: number): number | null {
  const n = cpus().length;
  if (n < 2 || !hasTaskset()) return null;
  return index % n;
}

/**
 * Spawns `node [--import tsx] <script> [args]`, pinned to `cpu` (when not null), with an IPC
 * channel. `nodeFlags` go to node (e.g. `--expose-gc`).
 */
export function spawnChild(
  name: string,
  script: string,
  cpu: number | null,
  nodeFlags: readonly string[] = [],
): Child {
  // A compiled bench (`npm run bench`, plain JavaScript) runs its children as they are; the sources
  // (the smoke test, ad-hoc runs with tsx) go through tsx.
  const nodeArgs = script.endsWith('.ts')
    ? [...nodeFlags, '--import', 'tsx', script]
    : [...nodeFlags, script];
  const proc: ChildProcess =
    cpu === null
      ? spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      : spawn('taskset', ['-c', String(cpu), process.execPath, ...nodeArgs], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  proc.on('message', (m: Envelope) => {
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(`${name}: ${m.error ?? 'failed'}`));
  });
  proc.on('exit', (code, signal) => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`${name} exited (${code ?? signal})`));
    pending.clear();
  });
  return {
    name,
    pid: proc.pid ?? -1,
    cpu,
    call<T>(request: ChildRequest, timeoutMs = 600_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${name} has exited`));
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: ${request.cmd} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        proc.send({ id, ...request });
      });
    },
    async stop(): Promise<void> {
      if (exited) return;
      const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.send({ id: 0, cmd: 'exit' });
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Child side: serves requests with `handlers`; `exit` ends the process. */
export function serveRequests(handlers: Readonly<Record<string, (req: ChildRequest) => unknown>>): void {
  process.on('message', (raw: { id: number } & ChildRequest) => {
    const { id } = raw;
    if (raw.cmd === 'exit') {
      process.exit(0);
    }
    const h = handlers[raw.cmd];
    const reply = (e: Envelope): void => {
      process.send?.(e);
    };
    if (h === undefined) {
      reply({ id, ok: false, error: `unknown command ${raw.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => h(raw))
      .then(
        (value) => reply({ id, ok: true, value }),
        (e: unknown) =>
          reply({ id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

/** Resident set and heap of this process, after a full GC when `--expose-gc` is on. */
export function memorySnapshot(): {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  newSpaceBytes: number;
} {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) {
    g();
    g();
  }
  const m = process.memoryUsage();
  // The young generation's committed size: V8 grows it during a burst of allocations that survive.
  const newSpaceBytes = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    newSpaceBytes,
  };
}
