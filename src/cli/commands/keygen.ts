/**
 * `attestkit keygen --out DIR`: everything an App and an SP need to run as separate processes
 * (issue 3 "CLI", issue 5 "sim/"):
 *
 * - the SP's long-term signing key (PEM) and its public key as SGX little-endian hex (gx‖gy, 128
 *   hex digits), which the App's enclave pins (`app --sp-public-key`);
 * - a self-signed TLS certificate and key for the App (`app --tls-cert/--tls-key`, `sp --tls-ca`);
 * - the simulated EPID group key pair (`app --sim-epid-key`, `ias-mock --sim-epid-pub`);
 * - the simulated DCAP platform (PKI keys and certificates, QE attestation keys, `collateral.json`,
 *   `sim-root.pem`: `app --sim-dir DIR`, `sp --collateral DIR/collateral.json --trust-anchor
 *   DIR/sim-root.pem`, `pccs-mock --sim-dir DIR`);
 * - a policy naming the simulated enclave (`sp --policy DIR/policy.json`) and an EAR key pair.
 *
 * Private keys are written with mode 0600. Existing files are not overwritten without `--force`.
 *
 * @module
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { generateEcKeyPair, privateKeyToPem, publicKeyToPem } from '../../crypto/p256.ts';
import { SIM_DEFAULT_MR_ENCLAVE, SIM_DEFAULT_MR_SIGNER } from '../../enclave/identity.ts';
import { ConfigError } from '../../errors.ts';
import { createSimulatedPlatform, SIM_PLATFORM_FILES, saveSimulatedPlatform } from '../../sim/platform.ts';
import { toHex } from '../../wire/hex.ts';
import { addCommonOptions, COMMON_SETTINGS, type CommandContext, runAction } from '../common.ts';
import { zBool } from '../config.ts';
import { EXIT, type ExitCode, jsonLine, painter } from '../output.ts';
import { createSelfSignedTlsIdentity } from '../tls-cert.ts';
import { loadCommandSettings } from './names.ts';

/** The files `keygen` writes besides the simulated platform's ({@link SIM_PLATFORM_FILES}). */
export const KEYGEN_FILES: {
  readonly spSigningKey: 'sp-signing.key.pem';
  readonly spPublicHex: 'sp-public.hex';
  readonly spPublicPem: 'sp-public.pem';
  readonly tlsCert: 'app-tls.crt.pem';
  readonly tlsKey: 'app-tls.key.pem';
  readonly simEpidKey: 'sim-epid-group.key.pem';
  readonly simEpidPub: 'sim-epid-group.pub.pem';
  readonly policy: 'policy.json';
  readonly earKey: 'ear.key.pem';
  readonly earPub: 'ear.pub.pem';
} = Object.freeze({
  spSigningKey: 'sp-signing.key.pem',
  spPublicHex: 'sp-public.hex',
  spPublicPem: 'sp-public.pem',
  tlsCert: 'app-tls.crt.pem',
  tlsKey: 'app-tls.key.pem',
  simEpidKey: 'sim-epid-group.key.pem',
  simEpidPub: 'sim-epid-group.pub.pem',
  policy: 'policy.json',
  earKey: 'ear.key.pem',
  earPub: 'ear.pub.pem',
} as const);

const KeygenSettings = z.object({
  ...COMMON_SETTINGS,
  out: z.string().min(1),
  force: zBool.default(false),
});

/** Registers `keygen` on the program. */
export function registerKeygen(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('keygen')
    .description(
      'generate the SP signing key, the App TLS identity, the simulated EPID group key and DCAP platform',
    )
    .option('--out <dir>', 'directory to write into (created if missing)')
    .option('--force', 'overwrite existing files');
  addCommonOptions(cmd);
  cmd.action(async (flags: Record<string, unknown>) => {
    await runAction(ctx, flags.json === true, () => runKeygen(flags, ctx));
  });
}

interface Written {
  readonly file: string;
  readonly what: string;
}

