import { FFmpeg, FFFSType } from '@ffmpeg/ffmpeg';
import { abortError, FramepipeError } from '../../errors';
import type { FfmpegCoreUrls } from './assets';

/** Log lines kept per run for error details (a decode logs one line per frame, so keep only the tail). */
const KEPT_LINES = 200;

/** Result of one ffmpeg/ffprobe run. */
export interface RunResult {
  /** Exit status (0 = success). */
  exitCode: number;
  /** The last {@link KEPT_LINES} log lines. */
  lines: string[];
  /** Contents of `RunOptions.output` (read and deleted right after the run), when the run wrote it. */
  output?: Uint8Array;
  /** The files the run wrote into `RunOptions.outputDir`, in name order (read and deleted right after the run). */
  outputs?: Uint8Array[];
}

/** Options of one run. */
export interface RunOptions {
  signal?: AbortSignal;
  /** Called with each log line as ffmpeg prints it (during the run). */
  onLine?: (line: string) => void;
  /**
   * A file the run writes: read and deleted in the same exclusive section as the run, because the next run may
   * reload the core (switching between ffmpeg and ffprobe does) and that drops the in-memory file system.
   */
  output?: string;
  /**
   * A directory (absolute, fresh) the run writes many files into, e.g. one per frame with the `image2` muxer:
   * created before the run, read in name order, deleted after it. Much cheaper than one big file for large
   * outputs: MEMFS grows a file by 12.5 % at a time, copying it each time (≈ 8× the bytes for a 300 MB file).
   */
  outputDir?: string;
  /**
   * Longest silence (no log or `-progress` line) before the run counts as hung, ms. Default 30 s for ffmpeg runs
   * (callers pass `-progress pipe:1 -stats_period ≤ 1`, so a working run prints every second) and 120 s for
   * ffprobe runs (which print nothing until they are done).
   */
  stallMs?: number;
  /**
   * Given: a hung run is retried once on a fresh core (inputs re-mounted), after this callback has reset whatever
   * `onLine` gathered. Only for runs whose inputs are all mounted Blobs (a reload drops in-memory files).
   * Without it, a hung run fails at once. Either way a run that hangs for good ends in FramepipeError `WORKER_ERROR`.
   */
  onRetry?: () => void;
}

/**
 * Silence limits of {@link RunOptions.stallMs}. The multi-thread ffmpeg.wasm core sometimes stops for good in
 * Chromium, with no error and no output (ffmpegwasm/ffmpeg.wasm#597, #772, #883): seen here once in a CI run, a
 * VP8 decode that never returned. Killing the worker and running again on a fresh core gets past it.
 */
const EXEC_STALL_MS = 30_000;
const PROBE_STALL_MS = 120_000;

/** A run that printed nothing for longer than its stall limit (its core has been killed). */
class StallError extends Error {}

/** An input Blob mounted read-only through WORKERFS (the data is read on demand, never copied into MEMFS). */
export interface MountedInput {
  /** Absolute path of the file inside ffmpeg's file system. */
  readonly path: string;
  /** @internal */
  readonly dir: string;
}

let nextId = 0;

/**
 * Owns one `@ffmpeg/ffmpeg` instance (its worker and the wasm core) and serialises every call to it: ffmpeg.wasm
 * runs one command at a time, and per-run log capture needs that too.
 *
 * Abort: a run is synchronous inside ffmpeg's worker, so the only way to stop it is to terminate that worker. The
 * runner then reloads the core on its next call (the compiled module is in the HTTP cache) and re-mounts the inputs
 * still in use, so other operations on the same engine carry on.
 * @internal
 */
export class FfmpegRunner {
  readonly #urls: FfmpegCoreUrls;
  #ff: FFmpeg | null = null;
  #loading: Promise<void> | null = null;
  #tail: Promise<unknown> = Promise.resolve();
  #terminated = false;
  /** Set once ffprobe ran: ffmpeg.wasm's `exec` only aborts (`Aborted()`) after an ffprobe run in the same core. */
  #probed = false;
  /** Set once ffmpeg ran: an ffprobe run after an `exec` in the same core fails too (exit -1, no output). */
  #executed = false;
  #lines: string[] | null = null;
  #onLine: ((line: string) => void) | undefined;
  readonly #mounts = new Map<string, Blob>();
  /** Last time the running command printed a line (performance.now()). */
  #lastActivity = 0;
  /** Number of completed runs (ffmpeg + ffprobe). */
  runs = 0;
  /** Runs killed because they stopped responding (see {@link RunOptions.stallMs}). */
  stalls = 0;
  /** Times the core was (re)loaded. */
  loads = 0;

