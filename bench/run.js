#!/usr/bin/env node
// framepipe benchmark: 1080p30 H.264 + AAC → 720p H.264 2.5 Mbit/s MP4 (AAC copied), side by side with
// Mediabunny's Conversion API, the WebCodecs decode-only ceiling and native ffmpeg; plus framepipe's peak memory
// on the 20 s clip vs a 40 s version of it. Usage: see bench/README.md (`node bench/run.js --help`).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpus, loadavg, totalmem } from 'node:os';
import { busyFraction, startCpuAccounting } from './lib/cpu.js';
import { startServer } from './lib/server.js';
import { launchBrowser, openBenchPage, runInPage } from './lib/browser.js';
import { startMemorySampler } from './lib/memory.js';
import { ffmpegTranscode, makeLooped, probe, psnr, toolVersions, validate } from './lib/ffmpeg.js';
import { fmt, median, ratio, table } from './lib/report.js';
import { runLiveBench } from './lib/live.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const RESULTS = join(HERE, 'results');
const OUT = join(RESULTS, 'out');
const GEN = join(RESULTS, 'media');
const DEFAULT_INPUT = resolve(ROOT, '../shared/media/derived/bench_bbb_h264-high-aac_1920x1080p30_20s.mp4');
/** Real 720p frames for the filter-backend bench: decoded I420, as the pipeline hands them to filters. */
const FILTER_INPUT = resolve(ROOT, '../shared/media/h264-high-bframes-aac_bbb_1280x720p60_10s.mp4');

/** The job, identical for every system. */
const JOB = { width: 1280, height: 720, bitrate: 2_500_000 };

/**
 * Timed systems. `kind` says where they run; `transcode` ones produce an MP4 that gets validated.
 * @type {Array<{ id: string, kind: 'page' | 'native', transcode: boolean, label: string, preset?: string, psnr?: boolean }>}
 */
const SYSTEMS = [
  { id: 'framepipe', kind: 'page', transcode: true, label: 'framepipe transcode()' },
  // The filters change the picture on purpose, so no PSNR against the plainly scaled input.
  { id: 'framepipe-filtered', kind: 'page', transcode: true, psnr: false, label: 'framepipe + filters resize→colorAdjust→overlay' },
  { id: 'mediabunny', kind: 'page', transcode: true, label: 'Mediabunny Conversion' },
  { id: 'decode', kind: 'page', transcode: false, label: 'WebCodecs decode-only (ceiling)' },
  { id: 'ffmpeg-veryfast', kind: 'native', transcode: true, preset: 'veryfast', label: 'native ffmpeg x264 veryfast' },
  { id: 'ffmpeg-ultrafast', kind: 'native', transcode: true, preset: 'ultrafast', label: 'native ffmpeg x264 ultrafast' },
];
const ALL_IDS = [...SYSTEMS.map((s) => s.id), 'filters', 'fallback', 'memory', 'live'];
/** The ffmpeg.wasm fallback jobs: framepipe's hybrid path vs pure ffmpeg.wasm (single- and multi-thread core). */
const FALLBACK_JOBS = [
  { id: 'hevc', label: 'HEVC 1080p30 10 s → 720p H.264', file: resolve(ROOT, '../shared/media/hevc-hev1-aac_1920x1080p30_10s.mp4') },
  { id: 'webm', label: 'WebM VP9 720p60 10 s → 720p H.264', file: resolve(ROOT, '../shared/media/vp9-opus_bbb_1280x720p60_10s.webm') },
];
const FALLBACK_SYSTEMS = [
  { id: 'framepipe', page: 'fallback-framepipe', label: 'framepipe (hybrid: ffmpeg.wasm only where needed)' },
  { id: 'ffmpegwasm-st', page: 'fallback-ffmpegwasm', threads: 'st', label: 'pure ffmpeg.wasm, single-thread core' },
  { id: 'ffmpegwasm-mt', page: 'fallback-ffmpegwasm', threads: 'mt', label: 'pure ffmpeg.wasm, multi-thread core' },
];
/** The filter-backend bench: frames of FILTER_INPUT at this size, this many, best of this many rounds. */
const FILTER_BENCH = { width: 1280, height: 720, frames: 30, rounds: 3 };

const HELP = `Usage: node bench/run.js [options]   (build first: npx vite build)

  --runs N          measured runs per system, median reported (default 3)
  --only LIST       comma-separated subset of: ${ALL_IDS.join(', ')}
                    ("ffmpeg" selects both presets)
  --mem-runs N      transcodes per clip for the memory comparison (default 1; the highest peak is kept)
  --mem-systems L   systems whose memory is compared on the 1x vs 2x clip: framepipe,mediabunny
                    (default framepipe)
  --input FILE      input clip (default ${basename(DEFAULT_INPUT)})
  --timeout S       per-run timeout in seconds for in-page runs (default 300)
  --live-duration S         live: length of the long upload stream (memory, throughput), seconds (default 300)
  --live-latency-seconds S  live: length of each latency session (default 20)
  --live-rendition-seconds S live: measured seconds per rendition count (default 10)
  --live-max-renditions N   live: stop adding renditions here (default 6)
  --skip-psnr       skip the PSNR check of one output per system (saves ~10 s per system)
  --headed          show the browser window
  -h, --help        this text

Writes bench/results/bench-<ISO date>.json and bench/results/latest.json.`;

