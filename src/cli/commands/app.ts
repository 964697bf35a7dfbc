/**
 * `attestkit app`: the Application (the seed's `app`), a TLS server on 127.0.0.1:22222 by default
 * whose enclave proves itself to an SP and receives its secret (issue 3 "CLI", issue 5 "CLI").
 *
 * Enclaves: `sim` (the simulated enclave in a worker thread; EPID quotes for an IAS mock, or DCAP
 * quotes from a simulated platform, `--sim-dir`), `gramine` (SGX inside Gramine) or `tsm` (a TDX
 * guest). Serves until SIGINT/SIGTERM; one log line per session (peer, outcome, the secret's
 * SHA-256, never the secret). With `--secret-out DIR` each delivered secret is written to a new
 * file there, mode 0600.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { GramineEnclave } from '../../enclave/gramine.ts';
import { SimulatedEnclave } from '../../enclave/simulated.ts';
import { TsmEnclave } from '../../enclave/tsm.ts';
import type { Enclave } from '../../enclave/types.ts';
import { ConfigError } from '../../errors.ts';
import { loadSimulatedPlatform } from '../../sim/platform.ts';
import { type AppSessionReport, startApplicationServer } from '../../transport/ra-session.ts';
import { addCommonOptions, COMMON_SETTINGS, type CommandContext, runAction } from '../common.ts';
import { zPort } from '../config.ts';
import { createLogger, readPemOrThrow, waitForStop } from '../io.ts';
import { loadSpPublicKey } from '../keys.ts';
import { EXIT, type ExitCode, jsonLine } from '../output.ts';
import { loadCommandSettings } from './names.ts';

/** The seed's port (PROTOCOL-SEED.md §9, `rh_port`). */
export const DEFAULT_APP_PORT = 22222;

const AppSettings = z.object({
  ...COMMON_SETTINGS,
  host: z.string().min(1).default('127.0.0.1'),
  port: zPort.default(DEFAULT_APP_PORT),
  tlsCert: z.string().min(1),
  tlsKey: z.string().min(1),
  spPublicKey: z.string().min(1),
  quote: z.enum(['epid', 'dcap']).optional(),
  enclave: z.enum(['sim', 'gramine', 'tsm']).default('sim'),
  simEpidKey: z.string().min(1).optional(),
  simDir: z.string().min(1).optional(),
  secretOut: z.string().min(1).optional(),
});

type AppSettingsT = z.infer<typeof AppSettings>;

/** Registers `app` on the program. */
export function registerApp(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('app')
    .description(
      'run the Application: a TLS server whose enclave is attested by an SP and receives its secret',
    )
    .option('--host <host>', 'listen address (default 127.0.0.1)')
    .option('--port <port>', `listen port (default ${DEFAULT_APP_PORT}, the seed's)`)
    .option('--tls-cert <file>', "the App's TLS certificate chain, PEM (the seed's server_crt)")
    .option('--tls-key <file>', "the App's TLS private key, PEM (the seed's server_key)")
    .option('--sp-public-key <file|hex>', "the SP's public key the enclave pins: PEM file or 128 hex digits")
    .option('--quote <kind>', 'epid or dcap (default: dcap with --sim-dir or a real enclave, else epid)')
    .option('--enclave <kind>', 'sim (default), gramine or tsm')
    .option('--sim-epid-key <file>', 'simulated EPID group key, PEM (default: a fresh one)')
    .option('--sim-dir <dir>', 'simulated DCAP platform written by attestkit keygen')
    .option('--secret-out <dir>', 'write each delivered secret to a new file here (mode 0600)');
  addCommonOptions(cmd);
  cmd.action(async (flags: Record<string, unknown>) => {
    await runAction(ctx, flags.json === true, () => runApp(flags, ctx));
  });
}