  constructor(urls: FfmpegCoreUrls) {
    this.#urls = urls;
  }

  get terminated(): boolean {
    return this.#terminated;
  }

  /** Loads the core now (otherwise it loads on first use). Rejects `ABORTED`, or `WORKER_ERROR` if it cannot load. */
  async load(signal?: AbortSignal): Promise<void> {
    await this.#exclusive(signal, async () => undefined);
  }

  /** Runs `ffmpeg` with `args` (`-nostdin -y` are prepended by ffmpeg.wasm). */
  exec(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.#run('exec', args, opts);
  }

  /** Runs `ffprobe` with `args`. */
  ffprobe(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.#run('ffprobe', args, opts);
  }

  /** Deletes a file if it exists (cleanup after a failed run). */
  async remove(path: string): Promise<void> {
    if (!this.#ff) return;
    await this.#exclusive(undefined, async (ff) => { await ff.deleteFile(path).catch(() => false); });
  }

  /** Mounts `blob` read-only at a fresh directory (WORKERFS). Release it with {@link unmount}. */
  async mount(blob: Blob, signal?: AbortSignal): Promise<MountedInput> {
    const dir = `/in${nextId++}`;
    const name = fileName(blob);
    try {
      await this.#exclusive(signal, async (ff) => {
        await mountAt(ff, dir, name, blob);
        this.#mounts.set(dir, blob); // from now on, a reload re-mounts it
      });
    } catch (e) {
      this.#mounts.delete(dir);
      throw e;
    }
    return { path: `${dir}/${name}`, dir };
  }

  /** Unmounts an input (no-op after terminate). */
  async unmount(input: MountedInput): Promise<void> {
    if (!this.#mounts.delete(input.dir) || this.#terminated || !this.#ff) return;
    await this.#exclusive(undefined, async (ff) => {
      await ff.unmount(input.dir).catch(() => false);
      await ff.deleteDir(input.dir).catch(() => false);
    }).catch(() => undefined);
  }

  /** Kills ffmpeg's worker for good. Runs in flight reject `ABORTED`; later calls too. */
  terminate(): void {
    this.#terminated = true;
    this.#kill();
  }

  #kill(): void {
    const ff = this.#ff;
    this.#ff = null;
    this.#loading = null;
    ff?.terminate();
  }

  #run(kind: 'exec' | 'ffprobe', args: string[], opts: RunOptions): Promise<RunResult> {
    return this.#exclusive(opts.signal, async (ff) => {
      // One kind of run per core instance: switching between ffmpeg and ffprobe reloads it (the module is cached).
      if ((kind === 'exec' && this.#probed) || (kind === 'ffprobe' && this.#executed)) ff = await this.#reload();
      const stallMs = opts.stallMs ?? (kind === 'exec' ? EXEC_STALL_MS : PROBE_STALL_MS);
      for (let attempt = 1; ; attempt++) {
        if (kind === 'ffprobe') this.#probed = true;
        else this.#executed = true;
        const lines: string[] = [];
        this.#lines = lines;
        this.#onLine = opts.onLine;
        try {
          if (opts.outputDir) await ff.createDir(opts.outputDir);
          const exitCode = await this.#watch(kind === 'exec' ? ff.exec(args) : ff.ffprobe(args), stallMs);
          this.runs++;
          const bytes = (data: Uint8Array | string) => (typeof data === 'string' ? new TextEncoder().encode(data) : data);
          let output: Uint8Array | undefined;
          if (opts.output) {
            const data = await ff.readFile(opts.output).catch(() => null);
            if (data !== null) {
              await ff.deleteFile(opts.output).catch(() => false);
              output = bytes(data);
            }
          }
          let outputs: Uint8Array[] | undefined;
          if (opts.outputDir) {
            const names = (await ff.listDir(opts.outputDir)).filter((n) => !n.isDir).map((n) => n.name).sort();
            outputs = [];
            for (const name of names) {
              const path = `${opts.outputDir}/${name}`;
              outputs.push(bytes(await ff.readFile(path)));
              await ff.deleteFile(path).catch(() => false);
            }
            await ff.deleteDir(opts.outputDir).catch(() => false);
          }
          return { exitCode, lines, output, outputs };
        } catch (e) {
          if (!(e instanceof StallError)) throw e;
          this.stalls++;
          if (attempt >= 2 || !opts.onRetry) {
            throw new FramepipeError('WORKER_ERROR', `ffmpeg.wasm stopped responding (nothing printed for ${stallMs >= 1000 ? `${Math.round(stallMs / 1000)} s` : `${stallMs} ms`}${attempt > 1 ? ', twice' : ''}); its worker was terminated.`, { log: lines.slice(-20).join('\n'), command: kind });
          }
          opts.onRetry();
          ff = await this.#ensureLoaded(); // #watch killed the hung core: this loads a fresh one and re-mounts inputs
        } finally {
          this.#lines = null;
          this.#onLine = undefined;
        }
      }
    });
  }

  /** Resolves/rejects as `run`, or kills the core and rejects StallError when the run prints nothing for `stallMs`. */
  #watch<T>(run: Promise<T>, stallMs: number): Promise<T> {
    this.#lastActivity = performance.now();
    return new Promise<T>((resolve, reject) => {
      const timer = setInterval(() => {
        if (performance.now() - this.#lastActivity <= stallMs) return;
        clearInterval(timer);
        run.catch(() => undefined); // it rejects once its worker is gone
        this.#kill();
        reject(new StallError());
      }, Math.min(1000, Math.max(20, stallMs / 4)));
      run.then((v) => { clearInterval(timer); resolve(v); }, (e) => { clearInterval(timer); reject(e); });
    });
  }

  /** Runs `fn` alone on a loaded core; aborting `signal` (or terminate()) during `fn` kills the core. */
  #exclusive<T>(signal: AbortSignal | undefined, fn: (ff: FFmpeg) => Promise<T>): Promise<T> {
    const prev = this.#tail;
    const job = (async () => {
      await prev.catch(() => undefined);
      if (this.#terminated) throw new FramepipeError('ABORTED', 'The ffmpeg engine was terminated.');
      if (signal?.aborted) throw abortError(signal);
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => { this.#kill(); reject(abortError(signal)); };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      aborted.catch(() => undefined);
      try {
        const ff = await Promise.race([this.#ensureLoaded(), aborted]);
        return await Promise.race([fn(ff), aborted]);
      } catch (e) {
        if (signal?.aborted) throw abortError(signal);
        if (this.#terminated) throw new FramepipeError('ABORTED', 'The ffmpeg engine was terminated.');
        throw e;
      } finally {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
    })();
    this.#tail = job;
    return job;
  }

  async #reload(): Promise<FFmpeg> {
    this.#kill();
    return this.#ensureLoaded();
  }

  async #ensureLoaded(): Promise<FFmpeg> {
    while (!this.#ff || !this.#ff.loaded) {
      if (this.#terminated) throw new FramepipeError('ABORTED', 'The ffmpeg engine was terminated.');
      this.#loading ??= this.#startCore();
      await this.#loading;
    }
    return this.#ff;
  }

  async #startCore(): Promise<void> {
    const ff = new FFmpeg();
    this.#ff = ff;
    this.#probed = false;
    this.#executed = false;
    ff.on('log', ({ message }) => {
      if (this.#ff !== ff || !this.#lines) return;
      this.#lastActivity = performance.now();
      this.#lines.push(message);
      if (this.#lines.length > KEPT_LINES * 2) this.#lines.splice(0, this.#lines.length - KEPT_LINES);
      this.#onLine?.(message);
    });
    try {
      await ff.load({ ...this.#urls });
    } catch (e) {
      if (this.#ff === ff) this.#kill();
      if (this.#terminated) throw new FramepipeError('ABORTED', 'The ffmpeg engine was terminated.');
      throw new FramepipeError('WORKER_ERROR', `ffmpeg.wasm core could not load from ${this.#urls.coreURL}: ${String(e)}`, { ...this.#urls }, { cause: e });
    }
    if (this.#ff !== ff) return; // killed while loading; the caller's loop starts again
    this.loads++;
    for (const [dir, blob] of this.#mounts) await mountAt(ff, dir, fileName(blob), blob);
  }
}

async function mountAt(ff: FFmpeg, dir: string, name: string, blob: Blob): Promise<void> {
  await ff.createDir(dir);
  const ok = await ff.mount(FFFSType.WORKERFS, { blobs: [{ name, data: blob }] }, dir);
  if (!ok) throw new FramepipeError('INTERNAL', 'ffmpeg.wasm core has no WORKERFS file system.');
}

/** A safe file name for the mounted input: the File's name when it has one (its extension helps format probing). */
function fileName(blob: Blob): string {
  const raw = typeof File !== 'undefined' && blob instanceof File ? blob.name : '';
  const safe = raw.replace(/[^\w.-]/g, '_').replace(/^\.+/, '').slice(-64);
  return safe || 'input';
}
