/**
 * Panel 1: convert a file. Input (drop, pick, bundled sample) → tracks and plan (before any work) → options
 * (codec, size, bitrate, trim on a thumbnail timeline, audio, filters) → transcode with progress, fps, ETA and
 * Cancel → before/after players, output facts, Download.
 */
import { plan, thumbnails, transcode, isFramepipeError, type Plan, type TranscodeOptions, type TranscodeResult } from '../../src/index';
import { FilterEditor } from '../lib/filter-editor';
import { currentInput, onInputChange, sampleBlob, setCurrentInput, SAMPLE_NAME, type CurrentInput } from '../lib/media-input';
import { debounce, describeError, formatBitrate, formatBytes, formatUs, h, setStatus } from '../lib/dom';

export function mountConvert(root: HTMLElement): void {
  const fileInput = h('input', { type: 'file', id: 'convert-file', class: 'visually-hidden', accept: 'video/*,audio/*,.mp4,.mov,.m4a,.mkv,.webm,.ts,.flv,.avi,.ogg,.opus,.mp3' });
  const drop = h('label', { class: 'drop', for: 'convert-file' },
    fileInput,
    h('span', { class: 'drop-title' }, 'Drop a video here, or click to pick one'),
    h('span', { class: 'muted small' }, 'MP4, MOV, WebM, MKV, TS, FLV, AVI, audio files… Nothing is uploaded.'),
  );
  const sampleBtn = h('button', { type: 'button', class: 'secondary', id: 'convert-sample' }, 'Use the bundled sample (flower, 640×360, 5 s)');
  const inputName = h('p', { id: 'convert-input-name', class: 'muted' }, 'No input yet.');

  // Options.
  const codec = select('convert-codec', 'Video codec', [['avc', 'H.264 (AVC)'], ['vp9', 'VP9'], ['av1', 'AV1'], ['none', 'No video']], 'avc');
  const height = select('convert-height', 'Max height', [['', 'Original'], ['1080', '1080 px'], ['720', '720 px'], ['480', '480 px'], ['360', '360 px'], ['240', '240 px']], '');
  const bitrate = h('input', { id: 'convert-bitrate', type: 'number', min: 50, step: 50, placeholder: 'auto', inputmode: 'numeric' });
  const audio = select('convert-audio', 'Audio', [['copy', 'Copy (no re-encode)'], ['opus', 'Opus'], ['aac', 'AAC'], ['none', 'No audio']], 'copy');
  const container = select('convert-container', 'Container', [['mp4', 'MP4']], 'mp4');
  const trimStart = h('input', { id: 'convert-trim-start', type: 'range', min: 0, max: 0, step: 0.1, value: 0 });
  const trimEnd = h('input', { id: 'convert-trim-end', type: 'range', min: 0, max: 0, step: 0.1, value: 0 });
  const trimText = h('output', { id: 'convert-trim-text', for: 'convert-trim-start convert-trim-end' }, 'whole input');
  const strip = h('div', { class: 'timeline-strip', 'aria-hidden': 'true' });
  const selection = h('div', { class: 'timeline-selection', 'aria-hidden': 'true' });
  const timelineNote = h('p', { id: 'convert-timeline-note', class: 'muted small' });
  const filters = new FilterEditor({ legend: 'Filters (applied in the worker before encoding)', onChange: () => refreshPlan() });

  const planBox = h('div', { id: 'convert-plan', class: 'plan', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Pick an input to see what framepipe will do with each track.'));
  const planNote = h('p', { id: 'convert-plan-note', class: 'muted small', 'aria-live': 'polite' });

  const startBtn = h('button', { type: 'button', id: 'convert-start', disabled: true }, 'Convert');
  const cancelBtn = h('button', { type: 'button', id: 'convert-cancel', class: 'secondary', disabled: true }, 'Cancel');
  const progress = h('progress', { id: 'convert-progress', max: 1, value: 0, 'aria-label': 'Conversion progress' });
  const status = h('p', { id: 'convert-status', class: 'status', role: 'status' });

  const before = h('video', { id: 'convert-before', controls: true, muted: true, playsinline: true, preload: 'metadata' });
  const after = h('video', { id: 'convert-after', controls: true, muted: true, playsinline: true, preload: 'metadata' });
  const summary = h('dl', { id: 'convert-summary', class: 'facts' });
  const download = h('a', { id: 'convert-download', class: 'button', download: 'framepipe-output.mp4', href: '#' }, 'Download MP4');
  const result = h('section', { id: 'convert-result', class: 'card', hidden: true, 'aria-labelledby': 'convert-result-title' },
    h('h3', { id: 'convert-result-title' }, 'Result'),
    h('div', { class: 'players' },
      h('figure', {}, before, h('figcaption', {}, 'Before (input)')),
      h('figure', {}, after, h('figcaption', {}, 'After (framepipe output)')),
    ),
    summary,
    download,
  );

  root.append(
    h('h2', { id: 'convert-title' }, 'Convert a file'),
    h('p', { class: 'lead' }, 'Transcode in this tab with WebCodecs (ffmpeg.wasm only where WebCodecs cannot). The plan below is computed before any decoding.'),
    h('div', { class: 'grid-2' },
      h('section', { class: 'card', 'aria-labelledby': 'convert-in-title' },
        h('h3', { id: 'convert-in-title' }, '1. Input'), drop, sampleBtn, inputName,
        h('h4', {}, 'Tracks and plan'), planNote, planBox),
      h('section', { class: 'card', 'aria-labelledby': 'convert-opt-title' },
        h('h3', { id: 'convert-opt-title' }, '2. Output'),
        h('div', { class: 'form-grid' },
          container.wrap, codec.wrap, height.wrap,
          h('div', { class: 'field' }, h('label', { for: 'convert-bitrate' }, 'Video bitrate (kbit/s)'), bitrate),
          audio.wrap,
        ),
        h('fieldset', { class: 'trim' },
          h('legend', {}, 'Trim'),
          h('div', { class: 'timeline' }, strip, selection),
          timelineNote,
          h('div', { class: 'field' }, h('label', { for: 'convert-trim-start' }, 'Start'), trimStart),
          h('div', { class: 'field' }, h('label', { for: 'convert-trim-end' }, 'End'), trimEnd),
          h('p', { class: 'small' }, 'Range: ', trimText),
        ),
        filters.element,
      ),
    ),
    h('section', { class: 'card', 'aria-labelledby': 'convert-run-title' },
      h('h3', { id: 'convert-run-title' }, '3. Run'),
      h('div', { class: 'row' }, startBtn, cancelBtn),
      progress, status,
    ),
    result,
  );

  let input: CurrentInput | null = null;
  let inputPlan: Plan | null = null;
  let running: AbortController | null = null;
  let planSeq = 0;
  const urls: string[] = [];
  const revokeAll = () => { for (const u of urls.splice(0)) URL.revokeObjectURL(u); };
  const objectUrl = (b: Blob) => { const u = URL.createObjectURL(b); urls.push(u); return u; };

  /** Frame size after rotation, for filter parameters given in percent. */
  const frameSize = (): [number, number] => {
    const v = inputPlan?.tracks.find((t) => t.kind === 'video');
    return [v?.input.displayWidth ?? 1280, v?.input.displayHeight ?? 720];
  };

  const durationSec = () => (inputPlan ? inputPlan.durationUs / 1e6 : 0);
  function trimRange(): { start?: number; end?: number } | undefined {
    const d = durationSec();
    const s = Number(trimStart.value);
    const e = Number(trimEnd.value);
    if (!d || (s <= 0 && e >= d - 0.05)) return undefined;
    return { ...(s > 0 ? { start: Math.round(s * 1e6) } : {}), ...(e < d - 0.05 ? { end: Math.round(e * 1e6) } : {}) };
  }

  function options(): TranscodeOptions {
    const c = codec.el.value;
    const a = audio.el.value;
    const kbps = Number(bitrate.value);
    const [w, hgt] = frameSize();
    const f = filters.build(w, hgt);
    const trim = trimRange();
    return {
      container: 'mp4',
      video: c === 'none' ? false : { codec: c as 'avc' | 'vp9' | 'av1', ...(height.el.value ? { height: Number(height.el.value) } : {}), ...(kbps > 0 ? { bitrate: Math.round(kbps * 1000) } : {}) },
      audio: a === 'none' ? false : a === 'copy' ? { codec: 'copy' } : { codec: a as 'opus' | 'aac' },
      ...(trim ? { trim } : {}),
      ...(f.length ? { filters: f } : {}),
    };
  }

  function updateTrimUi(): void {
    const d = durationSec();
    if (Number(trimStart.value) > Number(trimEnd.value) - 0.1) {
      if (document.activeElement === trimEnd) trimEnd.value = String(Math.min(d, Number(trimStart.value) + 0.1));
      else trimStart.value = String(Math.max(0, Number(trimEnd.value) - 0.1));
    }
    const s = Number(trimStart.value);
    const e = Number(trimEnd.value);
    trimStart.setAttribute('aria-valuetext', `${s.toFixed(1)} seconds`);
    trimEnd.setAttribute('aria-valuetext', `${e.toFixed(1)} seconds`);
    trimText.textContent = trimRange() ? `${s.toFixed(1)} s → ${e.toFixed(1)} s (${(e - s).toFixed(1)} s)` : `whole input (${d.toFixed(1)} s)`;
    selection.style.left = `${d ? (s / d) * 100 : 0}%`;
    selection.style.width = `${d ? ((e - s) / d) * 100 : 100}%`;
  }

  const refreshPlan = debounce(async () => {
    if (!input) return;
    const seq = ++planSeq;
    // Inputs that need ffmpeg.wasm take a while to plan (it probes the container); say so meanwhile.
    planBox.setAttribute('aria-busy', 'true');
    planNote.textContent = 'Updating the plan…';
    try {
      const p = await plan(input.blob, options());
      if (seq !== planSeq) return;
      planBox.replaceChildren(renderPlan(p));
      planBox.removeAttribute('aria-busy');
      planNote.textContent = '';
      startBtn.disabled = running !== null;
    } catch (e) {
      if (seq !== planSeq) return;
      planBox.removeAttribute('aria-busy');
      planNote.textContent = '';
      planBox.replaceChildren(h('p', { class: 'error', role: 'alert' }, describeError(e)));
      startBtn.disabled = true;
    }
  }, 120);

  async function loadTimeline(blob: Blob, seq: number): Promise<void> {
    strip.replaceChildren();
    timelineNote.textContent = 'Loading thumbnails…';
    try {
      const set = await thumbnails(blob, { count: 10 }, { height: 54, type: 'image/jpeg', quality: 0.7 });
      if (seq !== loadSeq) return;
      strip.replaceChildren(...set.items.map((t) => h('img', { src: objectUrl(t.image as Blob), alt: '', width: t.width, height: t.height })));
      timelineNote.textContent = set.path === 'ffmpeg-decode'
        ? `${set.items.length} exact frames, decoded by ffmpeg.wasm (WebCodecs has no decoder for this codec here).`
        : `${set.items.length} exact frames, ${formatBytes(set.bytesRead)} read to make them.`;
    } catch (e) {
      if (seq !== loadSeq) return;
      timelineNote.textContent = `No timeline for this input (${isFramepipeError(e) ? e.code : describeError(e)}); trimming still works.`;
    }
  }

  let loadSeq = 0;
  async function setInput(next: CurrentInput): Promise<void> {
    const seq = ++loadSeq;
    input = next;
    revokeAll();
    result.hidden = true;
    setStatus(status, '');
    progress.value = 0;
    inputName.textContent = `${next.name} — ${formatBytes(next.blob.size)}`;
    planBox.replaceChildren(h('p', { class: 'muted' }, 'Reading the input…'));
    startBtn.disabled = true;
    inputPlan = null;
    try {
      // The input's own facts (duration, size) come from a plan with default options.
      inputPlan = await plan(next.blob, {});
    } catch {
      // refreshPlan() shows the error.
    }
    if (seq !== loadSeq) return;
    const d = durationSec();
    for (const r of [trimStart, trimEnd]) r.max = String(Math.max(0.1, Math.floor(d * 10) / 10));
    trimStart.value = '0';
    trimEnd.value = trimEnd.max;
    updateTrimUi();
    refreshPlan();
    void loadTimeline(next.blob, seq);
  }

  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) setCurrentInput({ blob: f, name: f.name });
  });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) setCurrentInput({ blob: f, name: f.name });
  });
  sampleBtn.addEventListener('click', async () => setCurrentInput({ blob: await sampleBlob(), name: SAMPLE_NAME }));
  for (const el of [codec.el, height.el, audio.el, bitrate]) el.addEventListener('change', () => refreshPlan());
  for (const r of [trimStart, trimEnd]) {
    r.addEventListener('input', updateTrimUi);
    r.addEventListener('change', () => refreshPlan());
  }
  onInputChange((i) => void setInput(i));

  startBtn.addEventListener('click', async () => {
    if (!input || running) return;
    const ac = new AbortController();
    running = ac;
    const source = input;
    const opts = options();
    startBtn.disabled = true;
    cancelBtn.disabled = false;
    result.hidden = true;
    progress.value = 0;
    setStatus(status, 'Starting…', 'busy');
    let framesDone = 0;
    try {
      const r = await transcode(source.blob, {
        ...opts,
        signal: ac.signal,
        onPlan: (p) => planBox.replaceChildren(renderPlan(p)),
        onProgress: (p) => {
          framesDone = p.framesDone;
          progress.value = p.fraction;
          const eta = Number.isFinite(p.etaSeconds) ? `${p.etaSeconds.toFixed(1)} s` : '…';
          setStatus(status, `${(p.fraction * 100).toFixed(0)} % · ${p.framesDone}/${p.framesTotal || '?'} frames · ${p.fps.toFixed(1)} fps · ETA ${eta}`, 'busy');
        },
      });
      progress.value = 1;
      showResult(source, r, opts);
      setStatus(status, `Done: ${r.stats.framesOut} frames in ${(r.stats.wallTimeMs / 1000).toFixed(2)} s (${r.stats.fps.toFixed(1)} fps).`, 'ok');
    } catch (e) {
      if (isFramepipeError(e) && e.code === 'ABORTED') setStatus(status, `Cancelled after ${framesDone} frames.`, '');
      else setStatus(status, describeError(e), 'error');
    } finally {
      running = null;
      startBtn.disabled = false;
      cancelBtn.disabled = true;
    }
  });
  cancelBtn.addEventListener('click', () => running?.abort());

  function showResult(source: CurrentInput, r: TranscodeResult, opts: TranscodeOptions): void {
    const trim = opts.trim;
    const frag = trim ? `#t=${((trim.start ?? 0) / 1e6).toFixed(2)}${trim.end ? `,${(trim.end / 1e6).toFixed(2)}` : ''}` : '';
    before.src = objectUrl(source.blob) + frag;
    const outUrl = objectUrl(r.blob);
    after.src = outUrl;
    download.href = outUrl;
    download.download = `${source.name.replace(/\.[^.]+$/, '')}-framepipe.mp4`;
    const durUs = r.plan.range.end - r.plan.range.start;
    const v = r.plan.tracks.find((t) => t.kind === 'video' && t.action !== 'drop');
    const facts: Array<[string, string]> = [
      ['Size', `${formatBytes(r.blob.size)} (input ${formatBytes(source.blob.size)})`],
      ['Duration', formatUs(durUs)],
      ['Bitrate', formatBitrate((r.blob.size * 8) / (durUs / 1e6))],
      ['Video', v?.output ? `${v.output.codec} ${v.output.width ?? ''}×${v.output.height ?? ''}, ${r.stats.framesOut} frames` : 'none'],
      ['Speed', `${r.stats.fps.toFixed(1)} fps, ${(r.stats.wallTimeMs / 1000).toFixed(2)} s wall time`],
      ['Encoder', r.stats.videoEncoder ? `${r.stats.videoEncoder.codec} (${r.stats.videoEncoder.hardware === true ? 'hardware' : r.stats.videoEncoder.hardware === false ? 'software' : 'hardware unknown'})` : '–'],
      ['Filters', r.stats.filters?.backend ? `${r.stats.filters.backend}` : 'none'],
    ];
    summary.replaceChildren(...facts.flatMap(([k, val]) => [h('dt', {}, k), h('dd', {}, val)]));
    result.hidden = false;
  }

  // Start with the bundled sample so the panel is never empty.
  void currentInput().then((i) => setInput(i));
}

