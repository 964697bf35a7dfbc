/**
 * `attestkit sp`: the ServiceProvider (the seed's `sp`): one attestation of an App over TLS, then
 * the secret (issue 3 "CLI", issue 5 "protocol"). EPID quotes (v2) are verified through IAS
 * (`--spid`, `--ias-url`, …); DCAP quotes (v3/v4/v5) locally against collateral (`--collateral` or
 * `--pccs-url`, `--trust-anchor`). No enclave identity is trusted by default: without `--policy`,
 * `--mr-enclave`, `--mr-signer` or `--mr-td` it exits 2 unless `--dangerously-accept-any-enclave`.
 *
 * Exit codes: 0 trusted and secret delivered; 1 refused; 2 usage or configuration (including an
 * EPID quote without IAS settings); 3 network or peer failure.
 *
 * @module
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { IasClient } from '../../collateral/ias-client.ts';
import { ConfigError } from '../../errors.ts';
import { hasIdentityRule } from '../../policy/schema.ts';
import { runServiceProvider } from '../../transport/ra-session.ts';
import { addCommonOptions, COMMON_SETTINGS, type CommandContext, runAction } from '../common.ts';
import { zBool } from '../config.ts';
import { collateralGetter, maybeEar, trustAnchorsOf } from '../evidence.ts';
import {
  createLogger,
  parseHexSetting,
  parseHostPort,
  readFileOrThrow,
  readPemOrThrow,
  readTextOrThrow,
} from '../io.ts';
import { loadSigningKey } from '../keys.ts';
import { EXIT, type ExitCode, exitCodeFor, jsonLine, painter, spJson } from '../output.ts';
import { addPolicyOptions, buildPolicy, POLICY_SETTINGS } from '../policy-options.ts';
import { messagesJson, renderSpReport } from '../session-output.ts';
import { createSpWiring } from '../sp-wiring.ts';
import { loadCommandSettings } from './names.ts';

const SpSettings = z.object({
  ...COMMON_SETTINGS,
  ...POLICY_SETTINGS,
  connect: z.string().min(1).default('localhost:22222'),
  tlsCa: z.string().min(1).optional(),
  tlsServername: z.string().min(1).optional(),
  dangerouslySkipHostnameCheck: zBool.default(false),
  signingKey: z.string().min(1).optional(),
  spid: z.string().min(1).optional(),
  iasUrl: z.string().min(1).optional(),
  iasApiKey: z.string().min(1).optional(),
  iasApiVersion: z.coerce
    .number()
    .pipe(z.union([z.literal(1), z.literal(4), z.literal(5)]))
    .optional(),
  iasClientCert: z.string().min(1).optional(),
  iasCa: z.string().min(1).optional(),
  iasTlsCa: z.string().min(1).optional(),
  collateral: z.string().min(1).optional(),
  pccsUrl: z.string().min(1).optional(),
  trustAnchor: z.string().min(1).optional(),
  secret: z.string().min(1).optional(),
  dangerouslyAcceptAnyEnclave: zBool.default(false),
  earKey: z.string().min(1).optional(),
  earOut: z.string().min(1).optional(),
});

type SpSettingsT = z.infer<typeof SpSettings>;

/** Registers `sp` on the program. */
export function registerSp(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('sp')
    .description(
      'run the ServiceProvider: attest one App, verify its quote, appraise it, provision the secret',
    )
    .option(
      '--connect <host:port>',
      "the App's address (default localhost:22222, the seed's rh_host/rh_port)",
    )
    .option('--tls-ca <file>', "the App's certificate to pin, PEM (the seed's server_crt)")
    .option('--tls-servername <name>', 'check the App certificate against this name instead of the host')
    .option(
      '--dangerously-skip-hostname-check',
      "pin the certificate but skip the name check (the seed's behaviour)",
    )
    .option('--signing-key <file>', "the SP's P-256 signing key, PEM (the enclave pins its public key)")
    .option('--spid <hex>', "EPID: the SPID, 32 hex digits (the seed's spid; default zeros)")
    .option('--ias-url <url>', "EPID: the IAS API base URL (the seed's ias_url), e.g. …/attestation/v5/")
    .option('--ias-api-key <key>', 'EPID: Ocp-Apim-Subscription-Key (API v4/v5)')
    .option('--ias-api-version <n>', 'EPID: 1 (client certificate), 4 or 5 (default: from the URL, else 5)')
    .option('--ias-client-cert <file>', "EPID, API v1: client certificate and key, PEM (the seed's ias_crt)")
    .option('--ias-ca <file>', 'EPID: trust anchor for IAS report signatures (default: Intel, embedded)')
    .option('--ias-tls-ca <file>', "EPID: CA for the IAS HTTPS endpoint (default: the system's)")
    .option('--collateral <file>', 'DCAP: collateral as dcap-qvl QuoteCollateralV3 JSON')
    .option('--pccs-url <url>', 'DCAP: fetch collateral from this PCCS / PCS (default: Intel PCS)')
    .option(
      '--trust-anchor <pem>',
      'DCAP: trust this root instead of the Intel SGX Root CA (e.g. DIR/sim-root.pem)',
    )
    .option('--secret <file>', "the secret to provision (default: the seed's two bytes 00 01)");
  addPolicyOptions(cmd);
  cmd
    .option(
      '--dangerously-accept-any-enclave',
      'trust any enclave identity (no --policy/--mr-enclave/--mr-signer)',
    )
    .option('--ear-key <file>', 'sign an attestation result (EAR JWT) with this PEM private key')
    .option('--ear-out <file>', 'write the EAR to this file');
  addCommonOptions(cmd);
  cmd.action(async (flags: Record<string, unknown>) => {
    const json = flags.json === true;
    await runAction(
      ctx,
      json,
      () => runSp(flags, ctx),
      (error) => spJson({ error }),
    );
  });
}

