/**
 * The RA rig of cases 3 and 4: an attestkit Application (TLS server, simulated enclave in a worker
 * thread) and an attestkit ServiceProvider (TLS client) in separate child processes on 127.0.0.1,
 * plus, for EPID, the IAS mock in a third. Each child is pinned to its own CPU when there are
 * enough (SP → CPU 0, App → CPU 1, IAS mock → CPU 3 mod the CPU count, i.e. beside the App on a 2-CPU machine).
 *
 * Credentials are made fresh per run: a self-signed P-256 TLS certificate for 127.0.0.1, the SP's
 * long-term key, the simulated EPID group key, and a simulated DCAP platform saved to a temporary
 * directory that both sides load.
 *
 * @module
 */
import 'reflect-metadata';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as x509 from '@peculiar/x509';
import { generateEcKeyPair, privateKeyToPem } from '../../src/crypto/index.ts';
import { createSimulatedPlatform, saveSimulatedPlatform } from '../../src/sim/index.ts';
import { toHex } from '../../src/wire/hex.ts';
import { type Child, cpuFor, spawnChild } from './ipc.ts';

/** Which quote the simulated enclave produces and how the SP verifies it. */
export type RaMode = 'epid' | 'dcap';

/** Material shared by the children (all test-only, generated per run). */
export interface RaMaterial {
  readonly tlsCert: string;
  readonly tlsKey: string;
  readonly spSigningKeyPem: string;
  readonly spPublicKeyHex: string;
  readonly epidGroupKeyPem: string;
  readonly epidGroupPublicPem: string;
  readonly platformDir: string;
  /** Removes the temporary directory. */
  dispose(): Promise<void>;
}

async function selfSigned(): Promise<{ cert: string; key: string }> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=attestkit-bench-app',
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
    signingAlgorithm: alg,
    keys: keys as unknown as x509.X509CertificateCreateSelfSignedParams['keys'],
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem'), key };
}

/** Generates the per-run material. */
export async function createRaMaterial(): Promise<RaMaterial> {
  const tls = await selfSigned();
  const sp = generateEcKeyPair();
  const group = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const platformDir = await mkdtemp(join(tmpdir(), 'attestkit-bench-'));
  const platform = await createSimulatedPlatform({ seed: `attestkit bench ${Date.now()}`, now: new Date() });
  await saveSimulatedPlatform(platform, platformDir);
  return {
    tlsCert: tls.cert,
    tlsKey: tls.key,
    spSigningKeyPem: privateKeyToPem(sp.privateKey),
    spPublicKeyHex: toHex(sp.publicKey),
    epidGroupKeyPem: group.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    epidGroupPublicPem: group.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    platformDir,
    dispose: () => rm(platformDir, { recursive: true, force: true }),
  };
}

/** The running children of one mode. */
export interface RaRig {
  readonly mode: RaMode;
  readonly app: Child;
  readonly sp: Child;
  readonly ias: Child | undefined;
  /** The App's RA port, its bare TLS port and its replay port (same certificate, no protocol). */
  readonly appPort: number;
  readonly barePort: number;
  readonly replayPort: number;
  stop(): Promise<void>;
}

/** The child's script beside this module: `.js` when the bench runs compiled, `.ts` under tsx. */
function childScript(name: string): string {
  const here = fileURLToPath(import.meta.url);
  return join(dirname(here), '..', 'children', `${name}${extname(here)}`);
}

/** Starts the App, the IAS mock (EPID) and the SP for `mode`, and connects them. */
export async function startRaRig(
  mode: RaMode,
  m: RaMaterial,
  options: {
    readonly maxSessions: number;
    /**
     * false: no IAS mock and no end-to-end check at setup — for sessions that are only ever parked
     * before the SP needs IAS (case 4; EPID parks after MSG1).
     */
    readonly complete?: boolean;
  },
): Promise<RaRig> {
  const complete = options.complete ?? true;
  // ATTESTKIT_BENCH_CHILD_FLAGS adds node flags to every child, e.g. "--cpu-prof --cpu-prof-dir=prof".
  const extra = process.env.ATTESTKIT_BENCH_CHILD_FLAGS?.split(/\s+/).filter((f) => f !== '') ?? [];
  const flags = ['--expose-gc', ...extra];
  const app = spawnChild(`app(${mode})`, childScript('app'), cpuFor(1), flags);
  const sp = spawnChild(`sp(${mode})`, childScript('sp'), cpuFor(0), flags);
  const ias =
    mode === 'epid' && complete ? spawnChild('ias-mock', childScript('ias'), cpuFor(3), flags) : undefined;
  const children = [app, sp, ...(ias === undefined ? [] : [ias])];
  try {
    const { port, barePort, replayPort } = await app.call<{
      port: number;
      barePort: number;
      replayPort: number;
    }>({
      cmd: 'start',
      mode,
      spPublicKeyHex: m.spPublicKeyHex,
      cert: m.tlsCert,
      key: m.tlsKey,
      epidGroupKeyPem: m.epidGroupKeyPem,
      platformDir: m.platformDir,
      maxSessions: options.maxSessions,
    });
    const iasInfo =
      ias === undefined
        ? undefined
        : await ias.call<{ url: string; reportSigningCaPem: string }>({
            cmd: 'start',
            groupPublicPem: m.epidGroupPublicPem,
          });
    await sp.call({
      cmd: 'setup',
      mode,
      signingKeyPem: m.spSigningKeyPem,
      appPort: port,
      barePort,
      replayPort,
      appCa: m.tlsCert,
      platformDir: m.platformDir,
      check: complete,
      ...(iasInfo === undefined ? {} : { iasUrl: iasInfo.url, iasCaPem: iasInfo.reportSigningCaPem }),
    });
    return {
      mode,
      app,
      sp,
      ias,
      appPort: port,
      barePort,
      replayPort,
      stop: async () => {
        await Promise.all(children.map((c) => c.stop()));
      },
    };
  } catch (e) {
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
    throw e;
  }
}

/** CPU time (user + system) of a child, µs. */
export async function cpuOf(child: Child | undefined): Promise<number> {
  if (child === undefined) return 0;
  const u = await child.call<{ user: number; system: number }>({ cmd: 'cpu' });
  return u.user + u.system;
}
