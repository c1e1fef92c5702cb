/**
 * The ceiling the API benchmarks report beside their figures: a plain Node HTTP server that answers every request
 * with its own body (status 200, `application/json`), on the same machine and in the same run. It runs in a child
 * process (as `npm start` serves the API outside the load tool's event loop), with as many node:cluster workers as
 * the API under test has processes, so the two differ only in what the API does per request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The whole server: plain JavaScript (written to a temporary file, which node:cluster re-runs in each worker). */
const SERVER = `
const cluster = require('node:cluster');
const http = require('node:http');
const workers = Number(process.env.ECHO_WORKERS);
if (workers > 0 && cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', (m) => {
      if (++ready === workers) process.send(m);
    });
  }
  process.on('message', () => { for (const w of Object.values(cluster.workers)) w.kill(); process.exit(0); });
} else {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65000;
  server.listen(Number(process.env.ECHO_PORT), '127.0.0.1', () => process.send(server.address().port));
  if (!cluster.isWorker) process.on('message', () => process.exit(0));
}
`;

export interface EchoServer {
  readonly url: string;
  /** Process id of the child process (the parent of its cluster workers). */
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts the echo server with `workers` cluster workers sharing one port (0: the child process serves it itself)
 * and resolves once it listens.
 */
export async function startEchoServer(workers: number): Promise<EchoServer> {
  const dir = await mkdtemp(join(tmpdir(), 'op-echo-'));
  const script = join(dir, 'echo-server.js');
  await writeFile(script, SERVER);
  const child: ChildProcess = spawn(process.execPath, [script], {
    env: { ...process.env, ECHO_WORKERS: String(workers), ECHO_PORT: '0' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.once('exit', () => void rm(dir, { recursive: true, force: true }));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(Number(m)));
    child.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}