async function createEnclave(
  s: AppSettingsT,
  spPublicKey: Uint8Array,
  warn: (m: string) => void,
): Promise<Enclave> {
  if (s.enclave === 'gramine') return GramineEnclave.create({ spPublicKey });
  if (s.enclave === 'tsm') return new TsmEnclave({ spPublicKey });
  const quote = s.quote ?? (s.simDir !== undefined ? 'dcap' : 'epid');
  if (quote === 'dcap') {
    if (s.simDir === undefined) {
      throw new ConfigError(
        'ERR_CONFIG_INVALID',
        'the simulated enclave needs --sim-dir DIR for DCAP quotes',
        {
          hint: 'run `attestkit keygen --out DIR` and pass --sim-dir DIR (or --quote epid)',
        },
      );
    }
    // Loaded here so that a bad directory is a configuration error before anything listens.
    const platform = await loadSimulatedPlatform(s.simDir);
    return SimulatedEnclave.create({ spPublicKey, mode: 'dcap', dcap: { platform }, warn });
  }
  const groupKeyPem =
    s.simEpidKey === undefined ? undefined : readPemOrThrow(s.simEpidKey, 'simulated EPID group key');
  return SimulatedEnclave.create({
    spPublicKey,
    mode: 'epid',
    ...(groupKeyPem === undefined ? {} : { epid: { groupKeyPem } }),
    warn,
  });
}

function peerLabel(r: AppSessionReport): string {
  return `${r.peer.remoteAddress ?? '?'}:${r.peer.remotePort ?? '?'}`;
}

async function runApp(flags: Record<string, unknown>, ctx: CommandContext): Promise<ExitCode> {
  const { io } = ctx;
  const s = loadCommandSettings(AppSettings, 'app', flags, io.env);
  const log = createLogger(io, 'app', s.logLevel);
  const cert = readPemOrThrow(s.tlsCert, 'TLS certificate');
  const key = readPemOrThrow(s.tlsKey, 'TLS key');
  const spPublicKey = loadSpPublicKey(s.spPublicKey);
  const secretDir = s.secretOut === undefined ? undefined : resolve(s.secretOut);
  if (secretDir !== undefined) {
    try {
      mkdirSync(secretDir, { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw new ConfigError('ERR_CONFIG_FILE', `cannot create ${secretDir}`, { cause });
    }
  }
  const enclave = await createEnclave(s, spPublicKey, (m) => log.warn(m));
  const secretFiles = new Map<string, string>();
  let server: Awaited<ReturnType<typeof startApplicationServer>>;
  try {
    server = await startApplicationServer({
      cert,
      key,
      host: s.host,
      port: s.port,
      enclave,
      onSecret: (secret, info) => {
        if (secretDir === undefined) return;
        const file = join(
          secretDir,
          `secret-${new Date().toISOString().replace(/[:.]/g, '-')}-${new Uint8Array(randomBytes(4)).reduce((a, b) => a + b.toString(16).padStart(2, '0'), '')}.bin`,
        );
        writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
        secretFiles.set(`${info.peer.remoteAddress}:${info.peer.remotePort}:${info.sha256}`, file);
      },
      onSessionEnd: (r) => {
        const id = `${r.peer.remoteAddress}:${r.peer.remotePort}:${r.secretSha256}`;
        const file = secretFiles.get(id);
        secretFiles.delete(id);
        const fields = {
          peer: peerLabel(r),
          outcome: r.ok
            ? 'secret-delivered'
            : r.error?.code === 'ERR_PROTOCOL_REFUSED'
              ? 'refused'
              : 'failed',
          ms: r.durationMs,
          ...(r.secretSha256 === undefined ? {} : { secretSha256: r.secretSha256, secretSize: r.secretSize }),
          ...(file === undefined ? {} : { secretFile: file }),
          ...(r.error === undefined ? {} : { code: r.error.code, reason: r.error.message }),
        };
        if (r.ok) log.info(fields, 'session');
        else log.warn(fields, 'session');
      },
      onConnectionError: (error, peer) =>
        log.warn(
          { peer: `${peer.remoteAddress}:${peer.remotePort}`, code: error.code },
          'connection refused before the session',
        ),
    });
  } catch (e) {
    await enclave.close().catch(() => undefined);
    throw e;
  }
  const { host, port } = server.address;
  log.info({ host, port, enclave: enclave.kind }, 'listening');
  if (s.json) io.stdout(jsonLine({ listening: { host, port }, enclave: enclave.kind }));
  else io.stdout(`attestkit app: listening on ${host}:${port} (${enclave.kind} enclave)\n`);
  io.onListening?.({ command: 'app', host, port });
  await waitForStop(io.signal);
  log.info('stopping');
  await server.close();
  await enclave.close();
  return EXIT.OK;
}
