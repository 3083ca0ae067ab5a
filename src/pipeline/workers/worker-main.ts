// A worker thread of `workers: N`: builds the run's mappers from workerData (setup.ts), then for
// each chunk it is sent decodes and maps every text (../process-record.ts, the main thread's own
// code) and answers with the results in their crossing form (crossing.ts). Bad input is a result
// (a rejection), not an error; a chunk it cannot process at all is answered `failed` and the main
// thread runs it itself. Bundled as dist/pipeline-worker.js (scripts/build.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { processRecord, type Processed } from '../process-record.ts';
import { decodeChunk, encodeResults, type ChunkRequest } from './crossing.ts';
import { planOfSetup, type WorkerSetup } from './setup.ts';

const port = parentPort;
if (port === null) throw new Error('pipeline worker: not started as a worker thread');
const plan = planOfSetup(workerData as WorkerSetup);

port.on('message', (msg: ChunkRequest) => {
  let reply: ReturnType<typeof encodeResults>;
  try {
    const texts = decodeChunk(msg);
    const out: Processed[] = new Array(texts.length);
    for (let i = 0; i < texts.length; i++) out[i] = processRecord(plan, { kind: 'text', text: texts[i] });
    reply = encodeResults(msg.id, plan, out);
  } catch (err) {
    port.postMessage({ type: 'failed', id: msg.id, message: (err as Error).message });
    return;
  }
  port.postMessage(reply.msg, reply.transfer);
});