function parseCli() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      only: { type: 'string' },
      'mem-runs': { type: 'string', default: '1' },
      'mem-systems': { type: 'string', default: 'framepipe' },
      input: { type: 'string', default: DEFAULT_INPUT },
      timeout: { type: 'string', default: '300' },
      'skip-psnr': { type: 'boolean', default: false },
      'live-duration': { type: 'string', default: '300' },
      'live-latency-seconds': { type: 'string', default: '20' },
      'live-rendition-seconds': { type: 'string', default: '10' },
      'live-max-renditions': { type: 'string', default: '6' },
      headed: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) { console.log(HELP); process.exit(0); }
  const runs = Number(values.runs);
  const memRuns = Number(values['mem-runs']);
  if (!(runs >= 1) || !(memRuns >= 1)) throw new Error('--runs and --mem-runs must be ≥ 1');
  let only = ALL_IDS;
  if (values.only) {
    const wanted = values.only.split(',').map((s) => s.trim()).filter(Boolean);
    only = ALL_IDS.filter((id) => wanted.some((w) => id === w || id.startsWith(w + '-')));
    const unknown = wanted.filter((w) => !ALL_IDS.some((id) => id === w || id.startsWith(w + '-')));
    if (unknown.length) throw new Error(`unknown --only entries: ${unknown.join(', ')} (known: ${ALL_IDS.join(', ')})`);
  }
  const memSystems = values['mem-systems'].split(',').map((s) => s.trim()).filter(Boolean);
  const badMem = memSystems.filter((m) => !['framepipe', 'mediabunny'].includes(m));
  if (badMem.length) throw new Error(`--mem-systems: unknown ${badMem.join(', ')} (framepipe, mediabunny)`);
  return {
    runs: Math.floor(runs),
    memRuns: Math.floor(memRuns),
    memSystems,
    only,
    input: resolve(values.input),
    timeoutMs: Number(values.timeout) * 1000,
    skipPsnr: values['skip-psnr'],
    live: {
      durationSec: Number(values['live-duration']),
      latencySec: Number(values['live-latency-seconds']),
      renditionSec: Number(values['live-rendition-seconds']),
      maxRenditions: Math.floor(Number(values['live-max-renditions'])),
    },
    headed: values.headed,
  };
}

const log = (/** @type {string} */ s) => console.log(s);

