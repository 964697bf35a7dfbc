/**
 * `attestkit demo`: the whole system in one process, on 127.0.0.1 ephemeral ports, with fresh keys
 * (issue 3 "CLI", issue 5 "CLI"): an App with the simulated enclave, an SP with a policy naming that
 * enclave, and the simulated infrastructure. DCAP (default): a simulated Intel PKI, QE and
 * collateral, verified exactly as real quotes are. EPID (`--quote epid`): the seed's IAS path
 * against a local IAS mock. Prints each message (direction, type, size, time), every check and the
 * verdict; the SP signs an EAR with a fresh key. Nothing is written to disk.
 *
 * @module
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { z } from 'zod';
import { IasClient } from '../../collateral/ias-client.ts';
import { generateEcKeyPair } from '../../crypto/p256.ts';
import { SIM_DEFAULT_MR_ENCLAVE, SIM_DEFAULT_MR_SIGNER } from '../../enclave/identity.ts';
import { SimulatedEnclave } from '../../enclave/simulated.ts';
import type { Enclave } from '../../enclave/types.ts';
import { createEar } from '../../policy/ear.ts';
import { parsePolicy } from '../../policy/schema.ts';
import { createIasMock, type IasMock } from '../../sim/ias-mock.ts';
import { createSimulatedPlatform } from '../../sim/platform.ts';
import {
  type ApplicationServer,
  runServiceProvider,
  startApplicationServer,
} from '../../transport/ra-session.ts';
import { addCommonOptions, COMMON_SETTINGS, type CommandContext, runAction } from '../common.ts';
import { createLogger } from '../io.ts';
import { EXIT, type ExitCode, exitCodeFor, jsonLine, painter, spJson } from '../output.ts';
import { messagesJson, renderSpReport } from '../session-output.ts';
import { createSpWiring, type SpWiring } from '../sp-wiring.ts';
import { createSelfSignedTlsIdentity } from '../tls-cert.ts';
import { packageVersion } from '../version.ts';
import { loadCommandSettings } from './names.ts';

const DemoSettings = z.object({
  ...COMMON_SETTINGS,
  logLevel: z.string().default('warn'),
  quote: z.enum(['epid', 'dcap']).default('dcap'),
});

/** The subscription key the demo's IAS mock requires and its SP sends. */
const DEMO_IAS_API_KEY = 'attestkit-demo';

/** Registers `demo` on the program. */
export function registerDemo(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('demo')
    .description(
      'run an App (simulated enclave), an SP and the simulated infrastructure in one process: one attestation',
    )
    .option('--quote <kind>', 'dcap (default: simulated Intel PKI and collateral) or epid (IAS mock)');
  addCommonOptions(cmd);
  cmd.action(async (flags: Record<string, unknown>) => {
    const json = flags.json === true;
    await runAction(
      ctx,
      json,
      () => runDemo(flags, ctx),
      (error) => ({ ...spJson({ error }), messages: [] }),
    );
  });
}

interface Infrastructure {
  readonly enclave: Enclave;
  readonly wiring: SpWiring;
  readonly description: string;
  readonly mock?: IasMock;
}

