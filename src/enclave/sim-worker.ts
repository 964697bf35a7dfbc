/**
 * The worker thread that hosts the simulated enclave: one per Application, one RA context per
 * session. Keys live only in this thread; the host sees msg1, msg3 and the delivered secret.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  buildSimulatedCore,
  exactBytes,
  type SimulatedEnclaveConfig,
  serializeError,
  WorkerDispatcher,
  type WorkerMessage,
  type WorkerRequest,
} from './sim-host.ts';

const port = parentPort;
if (port === null) throw new Error('sim-worker must run in a worker thread');

function post(msg: WorkerMessage, transfer?: ArrayBuffer): void {
  if (transfer === undefined) port!.postMessage(msg);
  else port!.postMessage(msg, [transfer]);
}

let dispatcher: WorkerDispatcher | undefined;
// Requests are handled one at a time, in order: the core's state machine stays simple, and what a
// request carries for earlier sessions (batched closes) takes effect before it.
let queue: Promise<void> = Promise.resolve();

async function handle(req: WorkerRequest): Promise<void> {
  if (dispatcher === undefined) {
    if (req.id !== 0)
      post({ kind: 'error', id: req.id, error: serializeError(new Error('enclave not ready')) });
    return;
  }
  let value: Uint8Array | number | null = null;
  let error: unknown;
  let failed = false;
  try {
    value = await dispatcher.run(req);
  } catch (e) {
    failed = true;
    error = e;
  }
  // A session that can take no further call is released now; the answer says so, and the host
  // sends no close for it.
  const onSession = req.session !== undefined && req.op !== 'closeSession' && req.op !== 'closeAll';
  const ended = onSession && dispatcher.release(req.session!);
  if (req.id === 0) return;
  if (failed) post({ kind: 'error', id: req.id, error: serializeError(error), ...(ended ? { ended } : {}) });
  else {
    // Bytes are moved, not copied: every byte result of the core is a fresh buffer nothing here
    // keeps (msg1, msg3, the secret), and exactBytes makes it one whole ArrayBuffer.
    const v = value instanceof Uint8Array ? exactBytes(value) : value;
    post(
      { kind: 'result', id: req.id, value: v, ...(ended ? { ended } : {}) },
      v instanceof Uint8Array ? (v.buffer as ArrayBuffer) : undefined,
    );
  }
}

port.on('message', (req: WorkerRequest) => {
  queue = queue.then(() => handle(req));
});

try {
  const built = await buildSimulatedCore(workerData as SimulatedEnclaveConfig, (message) =>
    post({ kind: 'warn', message }),
  );
  dispatcher = new WorkerDispatcher(built.core);
  post({ kind: 'ready', info: built.info });
} catch (e) {
  post({ kind: 'init-error', error: serializeError(e) });
}
