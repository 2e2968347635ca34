/**
 * Runs `server/main.ts` as a real child process (tsx) on 127.0.0.1 and waits for its `listening` event line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** Repository root. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));

/** A test secret (≥ 16 characters). */
export const TEST_SECRET = 'test-secret-0123456789abcdef';

/** A running server child process. */
export interface ServerProcess {
  /** Bound port (stays the same over restarts). */
  port: number;
  /** `ws://127.0.0.1:<port>/ingest`. */
  wsUrl: string;
  /** `http://127.0.0.1:<port>`. */
  httpUrl: string;
  /** stderr collected so far. */
  readonly log: string[];
  /** SIGKILLs the process and waits for its exit. */
  kill(): Promise<void>;
  /** SIGSTOPs the process: connections stay open, nothing is read, stored or acknowledged. */
  pause(): void;
  /** Starts it again on the same port and root. */
  restart(): Promise<void>;
  /** SIGTERM, wait for exit. */
  stop(): Promise<void>;
}

interface Options {
  root: string;
  secret?: string;
  port?: number;
  args?: string[];
  env?: Record<string, string>;
}

function launch(options: Options, port: number, log: string[]): Promise<{ child: ChildProcess; port: number; extra: Record<string, unknown>[] }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'server/main.ts', '--port', String(port), '--root', options.root, '--secret', options.secret ?? TEST_SECRET, ...(options.args ?? [])],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
  );
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  const events: Record<string, unknown>[] = [];
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log.join('')}`)), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${log.join('')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      events.push(event);
      if (event.event === 'listening') {
        clearTimeout(timer);
        resolvePromise({ child, port: event.port as number, extra: events });
      }
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/** Starts the ingest server as a child process. */
export async function startServerProcess(options: Options): Promise<ServerProcess & { events: Record<string, unknown>[] }> {
  const log: string[] = [];
  let { child, port, extra } = await launch(options, options.port ?? 0, log);
  return {
    port,
    wsUrl: `ws://127.0.0.1:${port}/ingest`,
    httpUrl: `http://127.0.0.1:${port}`,
    log,
    events: extra,
    async kill() {
      child.kill('SIGKILL');
      await waitExit(child);
    },
    pause() {
      child.kill('SIGSTOP');
    },
    async restart() {
      ({ child } = await launch(options, port, log));
    },
    async stop() {
      child.kill('SIGTERM');
      await waitExit(child);
    },
  };
}
