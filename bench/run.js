#!/usr/bin/env node
// framepipe benchmark: 1080p30 H.264 + AAC → 720p H.264 2.5 Mbit/s MP4 (AAC copied), side by side with
// Mediabunny's Conversion API, the WebCodecs decode-only ceiling and native ffmpeg; plus framepipe's peak memory
// on the 20 s clip vs a 40 s version of it. Usage: see bench/README.md (`node bench/run.js --help`).
import { existsSync, mkdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpus, totalmem } from 'node:os';
import { startServer } from './lib/server.js';
import { launchBrowser, openBenchPage, runInPage } from './lib/browser.js';
import { startMemorySampler } from './lib/memory.js';
import { ffmpegTranscode, makeLooped, probe, psnr, toolVersions, validate } from './lib/ffmpeg.js';
import { fmt, median, ratio, table } from './lib/report.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const RESULTS = join(HERE, 'results');
const OUT = join(RESULTS, 'out');
const GEN = join(RESULTS, 'media');
const DEFAULT_INPUT = resolve(ROOT, '../shared/media/derived/bench_bbb_h264-high-aac_1920x1080p30_20s.mp4');

/** The job, identical for every system. */
const JOB = { width: 1280, height: 720, bitrate: 2_500_000 };

/**
 * Timed systems. `kind` says where they run; `transcode` ones produce an MP4 that gets validated.
 * @type {Array<{ id: string, kind: 'page' | 'native', transcode: boolean, label: string, preset?: string }>}
 */
const SYSTEMS = [
  { id: 'framepipe', kind: 'page', transcode: true, label: 'framepipe transcode()' },
  { id: 'mediabunny', kind: 'page', transcode: true, label: 'Mediabunny Conversion' },
  { id: 'decode', kind: 'page', transcode: false, label: 'WebCodecs decode-only (ceiling)' },
  { id: 'ffmpeg-veryfast', kind: 'native', transcode: true, preset: 'veryfast', label: 'native ffmpeg x264 veryfast' },
  { id: 'ffmpeg-ultrafast', kind: 'native', transcode: true, preset: 'ultrafast', label: 'native ffmpeg x264 ultrafast' },
];
const ALL_IDS = [...SYSTEMS.map((s) => s.id), 'memory'];

