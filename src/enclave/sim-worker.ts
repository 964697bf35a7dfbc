/**
 * The worker thread that hosts the simulated enclave: one per Application, one RA context per
 * session. Keys live only in this thread; the host sees msg1, msg3 and the delivered secret.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  buildSimulatedCore,
  type SimulatedEnclaveConfig,
  serializeError,
  WorkerDispatcher,
  type WorkerMessage,
  type WorkerRequest,
} from './sim-host.ts';

const port = parentPort;
if (port === null) throw new Error('sim-worker must run in a worker thread');

function post(msg: WorkerMessage): void {
  port!.postMessage(msg);
}

let dispatcher: WorkerDispatcher | undefined;
// Requests are handled one at a time, in order: the core's state machine stays simple, and a request
// sent without waiting for an answer (id 0: open, closeSession) takes effect before the next one.
let queue: Promise<void> = Promise.resolve();

port.on('message', (req: WorkerRequest) => {
  queue = queue.then(async () => {
    if (dispatcher === undefined) {
      if (req.id !== 0)
        post({ kind: 'error', id: req.id, error: serializeError(new Error('enclave not ready')) });
      return;
    }
    try {
      const value = await dispatcher.run(req);
      if (req.id !== 0) post({ kind: 'result', id: req.id, value });
    } catch (e) {
      if (req.id !== 0) post({ kind: 'error', id: req.id, error: serializeError(e) });
    }
  });
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
