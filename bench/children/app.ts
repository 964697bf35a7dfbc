/**
 * Bench child: the attestkit Application — a simulated enclave (worker thread) behind
 * `startApplicationServer` on 127.0.0.1 — plus a bare TLS server with the same certificate that
 * holds connections open without any protocol, and a replay server that carries an RA session's
 * traffic without the protocol (case 4's two baselines).
 *
 * @module
 */
import { createServer, type TLSSocket } from 'node:tls';
import { writeHeapSnapshot } from 'node:v8';
import { type Enclave, SIM_EPID_GROUP_ID, SimulatedEnclave } from '../../src/enclave/index.ts';
import { type ApplicationServer, startApplicationServer } from '../../src/transport/ra-session.ts';
import { fromHex } from '../../src/wire/hex.ts';
import { type ChildRequest, memorySnapshot, serveRequests } from '../lib/ipc.ts';

let enclave: Enclave | undefined;
let server: ApplicationServer | undefined;
const bareSockets = new Set<TLSSocket>();
const replaySockets = new Set<TLSSocket>();
let ok = 0;
let failed = 0;
let lastError: string | undefined;

async function start(req: ChildRequest): Promise<{ port: number; barePort: number; replayPort: number }> {
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
  const replay = createServer({ cert: req.cert as string, key: req.key as string }, replayConnection);
  replay.maxConnections = maxSessions;
  await new Promise<void>((resolve) => replay.listen(0, '127.0.0.1', resolve));
  const raddr = replay.address();
  if (raddr === null || typeof raddr === 'string') throw new Error('no replay address');
  return { port: server.address.port, barePort: addr.port, replayPort: raddr.port };
}

/**
 * Case 4's second baseline: a TLS connection that carries an RA session's traffic without the
 * protocol. Each request is `[u32 BE: reply size][u32 BE: padding size][padding]`; the reply is one
 * write of that many bytes. The client replays the sizes of a real session's frames, so both ends
 * read and write what an RA session would, and then the connection is held open like a parked one.
 */
function replayConnection(socket: TLSSocket): void {
  replaySockets.add(socket);
  socket.on('error', () => undefined);
  socket.on('close', () => replaySockets.delete(socket));
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const reply = pending.readUInt32BE(0);
      const pad = pending.readUInt32BE(4);
      if (pending.length < 8 + pad) return;
      pending = pending.subarray(8 + pad);
      socket.write(Buffer.alloc(reply, 0x5a));
    }
  });
}

serveRequests({
  start,
  cpu: () => process.cpuUsage(),
  memory: () => ({
    ...memorySnapshot(),
    activeSessions: server?.activeSessions ?? 0,
    bareConnections: bareSockets.size,
    replayConnections: replaySockets.size,
  }),
  stats: () => ({ ok, failed, lastError }),
  // For diagnosis (not used by the cases): a heap snapshot of the main thread.
  snapshot: (req) => ({ file: writeHeapSnapshot(req.file as string) }),
});