function select(id: string, label: string, options: Array<[string, string]>, value: string): { el: HTMLSelectElement; wrap: HTMLElement } {
  const el = h('select', { id }, ...options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
  return { el, wrap: h('div', { class: 'field' }, h('label', { for: id }, label), el) };
}

/** The plan as a list: per track the action, the path (WebCodecs or ffmpeg.wasm), input → output and the reason. */
export function renderPlan(p: Plan): HTMLElement {
  const items = p.tracks.map((t) => {
    const i = t.input;
    const what = t.kind === 'video'
      ? `${i.codec} ${i.displayWidth}×${i.displayHeight}${i.rotation ? `, rotated ${i.rotation}°` : ''}, ${i.sampleCount} frames`
      : t.kind === 'audio' ? `${i.codec} ${i.sampleRate} Hz ${i.numberOfChannels} ch` : i.codec;
    const o = t.output;
    const to = o ? `${o.codec}${o.width ? ` ${o.width}×${o.height}` : ''}${o.sampleRate ? ` ${o.sampleRate} Hz` : ''}${o.numberOfChannels ? ` ${o.numberOfChannels} ch` : ''}${o.bitrate ? `, ${formatBitrate(o.bitrate)}` : ''}${o.filters?.length ? `, filters: ${o.filters.join(' → ')}` : ''}` : 'not in the output';
    return h('li', { class: 'plan-track', 'data-action': t.action, 'data-kind': t.kind },
      h('div', { class: 'plan-head' },
        h('strong', {}, `#${t.trackId} ${t.kind}`),
        h('span', { class: `badge ${t.action}` }, t.action.toUpperCase()),
        t.path ? h('span', { class: 'path' }, 'path ', h('code', {}, t.path)) : null,
      ),
      h('div', {}, what, ' → ', to),
      h('div', { class: 'muted small' }, t.reason),
      t.stages ? h('div', { class: 'muted small' }, `demux ${t.stages.demux} · decode ${t.stages.decode} · encode ${t.stages.encode}`) : null,
    );
  });
  return h('div', {},
    h('p', { class: 'small' }, `${p.inputContainer.toUpperCase()} input, ${formatUs(p.durationUs)}; processing ${formatUs(p.range.start)} → ${formatUs(p.range.end)} into ${p.container.toUpperCase()}.`),
    h('ul', { class: 'plan-list', 'aria-label': 'Plan per track' }, ...items),
  );
}
