/**
 * `attestkit pccs-mock --sim-dir DIR`: serves a simulated platform's collateral as Intel PCS v4 /
 * PCCS responses (DCAP-VERIFICATION.md §6.1-6.2; issue 5 "sim/"), so `verify --pccs-url` and
 * `sp --pccs-url` can be exercised without Intel:
 *
 * - `GET /{sgx|tdx}/certification/v4/tcb?fmspc=F` (404 for another FMSPC),
 * - `GET /{sgx|tdx}/certification/v4/qe/identity`,
 * - `GET /sgx/certification/v4/pckcrl?ca=platform|processor` (404 for the other CA),
 * - `GET /sgx/certification/v4/rootcacrl` (hex, as PCCS serves it),
 * - `GET /sgx/certification/v4/pckcert`.
 *
 * The collateral is re-issued at start-up (`now`), with the keys and certificates of DIR.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from '../../errors.ts';
import type { SimPcsResponse, SimPcsResponses } from '../../sim/collateral-gen.ts';
import { loadSimulatedPlatform } from '../../sim/platform.ts';
import { addCommonOptions, COMMON_SETTINGS, type CommandContext, runAction } from '../common.ts';
import { zPort } from '../config.ts';
import { createLogger, waitForStop } from '../io.ts';
import { EXIT, type ExitCode, jsonLine } from '../output.ts';
import { loadCommandSettings } from './names.ts';

/** A running PCCS mock. */
export interface PccsMock {
  /** `http://127.0.0.1:PORT`: the base URL for `--pccs-url`. */
  readonly url: string;
  readonly port: number;
  /** Requests served so far. */
  readonly requestCount: number;
  close(): Promise<void>;
}

/** Options of {@link startPccsMock}. */
export interface PccsMockOptions {
  /** Listen address (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
  /** Told about each request (method, path, status). */
  readonly onRequest?: (info: {
    readonly method: string;
    readonly path: string;
    readonly status: number;
  }) => void;
}

const V4 = '/certification/v4';

function select(pcs: SimPcsResponses, url: URL): SimPcsResponse | undefined {
  const m = /^\/(sgx|tdx)\/certification\/v4\/(tcb|qe\/identity|pckcrl|rootcacrl|pckcert)$/.exec(
    url.pathname,
  );
  if (m === null) return undefined;
  const tee = m[1] as 'sgx' | 'tdx';
  switch (m[2]) {
    case 'tcb':
      if ((url.searchParams.get('fmspc') ?? '').toUpperCase() !== pcs.fmspc) return undefined;
      return tee === 'sgx' ? pcs.sgxTcb : pcs.tdxTcb;
    case 'qe/identity':
      return tee === 'sgx' ? pcs.sgxQeIdentity : pcs.tdxQeIdentity;
    case 'pckcrl':
      return tee === 'sgx' && url.searchParams.get('ca') === pcs.caType ? pcs.pckCrl : undefined;
    case 'rootcacrl':
      return tee === 'sgx' ? pcs.rootCaCrlHex : undefined;
    case 'pckcert':
      return tee === 'sgx' ? pcs.pckCert : undefined;
    default:
      return undefined;
  }
}

/** Serves `pcs` (a simulated platform's PCS responses) over HTTP; see the module comment. */
export async function startPccsMock(pcs: SimPcsResponses, options: PccsMockOptions = {}): Promise<PccsMock> {
  let requestCount = 0;
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    requestCount++;
    const url = new URL(req.url ?? '/', 'http://pccs.invalid');
    const r = req.method === 'GET' ? select(pcs, url) : undefined;
    const status = req.method !== 'GET' ? 405 : r === undefined ? 404 : r.status;
    options.onRequest?.({ method: req.method ?? '?', path: url.pathname, status });
    if (r === undefined) {
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(status === 405 ? 'method not allowed\n' : 'not found\n');
      return;
    }
    const body = typeof r.body === 'string' ? Buffer.from(r.body, 'utf8') : Buffer.from(r.body);
    res.writeHead(r.status, { ...r.headers, 'Content-Length': String(body.length) });
    res.end(body);
  };
  const server: Server = createServer(listener);
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((cause: unknown) => {
    const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
    throw new ConfigError(
      'ERR_CONFIG_INVALID',
      `cannot listen on ${host}:${options.port ?? 0}: ${String(code ?? cause)}`,
      {
        cause,
      },
    );
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    get requestCount(): number {
      return requestCount;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const PccsMockSettings = z.object({
  ...COMMON_SETTINGS,
  simDir: z.string().min(1),
  port: zPort.default(8081),
  host: z.string().min(1).default('127.0.0.1'),
});

/** Registers `pccs-mock` on the program. */
export function registerPccsMock(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('pccs-mock')
    .description("serve a simulated platform's collateral as Intel PCS v4 / PCCS responses")
    .option('--sim-dir <dir>', 'the simulated platform written by attestkit keygen')
    .option('--port <port>', 'port (default 8081, as PCCS; 0 for any free port)')
    .option('--host <host>', 'listen address (default 127.0.0.1)');
  addCommonOptions(cmd);
  cmd.action(async (flags: Record<string, unknown>) => {
    await runAction(ctx, flags.json === true, () => runPccsMock(flags, ctx));
  });
}

async function runPccsMock(flags: Record<string, unknown>, ctx: CommandContext): Promise<ExitCode> {
  const { io } = ctx;
  const s = loadCommandSettings(PccsMockSettings, 'pccs-mock', flags, io.env);
  const log = createLogger(io, 'pccs-mock', s.logLevel);
  const platform = await loadSimulatedPlatform(s.simDir, { now: new Date() });
  const mock = await startPccsMock(platform.pcs, {
    host: s.host,
    port: s.port,
    onRequest: (r) => log.info(r, 'request'),
  });
  const info = {
    url: mock.url,
    fmspc: platform.pcs.fmspc,
    pckCa: platform.pcs.caType,
    paths: `/{sgx,tdx}${V4}/…`,
  };
  log.info(info, 'listening');
  if (s.json) io.stdout(jsonLine(info));
  else
    io.stdout(
      `attestkit pccs-mock: serving ${s.simDir} at ${mock.url} (FMSPC ${platform.pcs.fmspc}; use --pccs-url ${mock.url})\n`,
    );
  io.onListening?.({ command: 'pccs-mock', host: s.host, port: mock.port, url: mock.url });
  await waitForStop(io.signal);
  log.info({ requests: mock.requestCount }, 'stopping');
  await mock.close();
  return EXIT.OK;
}
