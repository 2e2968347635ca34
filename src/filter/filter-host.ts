import { FramepipeError } from '../errors';
import type { ResourceLedger } from '../pipeline/resource-ledger';
import { chainOutputSize, type FilterBackend, type FilterChain, type PreparedFilter } from './backend';
import { prepareFilters } from './prepare';
import { WasmUserKernel } from './user-filters';
import { isBuiltin, type FilterBackendChoice, type JsFilterInvoker, type WireFilter } from './wire';

export type { Filter, FilterBackendChoice, WireFilter, JsFilterInvoker } from './wire';

type Segment =
  | { kind: 'chain'; chain: FilterChain }
  | { kind: 'js'; index: number }
  | { kind: 'wasm'; kernel: WasmUserKernel };

/** The backends `choice` may use, each module loaded only when needed (separate chunks). */
async function backends(choice: FilterBackendChoice): Promise<Record<'webgl' | 'wasm', FilterBackend | null>> {
  const [webgl, wasm] = await Promise.all([
    choice === 'wasm' ? null : import('./webgl/webgl-backend').then(({ WebGLFilterBackend: B }) => (B.available() ? new B() : null)),
    choice === 'webgl' ? null : import('./wasm/wasm-backend').then(({ WasmFilterBackend: B }) => new B()),
  ]);
  return { webgl, wasm };
}

/** A synthetic frame (gradient) for measuring backends before the first real frame. */
function probeFrame(w: number, h: number): VideoFrame {
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext('2d')!;
  const g = ctx.createLinearGradient(0, 0, w, h);
  g.addColorStop(0, '#123456');
  g.addColorStop(1, '#fedcba');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, w, h);
  return new VideoFrame(c, { timestamp: 0 });
}

async function timeChain(chain: FilterChain, frame: VideoFrame, runs = 3): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const out = await chain.process(frame, 0);
    out.close();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/**
 * Runs a filter list on frames: consecutive built-in/shader filters as one compiled chain on the chosen backend,
 * user JS filters through `invokeJs`, user WASM kernels directly. Frames in, frames out; every frame it creates is
 * adopted by the ledger.
 */
export class FilterHost {
  readonly width: number;
  readonly height: number;
  /** Backend that runs the built-in filters (null when there are none). */
  readonly backend: 'webgl' | 'wasm' | null;
  /** Per-frame milliseconds measured for each backend when `auto` chose (empty otherwise). */
  readonly measuredMs: Partial<Record<'webgl' | 'wasm', number>>;
  readonly #segments: Segment[];
  readonly #ledger: ResourceLedger;
  readonly #invokeJs: JsFilterInvoker | null;
  #index = 0;

  private constructor(segments: Segment[], size: [number, number], backend: 'webgl' | 'wasm' | null, measured: Partial<Record<'webgl' | 'wasm', number>>, ledger: ResourceLedger, invokeJs: JsFilterInvoker | null) {
    this.#segments = segments;
    [this.width, this.height] = size;
    this.backend = backend;
    this.measuredMs = measured;
    this.#ledger = ledger;
    this.#invokeJs = invokeJs;
  }

