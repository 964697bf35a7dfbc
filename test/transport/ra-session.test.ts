/**
 * Both sides of the seed's remote attestation over real TLS on 127.0.0.1 (PROTOCOL-SEED.md §4.1):
 * the Application server (simulated enclave in its worker thread, DCAP quotes from a simulated
 * platform) and the ServiceProvider client (real DCAP verification and policy appraisal). Many
 * sequential and concurrent sessions against one App; a malformed peer and a silent peer end only
 * their own connections; refusals and connection failures come back as results with codes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type Server as NetServer, createServer as netCreateServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect, createServer as tlsCreateServer } from 'node:tls';
import { createSelfSignedTlsIdentity, type TlsIdentity } from '../../src/cli/tls-cert.ts';
import { generateEcKeyPair } from '../../src/crypto/p256.ts';
import { SIM_DEFAULT_MR_ENCLAVE } from '../../src/enclave/identity.ts';
import { SimulatedEnclave } from '../../src/enclave/simulated.ts';
import type { Enclave } from '../../src/enclave/types.ts';
import { appraise } from '../../src/policy/appraise.ts';
import { parsePolicy } from '../../src/policy/schema.ts';
import type { ServiceProviderOptions } from '../../src/protocol/service-provider.ts';
import { createSimulatedPlatform, type SimulatedPlatform } from '../../src/sim/platform.ts';
import {
  type ApplicationServer,
  type AppSessionReport,
  runServiceProvider,
  startApplicationServer,
} from '../../src/transport/ra-session.ts';
import { verifyQuote } from '../../src/verify/dcap.ts';

const NOW = new Date();
let platform: SimulatedPlatform;
let tls: TlsIdentity;
let enclave: Enclave;
let sp: ReturnType<typeof generateEcKeyPair>;
let server: ApplicationServer;
const reports: AppSessionReport[] = [];
const delivered: string[] = [];

function spOptions(mrEnclave = SIM_DEFAULT_MR_ENCLAVE, secret?: Uint8Array): ServiceProviderOptions {
  const policy = parsePolicy({ mrEnclave: [mrEnclave] });
  return {
    signingKey: sp.privateKey,
    verifier: {
      verifyDcap: async (quote) =>
        verifyQuote(quote, platform.collateral.sgx, { now: new Date(), trustAnchors: [platform.rootPem] }),
    },
    appraise: (evidence) => appraise(evidence, policy, { now: new Date() }),
    ...(secret === undefined ? {} : { secret }),
  };
}

function attest(options: Partial<Parameters<typeof runServiceProvider>[0]> = {}) {
  return runServiceProvider({
    host: '127.0.0.1',
    port: server.address.port,
    ca: tls.certPem,
    serviceProvider: spOptions(),
    ...options,
  });
}

/** Waits until the App has reported `n` ended sessions. */
async function reportsReach(n: number): Promise<void> {
  for (let i = 0; i < 200 && reports.length < n; i++) await new Promise((r) => setTimeout(r, 25));
}

before(async () => {
  platform = await createSimulatedPlatform({ seed: 'ra-session test', now: NOW });
  tls = createSelfSignedTlsIdentity();
  sp = generateEcKeyPair();
  enclave = await SimulatedEnclave.create({ spPublicKey: sp.publicKey, mode: 'dcap', dcap: { platform } });
  server = await startApplicationServer({
    cert: tls.certPem,
    key: tls.keyPem,
    enclave,
    timeouts: { handshakeMs: 2_000, messageMs: 1_500, sessionMs: 10_000 },
    onSecret: (secret) => {
      delivered.push(Buffer.from(secret).toString('hex'));
    },
    onSessionEnd: (r) => reports.push(r),
  });
});

after(async () => {
  await server?.close();
  await enclave?.close();
});