async function main() {
  const opts = parseCli();
  if (!existsSync(opts.input)) throw new Error(`input not found: ${opts.input}`);
  const busyBefore = await busyFraction(1000);
  if (busyBefore > 0.15) {
    log(`WARNING: ${Math.round(busyBefore * 100)} % of the CPU is busy with other work before the bench starts; ` +
      'numbers will be low and noisy');
  }
  const cpuAccounting = startCpuAccounting();
  rmSync(OUT, { recursive: true, force: true }); // outputs of this run only, so none can be mistaken for a stale one
  mkdirSync(OUT, { recursive: true });

  const inputProbe = await probe(opts.input);
  const want = {
    ...JOB,
    frames: inputProbe.video?.frames ?? NaN,
    audioPackets: inputProbe.audio?.packets,
  };
  log(`input: ${basename(opts.input)}  ${inputProbe.video?.width}x${inputProbe.video?.height} ` +
    `${inputProbe.video?.codec}, ${want.frames} frames, audio ${inputProbe.audio?.codec ?? 'none'}`);

  const distFile = join(ROOT, 'dist/framepipe.js');
  const haveDist = existsSync(distFile);
  /** @type {Record<string, string>} systems that couldn't run at all, with the reason */
  const skipped = {};
  const noDist = 'dist/framepipe.js missing (run `npx vite build`)';
  for (const id of ['framepipe', 'framepipe-filtered', 'filters', 'fallback', 'live']) if (opts.only.includes(id) && !haveDist) skipped[id] = noDist;
  const memSystems = opts.only.includes('memory') ? opts.memSystems : [];
  if (memSystems.includes('framepipe') && !haveDist) skipped['memory-framepipe'] = noDist;
  const selected = SYSTEMS.filter((s) => opts.only.includes(s.id) && !skipped[s.id]);
  const memSelected = memSystems.filter((m) => !skipped[`memory-${m}`]);
  const doMemory = memSelected.length > 0;
  for (const [id, why] of Object.entries(skipped)) log(`SKIP ${id}: ${why}`);

  // The 40 s clip for the memory comparison: the input twice, stream-copied.
  const clips = [{ name: `${Math.round(inputProbe.format.duration)}s`, file: opts.input, probe: inputProbe }];
  if (doMemory) {
    const file = join(GEN, basename(opts.input).replace(/(\.\w+)$/, '_x2$1'));
    await makeLooped(opts.input, file, 2);
    const p = await probe(file);
    if (p.video?.frames !== 2 * want.frames) {
      throw new Error(`looped clip has ${p.video?.frames} frames, expected ${2 * want.frames}: ${file}`);
    }
    clips.push({ name: `${Math.round(p.format.duration)}s`, file, probe: p });
  }

  const server = await startServer({
    uploadDir: OUT,
    mounts: {
      '/bench': join(HERE, 'page'),
      '/dist': join(ROOT, 'dist'),
      '/vendor/mediabunny': join(ROOT, 'node_modules/mediabunny/dist/bundles'),
      '/vendor/mp4box': join(ROOT, 'node_modules/mp4box/dist'),
      '/input': dirname(opts.input),
      '/gen': GEN,
      '/filter-input': dirname(FILTER_INPUT),
      '/corpus': resolve(ROOT, '../shared/media'),
      '/vendor/ffmpeg': join(ROOT, 'node_modules/@ffmpeg/ffmpeg/dist/esm'),
    },
  });
  const urlOf = (/** @type {string} */ file) =>
    file.startsWith(GEN) ? `${server.origin}/gen/${basename(file)}` : `${server.origin}/input/${basename(file)}`;

  const doFilters = opts.only.includes('filters') && !skipped.filters;
  const doFallback = opts.only.includes('fallback') && !skipped.fallback;
  const doLive = opts.only.includes('live') && !skipped.live;
  /** @type {any} */
  let liveBench = null;
  const needBrowser = selected.some((s) => s.kind === 'page') || doMemory || doFilters || doFallback;
  /** @type {any[]} */
  const fallbackRuns = [];
  /** @type {any} */
  let filterBench = null;
  /** @type {Awaited<ReturnType<typeof launchBrowser>> | null} */
  let chromium = null;

  /** @type {Record<string, any[]>} */
  const runs = Object.fromEntries(selected.map((s) => [s.id, []]));
  /** @type {Record<string, string>} */
  const errors = {};
  /** @type {any[]} */
  const memory = [];

  try {
    if (needBrowser) {
      chromium = await launchBrowser({ headed: opts.headed });
      log(`chromium ${chromium.version}, pages from ${server.origin}`);
    }
    // Round-robin so slow drift on a shared machine hits every system alike.
    for (let round = 1; round <= opts.runs; round++) {
      for (const sys of selected) {
        if (errors[sys.id]) continue;
        const out = sys.transcode ? `${sys.id}-${round}.mp4` : undefined;
        const runCpu = startCpuAccounting();
        try {
          const r = sys.kind === 'page'
            ? await pageRun(chromium, server.origin, sys.id, { src: urlOf(opts.input), out, ...JOB }, opts.timeoutMs)
            : await ffmpegTranscode({ input: opts.input, output: join(OUT, out), preset: sys.preset, ...JOB });
          const otherCpu = runCpu.stop().otherShare;
          const run = {
            round, ms: r.ms, reportedFrames: r.frames, bytes: r.bytes, file: out && join(OUT, out), otherCpu, detail: r.detail,
          };
          runs[sys.id].push(run);
          const frames = sys.transcode ? r.frames ?? want.frames : r.frames;
          log(`  run ${round}/${opts.runs} ${sys.id.padEnd(16)} ${(r.ms / 1000).toFixed(2).padStart(7)} s  ` +
            `≈${fmt((frames / r.ms) * 1000)} fps` + (otherCpu > 0.1 ? `  (other processes used ${pct(otherCpu)} CPU)` : ''));
        } catch (e) {
          runCpu.stop();
          errors[sys.id] = String(/** @type {any} */ (e)?.message ?? e);
          log(`  run ${round}/${opts.runs} ${sys.id}: ERROR ${errors[sys.id]}`);
        }
      }
    }

    if (doFilters) {
      log(`filters: ${FILTER_BENCH.frames} real frames at ${FILTER_BENCH.width}x${FILTER_BENCH.height}, each case on each backend`);
      try {
        const r = await pageRun(chromium, server.origin, 'filters', { src: `${server.origin}/filter-input/${basename(FILTER_INPUT)}`, ...FILTER_BENCH }, opts.timeoutMs);
        filterBench = r.detail;
        for (const x of filterBench.results) log(`  ${x.backend.padEnd(6)} ${x.case.padEnd(28)} ${fmt(x.fps).padStart(7)} fps`);
      } catch (e) {
        errors.filters = String(/** @type {any} */ (e)?.message ?? e);
        log(`  filters: ERROR ${errors.filters}`);
      }
    }

    if (doFallback) {
      log('fallback: framepipe hybrid vs pure ffmpeg.wasm (x264 ultrafast), same size and bitrate');
      for (let round = 1; round <= opts.runs; round++) {
        for (const job of FALLBACK_JOBS) {
          for (const sys of FALLBACK_SYSTEMS) {
            const key = `fallback-${job.id}-${sys.id}`;
            if (errors[key]) continue;
            const out = `${key}-${round}.mp4`;
            try {
              const r = await pageRun(chromium, server.origin, sys.page,
                { src: `${server.origin}/corpus/${basename(job.file)}`, out, ...JOB, threads: sys.threads }, opts.timeoutMs);
              fallbackRuns.push({ job: job.id, system: sys.id, round, ms: r.ms, file: join(OUT, out), detail: r.detail });
              log(`  run ${round}/${opts.runs} ${job.id} ${sys.id.padEnd(14)} ${(r.ms / 1000).toFixed(2).padStart(7)} s`);
            } catch (e) {
              errors[key] = String(/** @type {any} */ (e)?.message ?? e);
              log(`  ${key}: ERROR ${errors[key]}`);
            }
          }
        }
      }
    }

    if (doMemory) {
      log('memory: peak RSS of all Chromium child processes + JS heap / ArrayBuffers of page and workers, every 100 ms');
      for (const system of memSelected) {
        for (const clip of clips) {
          for (let i = 1; i <= opts.memRuns; i++) {
            const key = `memory-${system}-${clip.name}`;
            if (errors[key]) continue;
            try {
              memory.push(await memoryRun(chromium, server.origin, system, clip, urlOf(clip.file), i, opts.timeoutMs));
            } catch (e) {
              errors[key] = String(/** @type {any} */ (e)?.message ?? e);
              log(`  ${key}: ERROR ${errors[key]}`);
            }
          }
        }
      }
    }

    if (doLive) {
      log(`live: fake camera ${1280}x${720}@30 → 720p H.264 2.5 Mbit/s → WebSocket → ingest server (own Chromium with fake-camera flags)`);
      try {
        liveBench = await runLiveBench({
          root: ROOT, genDir: GEN, origin: server.origin, cameraSource: FILTER_INPUT, ...opts.live, headed: opts.headed, timeoutMs: opts.timeoutMs, log,
        });
      } catch (e) {
        errors.live = String(/** @type {any} */ (e)?.message ?? e);
        log(`  live: ERROR ${errors.live}`);
      }
    }
  } finally {
    await chromium?.browser.close();
    await server.close();
  }
  // Contention over the measured part only (validation below doesn't care).
  const cpu = { busyBefore, ...cpuAccounting.stop(), loadAvgAfter: loadavg() };

  // Validate every output (ffprobe) and compute fps from the frames actually in the file.
  log('validating outputs (ffprobe' + (opts.skipPsnr ? ')' : ', PSNR-Y of the last output per system vs the scaled input)'));
  for (const sys of selected) {
    for (const run of runs[sys.id]) {
      if (!run.file) { run.frames = run.reportedFrames; run.problems = []; }
      else {
        try {
          run.probe = await probe(run.file);
          run.problems = validate(run.probe, want);
          run.frames = run.probe.video?.frames ?? run.reportedFrames;
        } catch (e) {
          run.problems = [`unreadable output: ${String(/** @type {any} */ (e)?.message ?? e).slice(0, 200)}`];
          run.frames = run.reportedFrames;
        }
      }
      run.fps = (run.frames / run.ms) * 1000;
    }
    const last = runs[sys.id].at(-1);
    if (!opts.skipPsnr && sys.psnr !== false && last?.file && !last.problems.some((p) => p.startsWith('unreadable'))) {
      try {
        last.psnr = await psnr(last.file, opts.input, JOB);
        if (last.psnr.y < 30) last.problems.push(`PSNR-Y ${last.psnr.y.toFixed(1)} dB`);
      } catch (e) {
        last.problems.push('PSNR failed');
      }
    }
  }
  for (const m of memory) {
    try {
      const p = await probe(m.file);
      m.problems = validate(p, { ...want, frames: m.expectedFrames, audioPackets: undefined });
    } catch {
      m.problems = ['unreadable output'];
    }
  }

  for (const f of fallbackRuns) {
    try {
      const p = await probe(f.file);
      const job = FALLBACK_JOBS.find((j) => j.id === f.job);
      const inFrames = (await probe(job.file)).video?.frames;
      f.frames = p.video?.frames;
      f.problems = [];
      if (p.video?.codec !== 'h264' || p.video?.width !== JOB.width || p.video?.height !== JOB.height) f.problems.push(`output ${p.video?.codec} ${p.video?.width}x${p.video?.height}`);
      if (!(Math.abs((f.frames ?? 0) - inFrames) <= Math.max(1, inFrames * 0.01))) f.problems.push(`${f.frames} frames, input has ${inFrames}`);
    } catch (e) {
      f.problems = [`unreadable output: ${String(/** @type {any} */ (e)?.message ?? e).slice(0, 200)}`];
    }
    f.fps = f.frames ? (f.frames / f.ms) * 1000 : NaN;
  }

  if (cpu.otherShare > 0.1) {
    log(`WARNING: other processes used ${Math.round(cpu.otherShare * 100)} % of the CPU while the bench ran`);
  }
  const results = summarize({ opts, inputProbe, want, selected, runs, errors, skipped, memory, chromium, cpu, filterBench, fallbackRuns, liveBench });
  const stamp = results.date.replace(/[:.]/g, '-');
  const json = JSON.stringify(results, null, 2);
  writeFileSync(join(RESULTS, `bench-${stamp}.json`), json);
  writeFileSync(join(RESULTS, 'latest.json'), json);

  printReport(results);
  log(`\nwrote bench/results/bench-${stamp}.json and bench/results/latest.json`);

  const bad = Object.keys(errors).length + Object.keys(skipped).length + fallbackRuns.filter((f) => f.problems?.length).length +
    Object.values(results.systems).filter((s) => s.problems.length).length +
    memory.filter((m) => m.problems.length).length + (liveBench?.problems.length ?? 0);
  process.exitCode = bad ? 1 : 0;
}

