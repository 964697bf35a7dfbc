/**
 * The worker thread that hosts the simulated enclave: one per Application, one RA context per
 * session. Keys live only in this thread; the host sees msg1, msg3 and the delivered secret.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RaCore } from './core.ts';
import {
  buildSimulatedCore,
  runWorkerRequest,
  type SimulatedEnclaveConfig,
  serializeError,
  type WorkerMessage,
  type WorkerRequest,
} from './sim-host.ts';

const port = parentPort;
if (port === null) throw new Error('sim-worker must run in a worker thread');

function post(msg: WorkerMessage): void {
  port!.postMessage(msg);
}

let core: RaCore | undefined;
// Requests are handled one at a time, in order: the core's state machine stays simple.
let queue: Promise<void> = Promise.resolve();

port.on('message', (req: WorkerRequest) => {
  queue = queue.then(async () => {
    if (core === undefined) {
      post({ kind: 'error', id: req.id, error: serializeError(new Error('enclave not ready')) });
      return;
    }
    try {
      post({ kind: 'result', id: req.id, value: await runWorkerRequest(core, req) });
    } catch (e) {
      post({ kind: 'error', id: req.id, error: serializeError(e) });
    }
  });
});

try {
  const built = await buildSimulatedCore(workerData as SimulatedEnclaveConfig, (message) =>
    post({ kind: 'warn', message }),
  );
  core = built.core;
  post({ kind: 'ready', info: built.info });
} catch (e) {
  post({ kind: 'init-error', error: serializeError(e) });
}
