/**
 * Bench child: the attestkit Application — a simulated enclave (worker thread) behind
 * `startApplicationServer` on 127.0.0.1 — plus a bare TLS server with the same certificate that
 * holds connections open without any protocol (case 4's baseline).
 *
 * @module
 */
import { createServer, type TLSSocket } from 'node:tls';
import { type Enclave, SIM_EPID_GROUP_ID, SimulatedEnclave } from '../../src/enclave/index.ts';
import { type ApplicationServer, startApplicationServer } from '../../src/transport/ra-session.ts';
import { fromHex } from '../../src/wire/hex.ts';
import { type ChildRequest, memorySnapshot, serveRequests } from '../lib/ipc.ts';

let enclave: Enclave | undefined;
let server: ApplicationServer | undefined;
const bareSockets = new Set<TLSSocket>();
let ok = 0;
let failed = 0;
let lastError: string | undefined;

async function start(req: ChildRequest): Promise<{ port: number; barePort: number }> {
  const mode = req.mode as 'epid' | 'dcap';
  const maxSessions = req.maxSessions as number;
  enclave = await SimulatedEnclave.create({
    spPublicKey: fromHex(req.spPublicKeyHex as string),
    mode,
    maxSessions,
    ...(mode === 'epid'
      ? { epid: { groupId: SIM_EPID_GROUP_ID, groupKeyPem: req.epidGroupKeyPem as string } }
      : { dcap: { platformDir: req.platformDir as string } }),
  });
  server = await startApplicationServer({
    cert: req.cert as string,
    key: req.key as string,
    enclave,
    maxConnections: maxSessions,
    // Case 4 holds sessions open mid-protocol for a while.
    timeouts: { handshakeMs: 60_000, messageMs: 300_000, sessionMs: 600_000 },
    onSessionEnd: (r) => {
      if (r.ok) ok++;
      else {
        failed++;
        lastError = r.error?.code ?? 'unknown';
      }
    },
  });
  const bare = createServer({ cert: req.cert as string, key: req.key as string }, (socket) => {
    bareSockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => bareSockets.delete(socket));
  });
  bare.maxConnections = maxSessions;
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const addr = bare.address();
  if (addr === null || typeof addr === 'string') throw new Error('no bare address');
  return { port: server.address.port, barePort: addr.port };
}

serveRequests({
  start,
  cpu: () => process.cpuUsage(),
  memory: () => ({
    ...memorySnapshot(),
    activeSessions: server?.activeSessions ?? 0,
    bareConnections: bareSockets.size,
  }),
  stats: () => ({ ok, failed, lastError }),
});