/**
 * One timed in-page run in a fresh browser context.
 * @param {any} chromium
 * @param {string} origin
 * @param {string} system
 * @param {object} args
 * @param {number} timeoutMs
 */
async function pageRun(chromium, origin, system, args, timeoutMs) {
  const p = await openBenchPage(chromium.browser, origin, system, log);
  try {
    return await runInPage(p.page, system, args, timeoutMs);
  } finally {
    await p.close();
  }
}

/**
 * One transcode of `clip` by `system` while sampling memory.
 * @param {any} chromium
 * @param {string} origin
 * @param {string} system
 * @param {{ name: string, file: string, probe: any }} clip
 * @param {string} src
 * @param {number} i
 * @param {number} timeoutMs
 */
async function memoryRun(chromium, origin, system, clip, src, i, timeoutMs) {
  const p = await openBenchPage(chromium.browser, origin, system, log);
  try {
    await new Promise((r) => setTimeout(r, 500)); // let the previous context's renderer go away
    const sampler = await startMemorySampler({ browserPid: chromium.pid, page: p.page, browser: chromium.browser, origin });
    const runCpu = startCpuAccounting();
    const out = `memory-${system}-${clip.name}-${i}.mp4`;
    const run = runInPage(p.page, system, { src, out, ...JOB }, timeoutMs);
    await run.catch(() => {});
    const mem = await sampler.stop();
    const otherCpu = runCpu.stop().otherShare;
    const r = await run; // rethrows a failed run, after the sampler has stopped
    log(`  memory ${system} ${clip.name} run ${i}: peak RSS ${mem.peakRssMb} MB (baseline ${mem.baselineRssMb}, ` +
      `+${mem.deltaRssMb}), JS heap peak ${mem.peakJsHeapMb} MB, ArrayBuffers ${mem.peakArrayBuffersMb} MB, ${(r.ms / 1000).toFixed(1)} s`);
    return { system, clip: clip.name, run: i, input: clip.file, expectedFrames: clip.probe.video.frames, ms: r.ms, file: join(OUT, out), otherCpu, ...mem };
  } finally {
    await p.close();
  }
}