const HELP = `Usage: node bench/run.js [options]   (build first: npx vite build)

  --runs N          measured runs per system, median reported (default 3)
  --only LIST       comma-separated subset of: ${ALL_IDS.join(', ')}
                    ("ffmpeg" selects both presets)
  --mem-runs N      framepipe transcodes per clip for the memory comparison (default 1; max peak is kept)
  --input FILE      input clip (default ${basename(DEFAULT_INPUT)})
  --timeout S       per-run timeout in seconds for in-page runs (default 300)
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
      input: { type: 'string', default: DEFAULT_INPUT },
      timeout: { type: 'string', default: '300' },
      'skip-psnr': { type: 'boolean', default: false },
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
  return {
    runs: Math.floor(runs),
    memRuns: Math.floor(memRuns),
    only,
    input: resolve(values.input),
    timeoutMs: Number(values.timeout) * 1000,
    skipPsnr: values['skip-psnr'],
    headed: values.headed,
  };
}

const log = (/** @type {string} */ s) => console.log(s);

async function main() {
  const opts = parseCli();
  if (!existsSync(opts.input)) throw new Error(`input not found: ${opts.input}`);
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
  for (const id of ['framepipe', 'memory']) {
    if (opts.only.includes(id) && !haveDist) skipped[id] = 'dist/framepipe.js missing (run `npx vite build`)';
  }
  const selected = SYSTEMS.filter((s) => opts.only.includes(s.id) && !skipped[s.id]);
  const doMemory = opts.only.includes('memory') && !skipped.memory;
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
    },
  });
  const urlOf = (/** @type {string} */ file) =>
    file.startsWith(GEN) ? `${server.origin}/gen/${basename(file)}` : `${server.origin}/input/${basename(file)}`;

  const needBrowser = selected.some((s) => s.kind === 'page') || doMemory;
  const chromium = needBrowser ? await launchBrowser({ headed: opts.headed }) : null;
  if (chromium) log(`chromium ${chromium.version}, pages from ${server.origin}`);

  /** @type {Record<string, any[]>} */
  const runs = Object.fromEntries(selected.map((s) => [s.id, []]));
  /** @type {Record<string, string>} */
  const errors = {};
  /** @type {any[]} */
  const memory = [];

  try {
    // Round-robin so slow drift on a shared machine hits every system alike.
    for (let round = 1; round <= opts.runs; round++) {
      for (const sys of selected) {
        if (errors[sys.id]) continue;
        const out = sys.transcode ? `${sys.id}-${round}.mp4` : undefined;
        try {
          const r = sys.kind === 'page'
            ? await pageRun(chromium, server.origin, sys.id, { src: urlOf(opts.input), out, ...JOB }, opts.timeoutMs)
            : await ffmpegTranscode({ input: opts.input, output: join(OUT, out), preset: sys.preset, ...JOB });
          const run = { round, ms: r.ms, reportedFrames: r.frames, bytes: r.bytes, file: out && join(OUT, out), detail: r.detail };
          runs[sys.id].push(run);
          const frames = sys.transcode ? r.frames ?? want.frames : r.frames;
          log(`  run ${round}/${opts.runs} ${sys.id.padEnd(16)} ${(r.ms / 1000).toFixed(2).padStart(7)} s  ` +
            `≈${fmt((frames / r.ms) * 1000)} fps`);
        } catch (e) {
          errors[sys.id] = String(/** @type {any} */ (e)?.message ?? e);
          log(`  run ${round}/${opts.runs} ${sys.id}: ERROR ${errors[sys.id]}`);
        }
      }
    }

    if (doMemory) {
      log('memory: framepipe transcode, peak RSS of all Chromium child processes + page JS heap, sampled every 100 ms');
      for (const clip of clips) {
        for (let i = 1; i <= opts.memRuns; i++) {
          try {
            memory.push(await memoryRun(chromium, server.origin, clip, urlOf(clip.file), i, opts.timeoutMs));
          } catch (e) {
            errors[`memory-${clip.name}`] = String(/** @type {any} */ (e)?.message ?? e);
            log(`  memory ${clip.name}: ERROR ${errors[`memory-${clip.name}`]}`);
          }
        }
      }
    }
  } finally {
    await chromium?.browser.close();
    await server.close();
  }

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
    if (!opts.skipPsnr && last?.file && !last.problems.some((p) => p.startsWith('unreadable'))) {
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

  const results = summarize({ opts, inputProbe, want, selected, runs, errors, skipped, memory, chromium });
  const stamp = results.date.replace(/[:.]/g, '-');
  const json = JSON.stringify(results, null, 2);
  writeFileSync(join(RESULTS, `bench-${stamp}.json`), json);
  writeFileSync(join(RESULTS, 'latest.json'), json);

  printReport(results);
  log(`\nwrote bench/results/bench-${stamp}.json and bench/results/latest.json`);

  const bad = Object.keys(errors).length + Object.keys(skipped).length +
    Object.values(results.systems).filter((s) => s.problems.length).length +
    memory.filter((m) => m.problems.length).length;
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
 * framepipe transcode of `clip` while sampling memory.
 * @param {any} chromium
 * @param {string} origin
 * @param {{ name: string, file: string, probe: any }} clip
 * @param {string} src
 * @param {number} i
 * @param {number} timeoutMs
 */
async function memoryRun(chromium, origin, clip, src, i, timeoutMs) {
  const p = await openBenchPage(chromium.browser, origin, 'framepipe', log);
  try {
    await new Promise((r) => setTimeout(r, 500)); // let the previous context's renderer go away
    const sampler = await startMemorySampler({ browserPid: chromium.pid, page: p.page });
    const out = `memory-${clip.name}-${i}.mp4`;
    const run = runInPage(p.page, 'framepipe', { src, out, ...JOB }, timeoutMs);
    await run.catch(() => {});
    const mem = await sampler.stop();
    const r = await run; // rethrows a failed run, after the sampler has stopped
    log(`  memory ${clip.name} run ${i}: peak RSS ${mem.peakRssMb} MB (baseline ${mem.baselineRssMb}, ` +
      `+${mem.deltaRssMb}), JS heap peak ${mem.peakJsHeapMb} MB, ${(r.ms / 1000).toFixed(1)} s`);
    return { clip: clip.name, run: i, input: clip.file, expectedFrames: clip.probe.video.frames, ms: r.ms, file: join(OUT, out), ...mem };
  } finally {
    await p.close();
  }
}

/** Build the results object written to JSON. */
function summarize({ opts, inputProbe, want, selected, runs, errors, skipped, memory, chromium }) {
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
      problems,
      runs: rs,
    };
  }
  for (const [id, why] of Object.entries(skipped)) {
    if (id !== 'memory') systems[id] = { label: id, fps: NaN, problems: [`skipped: ${why}`], runs: [] };
  }

  const fp = systems.framepipe?.fps;
  const ratios = {
    'framepipe/mediabunny': ratio(fp, systems.mediabunny?.fps),
    'framepipe/ffmpeg-veryfast': ratio(fp, systems['ffmpeg-veryfast']?.fps),
    'framepipe/ffmpeg-ultrafast': ratio(fp, systems['ffmpeg-ultrafast']?.fps),
    'framepipe/decode-ceiling': ratio(fp, systems.decode?.fps),
    'mediabunny/decode-ceiling': ratio(systems.mediabunny?.fps, systems.decode?.fps),
  };

  /** Per clip: the run with the highest RSS peak. */
  const byClip = {};
  for (const m of memory) if (!byClip[m.clip] || m.peakRssMb > byClip[m.clip].peakRssMb) byClip[m.clip] = m;
  const clipNames = Object.keys(byClip);
  const [short, long] = clipNames.map((c) => byClip[c]);
  const memorySummary = memory.length ? {
    method: 'peak sum of VmRSS over all Chromium child processes (renderer incl. workers, GPU, utility), ' +
      'sampled every 100 ms; delta = peak - sum just before the transcode; JS heap = page main thread only (CDP)',
    clips: byClip,
    ratios: long && short ? {
      peakRss: ratio(long.peakRssMb, short.peakRssMb),
      deltaRss: ratio(long.deltaRssMb, short.deltaRssMb),
      peakJsHeap: ratio(long.peakJsHeapMb, short.peakJsHeapMb),
    } : undefined,
    runs: memory,
  } : undefined;

  return {
    date: new Date().toISOString(),
    job: { input: opts.input, ...JOB, container: 'mp4', audio: 'copy (AAC)' },
    config: { runs: opts.runs, memRuns: opts.memRuns, only: opts.only },
    env: {
      node: process.version,
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      memGb: Math.round(totalmem() / 2 ** 30),
      chromium: chromium?.version,
      framepipeDist: distInfo(),
      ...TOOLS,
    },
    input: inputProbe,
    expected: want,
    systems,
    ratios,
    memory: memorySummary,
    errors,
    skipped,
  };
}

function distInfo() {
  const f = join(ROOT, 'dist/framepipe.js');
  if (!existsSync(f)) return null;
  let version;
  try { version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version; } catch { /* ignore */ }
  return { version, builtAt: statSync(f).mtime.toISOString(), bytes: statSync(f).size };
}

/** Print the human-readable report. */
function printReport(r) {
  const rows = Object.entries(r.systems).map(([id, s]) => ({ id, ...s }));
  log(`\n${r.job.width}x${r.job.height} H.264 ${r.job.bitrate / 1e6} Mbit/s MP4 + AAC copy, from ` +
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
    ['check', (s) => (s.problems.length ? 'WARN: ' + s.problems.join('; ') : 'ok')],
  ]));

  const ratioRows = Object.entries(r.ratios).filter(([, v]) => v !== null);
  if (ratioRows.length) {
    log('\nratios (fps)');
    log(table(ratioRows.map(([k, v]) => ({ k, v })), [['', 'k'], ['×', (x) => fmt(x.v, 2), 'r']]));
  }

  if (r.memory) {
    log('\nmemory: framepipe transcode, ' + r.memory.method);
    log(table(Object.values(r.memory.clips), [
      ['clip', 'clip'],
      ['frames', 'expectedFrames', 'r'],
      ['wall s', (m) => fmt(m.ms / 1000, 1), 'r'],
      ['baseline MB', (m) => fmt(m.baselineRssMb), 'r'],
      ['peak RSS MB', (m) => fmt(m.peakRssMb), 'r'],
      ['delta MB', (m) => fmt(m.deltaRssMb), 'r'],
      ['peak renderer MB', (m) => fmt(m.peakRssByTypeMb?.renderer), 'r'],
      ['JS heap MB', (m) => fmt(m.peakJsHeapMb), 'r'],
      ['check', (m) => (m.problems?.length ? 'WARN: ' + m.problems.join('; ') : 'ok')],
    ]));
    const q = r.memory.ratios;
    if (q) log(`long/short: peak RSS ×${fmt(q.peakRss, 2)}, delta RSS ×${fmt(q.deltaRss, 2)}, JS heap ×${fmt(q.peakJsHeap, 2)}`);
  }
  for (const [id, e] of Object.entries(r.errors)) log(`ERROR ${id}: ${e}`);
}

const TOOLS = await toolVersions();

main().catch((e) => {
  console.error(e?.stack ?? e);
  process.exitCode = 1;
});