async function runDemo(flags: Record<string, unknown>, ctx: CommandContext): Promise<ExitCode> {
  const { io } = ctx;
  const s = loadCommandSettings(DemoSettings, 'demo', flags, io.env);
  const log = createLogger(io, 'demo', s.logLevel);
  const now = new Date();
  // Fresh keys: the SP's long-term key (pinned in the enclave), the App's TLS identity, the EAR key.
  const sp = generateEcKeyPair();
  const tls = createSelfSignedTlsIdentity();
  const earKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // The policy names the simulated enclave: no identity is trusted by default.
  const policy = parsePolicy({ mrEnclave: [SIM_DEFAULT_MR_ENCLAVE], mrSigner: [SIM_DEFAULT_MR_SIGNER] });
  const warn = (m: string): void => log.warn(m);

  let infra: Infrastructure;
  if (s.quote === 'dcap') {
    const platform = await createSimulatedPlatform({ seed: new Uint8Array(randomBytes(32)), now });
    const enclave = await SimulatedEnclave.create({
      spPublicKey: sp.publicKey,
      mode: 'dcap',
      dcap: { platform },
      warn,
    });
    const wiring = createSpWiring({
      policy,
      dcap: { getCollateral: async () => platform.collateral.sgx, trustAnchors: [platform.rootPem] },
    });
    infra = {
      enclave,
      wiring,
      description: 'DCAP: simulated enclave, simulated Intel PKI, QE and collateral',
    };
  } else {
    const group = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const mock = await createIasMock({ simEpidPublicKey: group.publicKey, apiKey: DEMO_IAS_API_KEY });
    try {
      const enclave = await SimulatedEnclave.create({
        spPublicKey: sp.publicKey,
        mode: 'epid',
        epid: { groupKeyPem: group.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
        warn,
      });
      const client = new IasClient({ baseUrl: mock.urls.v5, apiVersion: 5, apiKey: DEMO_IAS_API_KEY });
      const wiring = createSpWiring({ policy, ias: { client, trustAnchors: [mock.reportSigningCaPem] } });
      infra = { enclave, wiring, mock, description: `EPID: simulated enclave, IAS mock at ${mock.origin}` };
    } catch (e) {
      await mock.close();
      throw e;
    }
  }

  let server: ApplicationServer | undefined;
  try {
    let appSecretDigest: string | undefined;
    server = await startApplicationServer({
      cert: tls.certPem,
      key: tls.keyPem,
      host: '127.0.0.1',
      port: 0,
      enclave: infra.enclave,
      onSecret: (_secret, info) => {
        appSecretDigest = info.sha256;
      },
      onSessionEnd: (r) =>
        log.info(
          { peer: `${r.peer.remoteAddress}:${r.peer.remotePort}`, ok: r.ok, secretSha256: r.secretSha256 },
          'app session',
        ),
    });
    const secret = new Uint8Array(randomBytes(32));
    const spSecretDigest = createHash('sha256').update(secret).digest('hex');
    const run = await runServiceProvider({
      host: '127.0.0.1',
      port: server.address.port,
      ca: tls.certPem,
      serviceProvider: {
        verifier: infra.wiring.verifier,
        appraise: infra.wiring.appraise,
        signingKey: sp.privateKey,
        secret,
      },
    });
    secret.fill(0);
    // The App's session ends when it has sent APP_ATT_OK; wait for its sockets to wind down.
    const { result } = run;
    const verdict = infra.wiring.lastVerdict();
    let ear: string | undefined;
    if (verdict !== undefined && result.evidence !== undefined) {
      ear = await createEar(verdict, result.evidence, {
        signingKey: earKey.privateKey,
        verifierId: { developer: 'attestkit', build: `attestkit ${packageVersion()} demo` },
        nonce: result.nonce,
        now: new Date(),
      });
    }
    const inspection = infra.wiring.lastInspection();
    const out = spJson({
      result,
      ...(inspection === undefined ? {} : { inspection }),
      ...(ear === undefined ? {} : { ear }),
    });
    const messages = messagesJson(run.messages);
    const delivered = result.trusted && result.secretDelivered && appSecretDigest === spSecretDigest;
    if (s.json) {
      io.stdout(jsonLine({ ...out, messages }));
    } else {
      const p = painter(io.color);
      const title = `attestkit demo — ${infra.description}; App on 127.0.0.1:${server.address.port}`;
      let text = renderSpReport(p, title, out, messages);
      if (delivered)
        text += `  ${p.dim('secret')}         the App received it intact (SHA-256 ${spSecretDigest.slice(0, 16)}…)\n`;
      io.stdout(text);
    }
    if (delivered) return EXIT.OK;
    if (result.error === undefined || result.error.code === 'ERR_PROTOCOL_REFUSED') return EXIT.REFUSED;
    return exitCodeFor(result.error, 'peer');
  } finally {
    await server?.close();
    await infra.enclave.close();
    await infra.mock?.close();
  }
}