/** Build the results object written to JSON. */
function summarize({ opts, inputProbe, want, selected, runs, errors, skipped, memory, chromium, cpu, filterBench, fallbackRuns, liveBench }) {
  /** @type {Record<string, any>} */
  const systems = {};
  for (const sys of selected) {
    const rs = runs[sys.id];
    const fpsList = rs.map((r) => r.fps);
    const problems = [...new Set(rs.flatMap((r) => r.problems))];
    if (errors[sys.id]) problems.unshift(`error: ${errors[sys.id].slice(0, 300)}`);
    const last = rs.at(-1);
    systems[sys.id] = {
      label: sys.label,
      fps: median(fpsList),
      wallMs: median(rs.map((r) => r.ms)),
      fpsRuns: fpsList.map((x) => Math.round(x * 10) / 10),
      frames: last?.frames,
      bytes: last?.probe?.format.size ?? last?.bytes,
      videoKbps: last?.probe?.video?.bitrate ? Math.round(last.probe.video.bitrate / 1000) : undefined,
      psnrY: last?.psnr?.y,
      maxOtherCpu: Math.max(0, ...rs.map((r) => r.otherCpu ?? 0)),
      problems,
      runs: rs,
    };
  }
  for (const [id, why] of Object.entries(skipped)) {
    if (!id.startsWith('memory') && id !== 'filters') systems[id] = { label: id, fps: NaN, problems: [`skipped: ${why}`], runs: [] };
  }

  const fp = systems.framepipe?.fps;
  const ratios = {
    'framepipe/mediabunny': ratio(fp, systems.mediabunny?.fps),
    'framepipe/ffmpeg-veryfast': ratio(fp, systems['ffmpeg-veryfast']?.fps),
    'framepipe/ffmpeg-ultrafast': ratio(fp, systems['ffmpeg-ultrafast']?.fps),
    'framepipe/decode-ceiling': ratio(fp, systems.decode?.fps),
    'framepipe-filtered/framepipe': ratio(systems['framepipe-filtered']?.fps, fp),
    'mediabunny/decode-ceiling': ratio(systems.mediabunny?.fps, systems.decode?.fps),
  };

  const memorySummary = memory.length ? {
    method: 'peak sum of VmRSS over all Chromium child processes (renderer incl. workers, GPU, utility), ' +
      'sampled every 100 ms; delta = peak - sum just before the transcode; JS heap / ArrayBuffers = V8 used heap and ' +
      'ArrayBuffer backing stores of the page main thread + its workers (CDP Runtime.getHeapUsage)',
    systems: Object.fromEntries([...new Set(memory.map((m) => m.system))].map((system) => {
      /** Per clip: the run with the highest RSS peak. */
      const byClip = {};
      for (const m of memory.filter((x) => x.system === system)) {
        if (!byClip[m.clip] || m.peakRssMb > byClip[m.clip].peakRssMb) byClip[m.clip] = m;
      }
      const [short, long] = Object.values(byClip);
      const ratios = long && short ? {
        peakRss: ratio(long.peakRssMb, short.peakRssMb),
        deltaRss: ratio(long.deltaRssMb, short.deltaRssMb),
        peakJsHeap: ratio(long.peakJsHeapMb, short.peakJsHeapMb),
        peakArrayBuffers: ratio(long.peakArrayBuffersMb, short.peakArrayBuffersMb),
      } : undefined;
      return [system, { clips: byClip, ratios }];
    })),
    runs: memory,
  } : undefined;

  return {
    date: new Date().toISOString(),
    job: { input: opts.input, ...JOB, container: 'mp4', audio: 'copy (AAC)' },
    config: { runs: opts.runs, memRuns: opts.memRuns, memSystems: opts.memSystems, only: opts.only },
    env: {
      node: process.version,
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      memGb: Math.round(totalmem() / 2 ** 30),
      cpuContention: cpu,
      chromium: chromium?.version,
      framepipeDist: distInfo(),
      ...TOOLS,
    },
    input: inputProbe,
    expected: want,
    systems,
    ratios,
    fallback: fallbackRuns.length ? summarizeFallback(fallbackRuns) : undefined,
    filters: filterBench ? {
      method: `createFilterPipeline on ${filterBench.frames} decoded ${filterBench.width}x${filterBench.height} frames ` +
        `(${filterBench.format}) of ${basename(FILTER_INPUT)} → filters → VideoFrame, best of ${FILTER_BENCH.rounds} rounds, ` +
        'clock stopped after a 4x4 readback of the last output. WebGL2 here is SwiftShader (CPU): a floor for real GPUs.',
      ...filterBench,
    } : undefined,
    memory: memorySummary,
    live: liveBench ? {
      method: 'fake camera (3 s of a real 1280x720 clip at 30 fps, looped by Chromium) → createLivePipeline (worker, OpenH264 realtime) → ' +
        'WebSocketUploader → ingest server child process on 127.0.0.1 (--no-fsync). Glass→ACK = frame reaches the live engine → ' +
        'the server acknowledged the fragment holding it (first / last frame of each fragment; first 3 s not counted). ' +
        'Renditions: N × 720p 2.5 Mbit/s, and a ladder 720p/540p/360p/270p/180p/144p (first N), sustained fps = frames encoded per rendition over the measured seconds. ' +
        'Memory: VmRSS of all Chromium child processes (/proc; without Chromium\'s own on-device-model service, which may start mid-run) ' +
        'and V8 used heap + ArrayBuffer backing stores of page + workers (CDP) every 5 s; first vs last window means.',
      config: opts.live,
      ...liveBench,
    } : undefined,
    errors,
    skipped,
  };
}

