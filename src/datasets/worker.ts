// Worker thread entry: checks the chunks the pool sends and hands each buffer back with the result.
import { parentPort, workerData } from 'node:worker_threads';
import { runChunk } from './job.js';
import type { ChunkJob } from './job.js';
import type { ChunkRequest, ChunkReply } from './pool.js';

const job = (workerData as { job: ChunkJob }).job;
const port = parentPort;
if (port === null) throw new Error('src/datasets/worker.ts must run in a worker thread');

port.on('message', (request: ChunkRequest) => {
  const bytes = new Uint8Array(request.buffer, request.offset, request.length);
  runChunk(bytes, request.final, job).then(
    (result) => port.postMessage({ seq: request.seq, buffer: request.buffer, result } satisfies ChunkReply, [request.buffer]),
    (error: unknown) =>
      port.postMessage({ seq: request.seq, buffer: request.buffer, error: error instanceof Error ? error.message : String(error) } satisfies ChunkReply, [
        request.buffer,
      ]),
  );
});
port.postMessage({ ready: true });