function iasApiVersionOf(s: SpSettingsT): 1 | 4 | 5 {
  if (s.iasApiVersion !== undefined) return s.iasApiVersion;
  const url = s.iasUrl ?? '';
  if (/\/sgx\/v1\/?$/.test(url)) return 1;
  if (/\/v4\/?$/.test(url)) return 4;
  return 5;
}

function iasClientOf(s: SpSettingsT): IasClient | undefined {
  if (s.iasUrl === undefined) return undefined;
  const apiVersion = iasApiVersionOf(s);
  const clientCert =
    s.iasClientCert === undefined ? undefined : readPemOrThrow(s.iasClientCert, 'IAS client certificate');
  const tlsCa = s.iasTlsCa === undefined ? undefined : readPemOrThrow(s.iasTlsCa, 'IAS TLS CA');
  return new IasClient({
    baseUrl: s.iasUrl,
    apiVersion,
    ...(s.iasApiKey === undefined ? {} : { apiKey: s.iasApiKey }),
    ...(clientCert === undefined ? {} : { clientCert: { cert: clientCert } }),
    ...(tlsCa === undefined ? {} : { tlsCa }),
  });
}

async function runSp(flags: Record<string, unknown>, ctx: CommandContext): Promise<ExitCode> {
  const { io } = ctx;
  const s = loadCommandSettings(SpSettings, 'sp', flags, io.env);
  const log = createLogger(io, 'sp', s.logLevel);
  // DESIGN.md "Security posture": no enclave identity is trusted by default.
  const policy = buildPolicy(s);
  if (!hasIdentityRule(policy) && !s.dangerouslyAcceptAnyEnclave) {
    throw new ConfigError(
      'ERR_CONFIG_NO_IDENTITY',
      'no enclave identity is trusted: the SP needs a policy naming one',
    );
  }
  if (!hasIdentityRule(policy))
    log.warn('--dangerously-accept-any-enclave: any enclave identity will be trusted');
  if (s.tlsCa === undefined) {
    throw new ConfigError('ERR_CONFIG_INVALID', 'setting "tlsCa" is required', {
      hint: "pass --tls-ca with the App's certificate (app-tls.crt.pem from attestkit keygen)",
    });
  }
  if (s.signingKey === undefined) {
    throw new ConfigError('ERR_CONFIG_INVALID', 'setting "signingKey" is required', {
      hint: 'pass --signing-key (sp-signing.key.pem from attestkit keygen)',
    });
  }
  if (s.earOut !== undefined && s.earKey === undefined)
    throw new ConfigError('ERR_CONFIG_INVALID', '--ear-out needs --ear-key');
  const { host, port } = parseHostPort(s.connect, 'connect');
  const ca = readPemOrThrow(s.tlsCa, 'TLS CA');
  const signingKey = loadSigningKey(s.signingKey);
  const spid = s.spid === undefined ? undefined : parseHexSetting(s.spid, 'spid', 16);
  const secret = s.secret === undefined ? undefined : readFileOrThrow(s.secret, 'secret file');
  if (secret !== undefined && secret.length === 0)
    throw new ConfigError('ERR_CONFIG_INVALID', `the secret file ${s.secret} is empty`);
  const ias = iasClientOf(s);
  if (ias?.insecureTransport === true)
    log.warn({ url: s.iasUrl }, 'IAS over plain http: acceptable only for a local mock');
  const iasAnchors = s.iasCa === undefined ? undefined : [readTextOrThrow(s.iasCa, 'IAS report signing CA')];
  const wiring = createSpWiring({
    policy,
    dcap: { getCollateral: collateralGetter(s), trustAnchors: trustAnchorsOf(s.trustAnchor) },
    ...(ias === undefined ? {} : { ias: { client: ias, trustAnchors: iasAnchors } }),
  });

  log.info({ host, port }, 'connecting');
  const run = await runServiceProvider({
    host,
    port,
    ca,
    ...(s.tlsServername === undefined ? {} : { servername: s.tlsServername }),
    ...(s.dangerouslySkipHostnameCheck ? { dangerouslySkipHostnameCheck: true } : {}),
    serviceProvider: {
      verifier: wiring.verifier,
      appraise: wiring.appraise,
      signingKey,
      ...(spid === undefined ? {} : { spid }),
      ...(secret === undefined ? {} : { secret }),
    },
    onMessage: (m) =>
      log.debug({ direction: m.direction, type: m.typeName, bytes: m.bytes, ms: m.ms }, 'frame'),
  });
  secret?.fill(0);
  const { result } = run;
  const verdict = wiring.lastVerdict();
  let ear: string | undefined;
  if (verdict !== undefined && result.evidence !== undefined) {
    ear = await maybeEar(s, verdict, result.evidence, new Date(), result.nonce);
  }
  const inspection = wiring.lastInspection();
  const out = spJson({
    result,
    ...(inspection === undefined ? {} : { inspection }),
    ...(ear === undefined ? {} : { ear }),
  });
  log.info(
    {
      trusted: out.trusted,
      secretDelivered: out.secretDelivered,
      ms: run.durationMs,
      ...(out.error === undefined ? {} : { code: out.error.code }),
    },
    'attestation finished',
  );
  if (s.json) io.stdout(jsonLine(out));
  else
    io.stdout(
      renderSpReport(painter(io.color), `attestkit sp: ${host}:${port}`, out, messagesJson(run.messages)),
    );
  if (result.trusted && result.secretDelivered) return EXIT.OK;
  if (result.error === undefined || result.error.code === 'ERR_PROTOCOL_REFUSED') return EXIT.REFUSED;
  return exitCodeFor(result.error, 'peer');
}
