// A client that sends a request head and then an endless chunked body, for the tests that a server stops reading a
// body it does not want (issue 15): how much was written before the server closed, and the answer's status.
import { connect } from 'node:net';

/** What a client writes at most before the test gives up (a server that reads everything would take all of it). */
export const ENDLESS_UPLOAD_CAP = 48 * 1024 * 1024;

export interface EndlessUploadResult {
  status: number;
  written: number;
  closedByServer: boolean;
}

/** Sends `head` (request line and headers, without the blank line) to 127.0.0.1:`port`, then chunked data until the server closes or the cap. */
export function endlessUpload(port: number, head: string): Promise<EndlessUploadResult> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunk = Buffer.from(`10000\r\n${'x'.repeat(0x10000)}\r\n`);
    let written = 0;
    let answer = '';
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]), written, closedByServer });
    };
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => (answer += text));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    const pump = (): void => {
      while (!done && written < ENDLESS_UPLOAD_CAP) {
        written += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      if (written >= ENDLESS_UPLOAD_CAP) setTimeout(() => finish(false), 200);
    };
    socket.on('connect', () => {
      socket.write(`${head}host: x\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\n`);
      pump();
    });
  });
}
