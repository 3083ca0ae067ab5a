// A worker thread of `workers: N`: builds the run's mappers from workerData (setup.ts), then for
// each chunk it is sent decodes and maps every text (../process-record.ts, the main thread's own
// code) and answers with the results in their crossing form (crossing.ts). Bad input is a result
// (a rejection), not an error; a chunk it cannot process at all is answered `failed` and the main
// thread runs it itself. Bundled as dist/pipeline-worker.js (scripts/build.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { processRecord } from '../process-record.ts';
import { decodeChunk, ResultWriter, type ChunkRequest } from './crossing.ts';
import { planOfSetup, type WorkerSetup } from './setup.ts';

const port = parentPort;
if (port === null) throw new Error('pipeline worker: not started as a worker thread');
const plan = planOfSetup(workerData as WorkerSetup);

port.on('message', (msg: ChunkRequest) => {
  let reply: ReturnType<ResultWriter['finish']>;
  try {
    const texts = decodeChunk(msg);
    let inputBytes = 0;
    for (const t of texts) inputBytes += t.length;
    // each result written as it comes: no record's output is kept while the rest are mapped
    const out = new ResultWriter(plan, texts.length, inputBytes, msg.spares);
    for (const text of texts) out.add(processRecord(plan, { kind: 'text', text }));
    reply = out.finish(msg.id);
  } catch (err) {
    port.postMessage({ type: 'failed', id: msg.id, message: (err as Error).message });
    return;
  }
  port.postMessage(reply.msg, reply.transfer);
});