async function runKeygen(flags: Record<string, unknown>, ctx: CommandContext): Promise<ExitCode> {
  const { io } = ctx;
  const s = loadCommandSettings(KeygenSettings, 'keygen', flags, io.env);
  const dir = resolve(s.out);
  const names = [...Object.values(KEYGEN_FILES), ...Object.values(SIM_PLATFORM_FILES)];
  const existing = names.filter((n) => existsSync(join(dir, n)));
  if (existing.length > 0 && !s.force) {
    throw new ConfigError('ERR_CONFIG_FILE', `${dir} already holds ${existing.join(', ')}`, {
      hint: 'choose an empty directory or pass --force to overwrite',
    });
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (cause) {
    throw new ConfigError('ERR_CONFIG_FILE', `cannot create ${dir}`, { cause });
  }
  const written: Written[] = [];
  const write = (name: string, content: string, what: string, secret = false): void => {
    const file = join(dir, name);
    try {
      writeFileSync(file, content, secret ? { mode: 0o600 } : {});
    } catch (cause) {
      throw new ConfigError('ERR_CONFIG_FILE', `cannot write ${file}`, { cause });
    }
    written.push({ file, what });
  };

  // The SP's long-term key (PROTOCOL-SEED.md §6.3); its public key in the SDK's byte order (§5.1).
  const sp = generateEcKeyPair();
  const spPublicHex = toHex(sp.publicKey);
  write(KEYGEN_FILES.spSigningKey, privateKeyToPem(sp.privateKey), 'SP signing key (sp --signing-key)', true);
  write(
    KEYGEN_FILES.spPublicHex,
    `${spPublicHex}\n`,
    'SP public key, SGX little-endian gx||gy (app --sp-public-key)',
  );
  write(KEYGEN_FILES.spPublicPem, publicKeyToPem(sp.publicKey), 'SP public key, PEM');

  const tls = createSelfSignedTlsIdentity();
  write(KEYGEN_FILES.tlsCert, tls.certPem, 'App TLS certificate (app --tls-cert, sp --tls-ca)');
  write(KEYGEN_FILES.tlsKey, tls.keyPem, 'App TLS key (app --tls-key)', true);

  const epid = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  write(
    KEYGEN_FILES.simEpidKey,
    epid.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    'simulated EPID group key (app --sim-epid-key)',
    true,
  );
  write(
    KEYGEN_FILES.simEpidPub,
    epid.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    'simulated EPID group public key (ias-mock --sim-epid-pub)',
  );

  const ear = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  write(
    KEYGEN_FILES.earKey,
    ear.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    'EAR signing key (--ear-key)',
    true,
  );
  write(
    KEYGEN_FILES.earPub,
    ear.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    'EAR verification key',
  );

  write(
    KEYGEN_FILES.policy,
    `${JSON.stringify({ mrEnclave: [SIM_DEFAULT_MR_ENCLAVE], mrSigner: [SIM_DEFAULT_MR_SIGNER] }, null, 2)}\n`,
    'policy naming the simulated enclave (sp --policy)',
  );

  const platform = await createSimulatedPlatform({ seed: new Uint8Array(randomBytes(32)), now: new Date() });
  try {
    await saveSimulatedPlatform(platform, dir);
  } catch (cause) {
    throw new ConfigError('ERR_CONFIG_FILE', `cannot write the simulated platform into ${dir}`, { cause });
  }
  const f = SIM_PLATFORM_FILES;
  written.push(
    { file: join(dir, f.config), what: 'simulated platform (app --sim-dir, pccs-mock --sim-dir)' },
    { file: join(dir, f.rootCert), what: 'simulated root CA (--trust-anchor)' },
    { file: join(dir, f.collateral), what: 'SGX collateral (--collateral)' },
    { file: join(dir, f.collateralTdx), what: 'TDX collateral' },
    { file: join(dir, f.qeAttestationKey), what: 'simulated QE attestation key' },
  );

  if (s.json) {
    io.stdout(
      jsonLine({
        dir,
        spPublicKey: spPublicHex,
        files: written.map((w) => w.file),
        simPlatformFiles: Object.values(f).map((n) => join(dir, n)),
        collateralExpiresAt: new Date(
          platform.now.getTime() + platform.config.collateralValidityDays * 86_400_000,
        ).toISOString(),
      }),
    );
  } else {
    const p = painter(io.color);
    io.stdout(
      `${p.bold('attestkit keygen')}: wrote ${dir}\n${written
        .map((w) => `  ${p.ok('+')} ${w.file}  ${p.dim(w.what)}`)
        .join(
          '\n',
        )}\n  (and the rest of the simulated PKI: ${Object.values(f).length} files; simulation keys only)\n`,
    );
  }
  return EXIT.OK;
}