/** Median fps per fallback job and system, core load times, and hybrid / pure ffmpeg.wasm ratios. */
function summarizeFallback(fallbackRuns) {
  const jobs = FALLBACK_JOBS.map((job) => {
    const systems = Object.fromEntries(FALLBACK_SYSTEMS.map((sys) => {
      const rs = fallbackRuns.filter((f) => f.job === job.id && f.system === sys.id);
      const loads = rs.map((f) => f.detail?.coreLoadMs ?? f.detail?.stats?.ffmpeg?.loadMs).filter((x) => x !== undefined);
      return [sys.id, {
        label: sys.label,
        fps: median(rs.map((f) => f.fps)),
        fpsRuns: rs.map((f) => Math.round(f.fps * 10) / 10),
        coreLoadMs: loads.length ? median(loads) : undefined,
        paths: rs[0]?.detail?.paths,
        problems: [...new Set(rs.flatMap((f) => f.problems ?? []))],
      }];
    }));
    return {
      id: job.id, label: job.label, input: job.file, systems,
      ratios: {
        'framepipe/ffmpegwasm-mt': ratio(systems.framepipe.fps, systems['ffmpegwasm-mt'].fps),
        'framepipe/ffmpegwasm-st': ratio(systems.framepipe.fps, systems['ffmpegwasm-st'].fps),
      },
    };
  });
  return {
    method: 'fps = output frames (ffprobe) / wall time of the job. framepipe: transcode(Blob) incl. its own ffmpeg.wasm core ' +
      'load (coreLoadMs from stats.ffmpeg); pure ffmpeg.wasm: exec time only, core load reported separately.',
    jobs,
  };
}

