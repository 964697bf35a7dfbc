/**
 * `attestkit ias-mock`: a local IAS-compatible server (API v4/v5 and the seed's v1 paths) that checks
 * simulated EPID signatures, echoes the nonce and signs its reports with a generated Report Signing
 * CA (issue 3 "IAS"). Prints its URLs and where the CA files are; serves until SIGINT/SIGTERM.
 *
 * @module
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from '../../errors.ts';
import { createIasMock } from '../../sim/ias-mock.ts';
import { IAS_QUOTE_STATUSES } from '../../verify/ias.ts';
import { addCommonOptions, COMMON_SETTINGS, type CommandContext, runAction } from '../common.ts';
import { zBool, zList, zPort } from '../config.ts';
import { createLogger, readPemOrThrow, waitForStop } from '../io.ts';
import { EXIT, type ExitCode, jsonLine } from '../output.ts';
import { loadCommandSettings } from './names.ts';

const IasMockSettings = z.object({
  ...COMMON_SETTINGS,
  port: zPort.default(0),
  https: zBool.default(false),
  simEpidPub: z.string().min(1).optional(),
  status: z.string().min(1).default('OK'),
  advisories: zList.optional(),
  sigrlB64: z.string().min(1).optional(),
  apiKey: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
});

/** Registers `ias-mock` on the program. */
export function registerIasMock(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('ias-mock')
    .description(
      'serve a local IAS-compatible mock (simulated EPID quotes; reports signed by a generated CA)',
    )
    .option('--port <port>', 'port on 127.0.0.1 (default: any free port)')
    .option('--https', 'serve HTTPS with a generated TLS CA (give it to sp --ias-tls-ca)')
    .option('--sim-epid-pub <file>', 'the simulated EPID group public key, PEM (from attestkit keygen)')
    .option('--status <status>', 'isvEnclaveQuoteStatus for valid quotes (default OK)')
    .option('--advisories <ids>', 'advisoryIDs to report, comma-separated')
    .option('--sigrl-b64 <base64>', 'the SigRL to serve (default: none)')
    .option('--api-key <key>', 'require this Ocp-Apim-Subscription-Key on the v4/v5 paths')
    .option('--out <dir>', 'where to write the CA files (default: a new temporary directory)');
  addCommonOptions(cmd);
  cmd.action(async (flags: Record<string, unknown>) => {
    await runAction(ctx, flags.json === true, () => runIasMock(flags, ctx));
  });
}

async function runIasMock(flags: Record<string, unknown>, ctx: CommandContext): Promise<ExitCode> {
  const { io } = ctx;
  const s = loadCommandSettings(IasMockSettings, 'ias-mock', flags, io.env);
  // Only statuses IAS defines (a typo would make every report a refusal the SP cannot explain).
  if (!IAS_QUOTE_STATUSES.includes(s.status)) {
    throw new ConfigError(
      'ERR_CONFIG_INVALID',
      `setting "status": unknown IAS status ${JSON.stringify(s.status)}`,
      {
        hint: `one of ${IAS_QUOTE_STATUSES.join(', ')}`,
      },
    );
  }
  const log = createLogger(io, 'ias-mock', s.logLevel);
  const simEpidPublicKey =
    s.simEpidPub === undefined ? undefined : readPemOrThrow(s.simEpidPub, 'simulated EPID public key');
  const outDir = resolve(s.out ?? mkdtempSync(join(tmpdir(), 'attestkit-ias-mock-')));
  let mock: Awaited<ReturnType<typeof createIasMock>>;
  try {
    mock = await createIasMock({
      port: s.port,
      https: s.https,
      status: s.status,
      outDir,
      ...(simEpidPublicKey === undefined ? {} : { simEpidPublicKey }),
      ...(s.advisories === undefined ? {} : { advisories: s.advisories }),
      ...(s.sigrlB64 === undefined ? {} : { sigRlB64: s.sigrlB64 }),
      ...(s.apiKey === undefined ? {} : { apiKey: s.apiKey }),
    });
  } catch (cause) {
    throw new ConfigError(
      'ERR_CONFIG_INVALID',
      `cannot start the IAS mock: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
  if (simEpidPublicKey === undefined) {
    log.warn(
      'no --sim-epid-pub: a fresh simulated EPID group key was generated, so quotes from an App with another key get SIGNATURE_INVALID',
    );
  }
  const info = {
    origin: mock.origin,
    urls: mock.urls,
    reportSigningCa: mock.files.reportSigningCa,
    ...(mock.files.tlsCa === undefined ? {} : { tlsCa: mock.files.tlsCa }),
    status: s.status,
  };
  log.info(info, 'listening');
  if (s.json) io.stdout(jsonLine(info));
  else {
    io.stdout(
      `attestkit ias-mock: listening on ${mock.origin}\n` +
        `  API v5  ${mock.urls.v5}\n  API v4  ${mock.urls.v4}\n  API v1  ${mock.urls.v1}\n` +
        `  report signing CA (sp --ias-ca): ${mock.files.reportSigningCa}\n` +
        (mock.files.tlsCa === undefined ? '' : `  TLS CA (sp --ias-tls-ca): ${mock.files.tlsCa}\n`),
    );
  }
  io.onListening?.({ command: 'ias-mock', host: '127.0.0.1', port: mock.port, url: mock.origin });
  await waitForStop(io.signal);
  log.info({ requests: mock.requestCount }, 'stopping');
  await mock.close();
  return EXIT.OK;
}
