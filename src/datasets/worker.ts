// Worker thread entry: takes the run's job (its first message), then checks the chunks the pool sends and hands
// each buffer back with the result. The job comes by message, not workerData, so a pool can start before it is known.
import { parentPort } from 'node:worker_threads';
import { runChunk } from './job.js';
import type { ChunkJob } from './job.js';
import type { ChunkReply, WorkerRequest } from './pool.js';

const port = parentPort;
if (port === null) throw new Error('src/datasets/worker.ts must run in a worker thread');
let job: ChunkJob | undefined;

port.on('message', (request: WorkerRequest) => {
  if ('job' in request) {
    job = request.job;
    return;
  }
  const bytes = new Uint8Array(request.buffer, request.offset, request.length);
  const failed = (error: unknown): void =>
    port.postMessage({ seq: request.seq, buffer: request.buffer, error: error instanceof Error ? error.message : String(error) } satisfies ChunkReply, [request.buffer]);
  if (job === undefined) return failed(new Error('a chunk came before the job'));
  runChunk(bytes, request.final, job).then((result) => port.postMessage({ seq: request.seq, buffer: request.buffer, result } satisfies ChunkReply, [request.buffer]), failed);
});
port.postMessage({ ready: true });