function distInfo() {
  const f = join(ROOT, 'dist/framepipe.js');
  if (!existsSync(f)) return null;
  let version;
  try { version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version; } catch { /* ignore */ }
  return { version, builtAt: statSync(f).mtime.toISOString(), bytes: statSync(f).size };
}

/**
 * The table's check column: 'ok', or the problems on one line (full text is in the JSON and under the table).
 * @param {string[] | undefined} problems
 */
function check(problems) {
  if (!problems?.length) return 'ok';
  const text = 'WARN: ' + problems.map((p) => p.split('\n')[0]).join('; ');
  return text.length > 100 ? text.slice(0, 99) + '…' : text;
}

/** @param {number} x */
const pct = (x) => `${Math.round(x * 100)} %`;

/** Print the human-readable report. */
function printReport(r) {
  const rows = Object.entries(r.systems).map(([id, s]) => ({ id, ...s }));
  const e = r.env;
  log(`\nenv: chromium ${e.chromium ?? '-'}, ${e.ffmpeg.replace(/ Copyright.*/, '')}, node ${e.node}, ` +
    `${e.cores}x ${e.cpu}; CPU used by other processes: ${pct(e.cpuContention.busyBefore)} before, ${pct(e.cpuContention.otherShare)} ` +
    'during the bench');
  log(`${r.job.width}x${r.job.height} H.264 ${r.job.bitrate / 1e6} Mbit/s MP4 + AAC copy, from ` +
    `${basename(r.job.input)} (${r.expected.frames} frames); median of ${r.config.runs}`);
  log(table(rows, [
    ['system', 'id'],
    ['fps', (s) => fmt(s.fps), 'r'],
    ['wall s', (s) => fmt(s.wallMs / 1000, 2), 'r'],
    ['fps per run', (s) => s.fpsRuns?.map((x) => fmt(x)).join(' ') ?? '-'],
    ['frames', (s) => s.frames ?? '-', 'r'],
    ['MB', (s) => fmt(s.bytes / 1e6, 2), 'r'],
    ['v kb/s', (s) => s.videoKbps ?? '-', 'r'],
    ['PSNR-Y', (s) => fmt(s.psnrY), 'r'],
    ['other CPU', (s) => (s.maxOtherCpu === undefined ? '-' : pct(s.maxOtherCpu)), 'r'],
    ['check', (s) => check(s.problems)],
  ]));

  const ratioRows = Object.entries(r.ratios).filter(([, v]) => v !== null);
  if (ratioRows.length) {
    log('\nratios (fps)');
    log(table(ratioRows.map(([k, v]) => ({ k, v })), [['', 'k'], ['×', (x) => fmt(x.v, 2), 'r']]));
  }

  if (r.filters) {
    log('\nfilters: ' + r.filters.method);
    const cases = [...new Set(r.filters.results.map((x) => x.case))];
    const at = (c, b) => r.filters.results.find((x) => x.case === c && x.backend === b);
    log(table(cases.map((c) => ({ c })), [
      ['filter chain', 'c'],
      ['WebGL2 fps', (x) => fmt(at(x.c, 'webgl')?.fps), 'r'],
      ['WASM fps', (x) => fmt(at(x.c, 'wasm')?.fps), 'r'],
      ['WebGL2 ms', (x) => fmt(at(x.c, 'webgl')?.msPerFrame, 1), 'r'],
      ['WASM ms', (x) => fmt(at(x.c, 'wasm')?.msPerFrame, 1), 'r'],
      ['out', (x) => at(x.c, 'webgl')?.out.join('x') ?? '-'],
    ]));
  }

  if (r.fallback) {
    log('\nffmpeg.wasm fallback: ' + r.fallback.method);
    const rows = r.fallback.jobs.flatMap((j) => Object.entries(j.systems).map(([id, s]) => ({ job: j.id, id, ...s, ratio: id === 'framepipe' ? j.ratios['framepipe/ffmpegwasm-mt'] : undefined })));
    log(table(rows, [
      ['job', 'job'],
      ['system', 'id'],
      ['fps', (x) => fmt(x.fps), 'r'],
      ['fps per run', (x) => x.fpsRuns.map((v) => fmt(v)).join(' ')],
      ['core load ms', (x) => fmt(x.coreLoadMs, 0), 'r'],
      ['× ffmpeg.wasm-mt', (x) => (x.ratio ? fmt(x.ratio, 2) : ''), 'r'],
      ['paths', (x) => x.paths?.join(' ') ?? ''],
      ['check', (x) => check(x.problems)],
    ]));
  }

  if (r.memory) {
    log('\nmemory: ' + r.memory.method);
    const rows = Object.values(r.memory.systems).flatMap((m) => Object.values(m.clips));
    log(table(rows, [
      ['system', 'system'],
      ['clip', 'clip'],
      ['frames', 'expectedFrames', 'r'],
      ['wall s', (m) => fmt(m.ms / 1000, 1), 'r'],
      ['baseline MB', (m) => fmt(m.baselineRssMb), 'r'],
      ['peak RSS MB', (m) => fmt(m.peakRssMb), 'r'],
      ['delta MB', (m) => fmt(m.deltaRssMb), 'r'],
      ['peak renderer MB', (m) => fmt(m.peakRssByTypeMb?.renderer), 'r'],
      ['workers', 'workers', 'r'],
      ['JS heap MB', (m) => fmt(m.peakJsHeapMb), 'r'],
      ['ArrayBuffers MB', (m) => fmt(m.peakArrayBuffersMb), 'r'],
      ['other CPU', (m) => pct(m.otherCpu ?? 0), 'r'],
      ['check', (m) => check(m.problems)],
    ]));
    for (const [system, { ratios: q }] of Object.entries(r.memory.systems)) {
      if (q) {
        log(`${system} 2x/1x clip: peak RSS ×${fmt(q.peakRss, 2)}, delta RSS ×${fmt(q.deltaRss, 2)}, ` +
          `JS heap ×${fmt(q.peakJsHeap, 2)}, ArrayBuffers ×${fmt(q.peakArrayBuffers, 2)}`);
      }
    }
  }
  if (r.live) printLive(r.live);
  for (const [id, e] of Object.entries(r.errors)) log(`ERROR ${id}: ${e}`);
}