describe('ra-session: Application server and ServiceProvider over TLS', () => {
  test('one attestation: trusted, secret delivered, the seed message sequence', async () => {
    const secret = new Uint8Array(randomBytes(24));
    const before = reports.length;
    const run = await attest({ serviceProvider: spOptions(SIM_DEFAULT_MR_ENCLAVE, secret) });
    assert.equal(run.result.error, undefined);
    assert.equal(run.result.trusted, true);
    assert.equal(run.result.secretDelivered, true);
    assert.equal(run.result.quoteType, 'dcap');
    assert.equal(run.result.enclave?.mrEnclave, SIM_DEFAULT_MR_ENCLAVE);
    assert.deepEqual(
      run.messages.map((m) => `${m.direction} ${m.typeName}`),
      [
        'sent RA_VERIFICATION',
        'received RA_MSG0',
        'sent RA_MSG0',
        'received RA_MSG1',
        'sent RA_MSG2',
        'received RA_MSG3',
        'sent RA_ATT_RESULT',
        'received RA_APP_ATT_OK',
      ],
    );
    assert.ok(run.messages.every((m) => m.bytes > 0 && m.ms >= 0));
    await reportsReach(before + 1);
    const r = reports.at(-1)!;
    assert.equal(r.ok, true);
    assert.equal(r.secretSize, secret.length);
    assert.equal(delivered.at(-1), Buffer.from(secret).toString('hex'));
    assert.match(r.secretSha256 ?? '', /^[0-9a-f]{64}$/);
  });

  test('200 sequential sessions against one App all succeed', async () => {
    for (let i = 0; i < 200; i++) {
      const run = await attest();
      assert.equal(
        run.result.trusted && run.result.secretDelivered,
        true,
        `session ${i}: ${run.result.error?.code}`,
      );
    }
  });

  test('20 concurrent sessions, with a malformed peer in the middle, all succeed', async () => {
    const before = reports.length;
    const good = Array.from({ length: 20 }, () => attest());
    // A peer whose first frame header is not "<len>@<type>": only its own connection ends.
    const bad = tlsConnect({
      host: '127.0.0.1',
      port: server.address.port,
      ca: tls.certPem,
      servername: 'localhost',
    });
    await once(bad, 'secureConnect');
    bad.write(new TextEncoder().encode('this is not a frame header at all\n'));
    const closed = once(bad, 'close');
    bad.on('error', () => undefined);
    const runs = await Promise.all(good);
    for (const [i, run] of runs.entries()) {
      assert.equal(
        run.result.trusted && run.result.secretDelivered,
        true,
        `session ${i}: ${run.result.error?.code}`,
      );
    }
    await closed;
    await reportsReach(before + 21);
    const failed = reports.slice(before).filter((r) => !r.ok);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.error?.code, 'ERR_FRAME_HEADER_INVALID');
  });

  test('a silent SP hits the App deadline; the App keeps serving', async () => {
    const before = reports.length;
    const silent = tlsConnect({
      host: '127.0.0.1',
      port: server.address.port,
      ca: tls.certPem,
      servername: 'localhost',
    });
    silent.on('error', () => undefined);
    await once(silent, 'secureConnect');
    await once(silent, 'close');
    await reportsReach(before + 1);
    assert.equal(reports[before]!.ok, false);
    assert.equal(reports[before]!.error?.code, 'ERR_NET_TIMEOUT');
    const run = await attest();
    assert.equal(run.result.secretDelivered, true);
  });

  test('a refused enclave: ATT_RESULT with a zero payload, the App reports the refusal', async () => {
    const before = reports.length;
    const run = await attest({ serviceProvider: spOptions('ab'.repeat(32)) });
    assert.equal(run.result.trusted, false);
    assert.equal(run.result.secretDelivered, false);
    assert.equal(run.result.error?.code, 'ERR_PROTOCOL_REFUSED');
    assert.equal(run.result.refusalCode, 'ERR_POLICY_MR_ENCLAVE');
    assert.equal(run.messages.at(-1)?.typeName, 'RA_ATT_RESULT');
    await reportsReach(before + 1);
    assert.equal(reports[before]!.ok, false);
    assert.equal(reports[before]!.error?.code, 'ERR_PROTOCOL_REFUSED');
    assert.equal(reports[before]!.secretSha256, undefined);
  });

  test('the SP pins the App certificate: another CA is a TLS failure', async () => {
    const other = createSelfSignedTlsIdentity();
    const run = await attest({ ca: other.certPem });
    assert.equal(run.result.trusted, false);
    assert.equal(run.result.error?.code, 'ERR_NET_TLS');
    assert.deepEqual(run.messages, []);
  });

  test('nothing listening: ERR_NET_UNREACHABLE', async () => {
    const probe: NetServer = netCreateServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const run = await attest({ port });
    assert.equal(run.result.error?.code, 'ERR_NET_UNREACHABLE');
  });

  test('a silent App hits the SP deadline: ERR_NET_TIMEOUT', async () => {
    const quiet = tlsCreateServer({ cert: tls.certPem, key: tls.keyPem }, () => undefined);
    quiet.listen(0, '127.0.0.1');
    await once(quiet, 'listening');
    try {
      const run = await attest({
        port: (quiet.address() as { port: number }).port,
        timeouts: { handshakeMs: 2_000, messageMs: 300, sessionMs: 5_000 },
      });
      assert.equal(run.result.trusted, false);
      assert.equal(run.result.error?.code, 'ERR_NET_TIMEOUT');
      assert.equal(run.messages.length, 1); // RA_VERIFICATION went out, nothing came back
    } finally {
      quiet.close();
      quiet.emit('close');
    }
  });

  test('an oversized frame from the SP side ends only that connection', async () => {
    const before = reports.length;
    const big = tlsConnect({
      host: '127.0.0.1',
      port: server.address.port,
      ca: tls.certPem,
      servername: 'localhost',
    });
    big.on('error', () => undefined);
    await once(big, 'secureConnect');
    // A header announcing 2 MiB (over the 1 MiB cap).
    big.write(new TextEncoder().encode(`${2 * 1024 * 1024}@5`.padEnd(20, '\0')));
    await once(big, 'close');
    await reportsReach(before + 1);
    assert.equal(reports[before]!.error?.code, 'ERR_FRAME_TOO_LARGE');
    const run = await attest();
    assert.equal(run.result.secretDelivered, true);
  });
});
