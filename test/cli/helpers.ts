/**
 * Runs the CLI in-process (runCli with captured output) or as a child process
 * (`node --import tsx src/cli/bin.ts …`), for the CLI tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo, ListeningInfo } from '../../src/cli/io.ts';
import { runCli } from '../../src/cli/main.ts';

/** The repository root. */
export const ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** test/vectors. */
export const VECTORS: string = join(ROOT, 'test/vectors');

/** What one in-process run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `attestkit argv` in-process with an empty environment (plus `env`). */
export async function cli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    env: {},
    color: false,
    ...io,
  });
  return { code, stdout, stderr };
}

/** Runs a server command in-process until `stop` is called; resolves `ready` when it listens. */
export function cliServer(argv: readonly string[]): {
  ready: Promise<ListeningInfo>;
  stop: () => Promise<CliRun>;
  output: () => { stdout: string; stderr: string };
} {
  const controller = new AbortController();
  let stdout = '';
  let stderr = '';
  let onReady!: (info: ListeningInfo) => void;
  let onFail!: (e: Error) => void;
  const ready = new Promise<ListeningInfo>((res, rej) => {
    onReady = res;
    onFail = rej;
  });
  const done = runCli(argv, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    env: {},
    color: false,
    signal: controller.signal,
    onListening: onReady,
  }).then((code) => {
    onFail(new Error(`exited ${code} before listening: ${stderr}${stdout}`));
    return { code, stdout, stderr };
  });
  return {
    ready,
    stop: async () => {
      controller.abort();
      return done;
    },
    output: () => ({ stdout, stderr }),
  };
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'attestkit-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A child `node --import tsx src/cli/bin.ts …` process. */
export function spawnCli(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), ...argv], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs a child CLI to completion. */
export function runChild(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const child = spawnCli(argv, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}