/** The `live` section's tables. */
function printLive(l) {
  log('\nlive: ' + l.method);
  log(table(l.latency, [
    ['fragments', 'label'],
    ['glass→ack first p50 ms', (x) => fmt(x.firstFrameToAckMs?.p50, 0), 'r'],
    ['p95', (x) => fmt(x.firstFrameToAckMs?.p95, 0), 'r'],
    ['last p50 ms', (x) => fmt(x.lastFrameToAckMs?.p50, 0), 'r'],
    ['p95', (x) => fmt(x.lastFrameToAckMs?.p95, 0), 'r'],
    ['send→ack p50', (x) => fmt(x.sendToAckMs?.p50, 1), 'r'],
    ['frames/frag', (x) => (x.fragments ? fmt(x.framesEncoded / x.fragments, 2) : '-'), 'r'],
    ['fps out', (x) => fmt(x.fpsOutMid), 'r'],
    ['dropped', (x) => (x.framesEncoded === undefined ? '-' : `${x.framesDroppedEncoder}+${x.framesDroppedBackpressure}`), 'r'],
    ['other CPU', (x) => (x.otherCpu === undefined ? '-' : pct(x.otherCpu)), 'r'],
    ['check', (x) => check(x.problems)],
  ]));
  log(table(l.renditions, [
    ['renditions', (x) => `${x.series} ${x.n}`],
    ['sizes', (x) => x.sizes?.join('+') ?? '-'],
    ['min fps', (x) => fmt(x.minFps), 'r'],
    ['fps per rendition', (x) => x.fpsPerRendition?.map((v) => fmt(v)).join(' ') ?? '-'],
    ['camera fps', (x) => fmt(x.fpsIn), 'r'],
    ['dropped (encoder queue)', (x) => x.droppedEncoder?.join(' ') ?? '-'],
    ['encode ms', (x) => x.encodeMs?.map((e) => fmt(e.mean)).join(' ') ?? '-'],
    ['other CPU', (x) => (x.otherCpu === undefined ? '-' : pct(x.otherCpu)), 'r'],

    ['check', (x) => check(x.problems)],
  ]));
  log(`max renditions sustained at ≥ 29 fps: ${Object.entries(l.maxRenditions30fps ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const g = l.long;
  if (g?.memory) {
    const m = g.memory;
    log(`long stream ${g.durationSec} s: ${g.framesEncoded} frames (${fmt(g.fps)} fps), upload ${fmt(g.uploadMbps, 2)} Mbit/s, ${g.acks} acks, ` +
      `send→ack p50 ${fmt(g.sendToAckMs?.p50, 1)} / p95 ${fmt(g.sendToAckMs?.p95, 1)} ms, dropped ${g.dropped.encoder}+${g.dropped.backpressure}, ` +
      `server ${g.server?.frames ?? '-'} frames, other processes ${pct(g.otherCpu ?? 0)} CPU; check: ${check(g.problems)}`);
    log(table(['rssMb', 'rendererMb', 'pageHeapMb', 'workerHeapMb', 'buffersMb'].map((k) => ({ k })), [
      ['memory (MB)', 'k'],
      [`first ${m.windowSec} s mean`, (x) => fmt(m.first[x.k].mean), 'r'],
      [`last ${m.windowSec} s mean`, (x) => fmt(m.last[x.k].mean), 'r'],
      ['first max', (x) => fmt(m.first[x.k].max), 'r'],
      ['last max', (x) => fmt(m.last[x.k].max), 'r'],
      ['Δ mean', (x) => fmt(m.last[x.k].mean - m.first[x.k].mean), 'r'],
    ]));
  } else if (g) {
    log(`long stream: ${check(g.problems)}`);
  }
}

const TOOLS = await toolVersions();

main().catch((e) => {
  console.error(e?.stack ?? e);
  process.exitCode = 1;
});