  /**
   * Prepares overlays, compiles every chain (shader errors surface here, before any frame) and picks the backend.
   * Throws FramepipeError `FILTER_ERROR`.
   */
  static async create(filters: WireFilter[], width: number, height: number, choice: FilterBackendChoice, ledger: ResourceLedger, invokeJs: JsFilterInvoker | null): Promise<FilterHost> {
    const builtins = filters.filter(isBuiltin);
    const available = builtins.length ? await backends(choice) : { webgl: null, wasm: null };
    const prepared = await prepareFilters(builtins);
    const needsGl = prepared.some((f) => f.type === 'shader');
    let candidates: Array<'webgl' | 'wasm'> = choice === 'auto' ? ['webgl', 'wasm'] : [choice];
    candidates = candidates.filter((n) => available[n]?.supports(prepared));
    if (builtins.length > 0 && candidates.length === 0) {
      throw new FramepipeError('FILTER_ERROR', needsGl
        ? 'Shader filters need WebGL2, which is not available here.'
        : `Filter backend '${choice}' is not available here.`);
    }

    // Build segments for each candidate backend; keep the faster one.
    const build = async (name: 'webgl' | 'wasm' | null): Promise<{ segments: Segment[]; chains: FilterChain[] }> => {
      const segments: Segment[] = [];
      const chains: FilterChain[] = [];
      let run: PreparedFilter[] = [];
      let [w, h] = [width, height];
      let p = 0;
      const flush = async () => {
        if (run.length === 0) return;
        const chain = await available[name!]!.create(run, w, h);
        chains.push(chain);
        segments.push({ kind: 'chain', chain });
        [w, h] = [chain.width, chain.height];
        run = [];
      };
      for (const f of filters) {
        if (isBuiltin(f)) { run.push(prepared[p++]); continue; }
        await flush();
        segments.push(f.type === 'js' ? { kind: 'js', index: f.index } : { kind: 'wasm', kernel: await WasmUserKernel.load(f) });
      }
      await flush();
      return { segments, chains };
    };

    const size = chainOutputSize(prepared, width, height);
    if (builtins.length === 0) return new FilterHost((await build(null)).segments, size, null, {}, ledger, invokeJs);
    if (candidates.length === 1) return new FilterHost((await build(candidates[0])).segments, size, candidates[0], {}, ledger, invokeJs);

    const measured: Partial<Record<'webgl' | 'wasm', number>> = {};
    const built: Partial<Record<'webgl' | 'wasm', Segment[]>> = {};
    const frame = probeFrame(width, height);
    try {
      for (const name of candidates) {
        const { segments, chains } = await build(name);
        built[name] = segments;
        measured[name] = await timeChain(chains[0], frame);
      }
    } finally {
      frame.close();
    }
    const winner = candidates.reduce((a, b) => ((measured[a] ?? Infinity) <= (measured[b] ?? Infinity) ? a : b));
    for (const name of candidates) if (name !== winner) for (const s of built[name]!) if (s.kind === 'chain') s.chain.close();
    return new FilterHost(built[winner]!, size, winner, measured, ledger, invokeJs);
  }

  /**
   * Runs every filter on `frame` (not closed here). Returns a new frame adopted by the ledger, with the input's
   * timestamp and duration.
   */
  async process(frame: VideoFrame, timestampUs: number): Promise<VideoFrame> {
    let cur = frame;
    const frameIndex = this.#index++;
    try {
      for (const s of this.#segments) {
        let next: VideoFrame;
        if (s.kind === 'chain') next = await s.chain.process(cur, timestampUs);
        else if (s.kind === 'wasm') next = await s.kernel.process(cur, timestampUs);
        else {
          if (!this.#invokeJs) throw new FramepipeError('FILTER_ERROR', 'JS filter has no function to call');
          const sent = cur === frame ? new VideoFrame(cur) : cur; // the caller's frame stays ours; send a clone
          if (sent !== cur) this.#ledger.adoptFrame(sent);
          next = await this.#invokeJs(s.index, sent, { timestampUs, frameIndex });
          if (sent !== cur) this.#ledger.release(sent); // transferred to (and closed by) the caller's side
        }
        if (next !== cur) this.#ledger.adoptFrame(next);
        if (cur !== frame && next !== cur) this.#ledger.close(cur);
        cur = next;
      }
    } catch (e) {
      if (cur !== frame) this.#ledger.close(cur);
      throw e instanceof FramepipeError ? e : new FramepipeError('FILTER_ERROR', `Filter failed: ${String(e)}`, {}, { cause: e });
    }
    if (cur === frame) return this.#ledger.adoptFrame(new VideoFrame(frame));
    if (cur.timestamp !== frame.timestamp) {
      const fixed = this.#ledger.adoptFrame(new VideoFrame(cur, { timestamp: frame.timestamp, ...(frame.duration !== null ? { duration: frame.duration } : {}) }));
      this.#ledger.close(cur);
      return fixed;
    }
    return cur;
  }

  close(): void {
    for (const s of this.#segments) if (s.kind === 'chain') s.chain.close();
  }
}
