/**
 * Case 4's second baseline, client side: TLS connections that carry the traffic of an RA session up
 * to its parking point, without the protocol (the App child's replay server answers each request
 * with the requested number of bytes; see `replayConnection` in bench/children/app.ts).
 *
 * @module
 */
import { connect, type TLSSocket } from 'node:tls';
import { FRAME_HEADER_SIZE } from '../../src/wire/frame.ts';

/** One exchange: the bytes the SP sends, then the bytes the App answers with. */
export interface ReplayStep {
  readonly send: number;
  readonly reply: number;
}

/** A frame of an RA session as the SP saw it (`RaMessageInfo` of src/transport/ra-session.ts). */
export interface SeenFrame {
  readonly direction: 'sent' | 'received';
  readonly bytes: number;
}

/**
 * Groups a session's frames, in order, into exchanges: the frames the SP sent, then the frames it
 * received, each counted on the wire (body plus the 20-byte header, PROTOCOL-SEED.md §3.1).
 */
export function replayScript(frames: readonly SeenFrame[]): ReplayStep[] {
  const steps: ReplayStep[] = [];
  let send = 0;
  let reply = 0;
  for (const f of frames) {
    const wire = f.bytes + FRAME_HEADER_SIZE;
    if (f.direction === 'sent') {
      if (reply > 0) {
        steps.push({ send, reply });
        send = 0;
        reply = 0;
      }
      send += wire;
    } else {
      reply += wire;
    }
  }
  if (send > 0 || reply > 0) steps.push({ send, reply });
  return steps;
}

/** Opens one connection and plays `script` on it; resolves with the socket, held open. */
function replayOne(port: number, ca: string, script: readonly ReplayStep[]): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca }, () => {
      let i = 0;
      let awaiting = 0;
      const next = (): void => {
        const step = script[i++];
        if (step === undefined) {
          socket.removeAllListeners('data');
          resolve(socket);
          return;
        }
        // Each request is [u32 BE reply size][u32 BE padding size][padding], `send` bytes in all.
        const pad = Math.max(0, step.send - 8);
        const req = Buffer.alloc(8 + pad);
        req.writeUInt32BE(step.reply, 0);
        req.writeUInt32BE(pad, 4);
        awaiting = step.reply;
        socket.write(req);
        if (awaiting === 0) next();
      };
      socket.on('data', (chunk: Buffer) => {
        awaiting -= chunk.length;
        if (awaiting <= 0) next();
      });
      next();
    });
    socket.once('error', reject);
  });
}

/** Opens `n` replay connections (in waves of 64) and returns them, held open. */
export async function openReplayConnections(
  port: number,
  ca: string,
  n: number,
  script: readonly ReplayStep[],
): Promise<TLSSocket[]> {
  const out: TLSSocket[] = [];
  for (let i = 0; i < n; i += 64) {
    const batch: Promise<TLSSocket>[] = [];
    for (let j = i; j < Math.min(n, i + 64); j++) batch.push(replayOne(port, ca, script));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}
