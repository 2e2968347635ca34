/**
 * Panel 2: filters playground. Frames of a `<video>` (`new VideoFrame(video)`) go through
 * `createFilterPipeline` on this thread and are drawn on a canvas, on a paused frame and during playback. The
 * chain is rebuilt whenever it changes; the backend (WebGL2 / WASM) and the achieved fps are shown. A custom GLSL
 * shader can be edited; compile errors (FramepipeError FILTER_ERROR, `details.log`) appear inline.
 */
import { createFilterPipeline, isFramepipeError, type Filter, type FilterBackendChoice, type FilterPipeline } from '../../src/index';
import { FilterEditor } from '../lib/filter-editor';
import { SAMPLE_URL } from '../lib/media-input';
import { describeError, h, setStatus } from '../lib/dom';

const DEFAULT_SHADER = `#version 300 es
precision highp float;
uniform sampler2D u_frame;
uniform vec2 u_size;     // px
uniform float u_time;    // s
uniform float u_amount;  // 0..1, from the slider
in vec2 v_uv;
out vec4 fragColor;

void main() {
  // Ripple the picture, then mix in its negative.
  vec2 uv = v_uv + u_amount * 0.01 * vec2(sin(v_uv.y * 40.0 + u_time * 4.0), 0.0);
  vec4 c = texture(u_frame, uv);
  fragColor = vec4(mix(c.rgb, 1.0 - c.rgb, u_amount), 1.0);
}
`;

export function mountFilters(root: HTMLElement): void {
  const video = h('video', { id: 'filters-video', src: SAMPLE_URL, controls: true, muted: true, loop: true, playsinline: true, preload: 'auto', crossorigin: 'anonymous' });
  const canvas = h('canvas', { id: 'filters-canvas', width: 640, height: 360, role: 'img', 'aria-label': 'Filtered frame' });
  const backendSel = h('select', { id: 'filters-backend' }, ...(['auto', 'webgl', 'wasm'] as const).map((b) => h('option', { value: b }, b === 'auto' ? 'auto (measure both)' : b === 'webgl' ? 'WebGL2' : 'WASM SIMD')));
  const backendOut = h('output', { id: 'filters-backend-used' }, '–');
  const fpsOut = h('output', { id: 'filters-fps' }, '–');
  const msOut = h('output', { id: 'filters-ms' }, '–');
  const status = h('p', { id: 'filters-status', class: 'status', role: 'status' });
  const editor = new FilterEditor({ legend: 'Filter chain', initial: ['colorAdjust'], onChange: () => scheduleRebuild() });

  const shaderOn = h('input', { id: 'shader-enabled', type: 'checkbox' });
  const shaderText = h('textarea', { id: 'shader-source', rows: 16, spellcheck: false, autocomplete: 'off', 'aria-describedby': 'shader-help shader-errors' });
  shaderText.value = DEFAULT_SHADER;
  const amount = h('input', { id: 'shader-amount', type: 'range', min: 0, max: 1, step: 0.01, value: 0.5 });
  const amountOut = h('output', { for: 'shader-amount' }, '0.50');
  const shaderErrors = h('pre', { id: 'shader-errors', class: 'shader-errors', role: 'alert', hidden: true });
  const compileBtn = h('button', { type: 'button', id: 'shader-compile' }, 'Compile and apply');

  root.append(
    h('h2', {}, 'Filters playground'),
    h('p', { class: 'lead' }, 'framepipe’s filters on frames you already have: ', h('code', {}, 'createFilterPipeline(filters).process(new VideoFrame(video))'), '. Tune parameters while paused or playing.'),
    h('div', { class: 'grid-2' },
      h('figure', { class: 'card' }, video, h('figcaption', {}, 'Source ', h('code', {}, '<video>'), ' (play, pause, seek)')),
      h('figure', { class: 'card' }, canvas, h('figcaption', {}, 'Filtered on this thread')),
    ),
    h('dl', { class: 'facts inline', 'aria-live': 'off' },
      h('dt', {}, 'Backend'), h('dd', {}, backendOut),
      h('dt', {}, 'Throughput'), h('dd', {}, fpsOut),
      h('dt', {}, 'Per frame'), h('dd', {}, msOut),
    ),
    status,
    h('div', { class: 'grid-2' },
      h('div', { class: 'card' },
        h('div', { class: 'field' }, h('label', { for: 'filters-backend' }, 'Backend for built-in filters'), backendSel),
        editor.element),
      h('section', { class: 'card', 'aria-labelledby': 'shader-title' },
        h('h3', { id: 'shader-title' }, 'Custom GLSL shader'),
        h('p', { id: 'shader-help', class: 'muted small' }, 'GLSL ES 3.00 fragment shader, appended after the chain (WebGL2 backend). Inputs: ', h('code', {}, 'u_frame, v_uv, u_size, u_time'), ' and ', h('code', {}, 'u_amount'), '.'),
        h('div', { class: 'param check' }, shaderOn, h('label', { for: 'shader-enabled' }, 'Apply the shader')),
        h('label', { for: 'shader-source' }, 'Shader source'),
        shaderText,
        h('div', { class: 'param' }, h('label', { for: 'shader-amount' }, 'u_amount'), amount, amountOut),
        compileBtn,
        shaderErrors,
      ),
    ),
  );

  const ctx = canvas.getContext('2d')!;
  let pipeline: FilterPipeline | null = null;
  let pipelineKey = '';
  let autoChoice: { structure: string; backend: 'webgl' | 'wasm'; measured: FilterPipeline['measuredMs'] } | null = null;
  let dirty = true;
  let busy = false;
  const times: number[] = [];
  let msMean = 0;

  function chain(width: number, height: number): Filter[] {
    const list = editor.build(width, height);
    if (shaderOn.checked) list.push({ type: 'shader', glsl: shaderText.value, uniforms: { u_amount: Number(amount.value) } });
    return list;
  }

  /** (Re)compiles the chain for the video's size; errors are shown, the previous pipeline is dropped. */
  async function rebuild(): Promise<void> {
    const w = video.videoWidth;
    const hgt = video.videoHeight;
    if (!w || !hgt) return;
    const list = chain(w, hgt);
    const backend = backendSel.value as FilterBackendChoice;
    const key = JSON.stringify({ list, backend, w, hgt });
    if (key === pipelineKey) return;
    // 'auto' times both backends on every build; while only parameters change (same filter types), reuse its
    // choice so dragging a slider stays smooth.
    const structure = JSON.stringify([list.map((f) => f.type), w, hgt]);
    const reuse = backend === 'auto' && autoChoice?.structure === structure ? autoChoice : null;
    let next: FilterPipeline | null = null;
    try {
      next = list.length ? await createFilterPipeline(list, { width: w, height: hgt, backend: reuse?.backend ?? backend }) : null;
      if (backend === 'auto' && next?.backend && !reuse) autoChoice = { structure, backend: next.backend, measured: next.measuredMs };
      shaderErrors.hidden = true;
      shaderText.removeAttribute('aria-invalid');
      setStatus(status, '');
    } catch (e) {
      const log = isFramepipeError(e) ? e.details.log : undefined;
      if (typeof log === 'string' && log.trim()) {
        shaderErrors.textContent = `Shader does not compile:\n${annotate(log.trim(), shaderText.value)}`;
        shaderErrors.hidden = false;
        shaderText.setAttribute('aria-invalid', 'true');
        setStatus(status, 'The shader has errors; the picture shows the last chain that compiled.', 'error');
      } else {
        setStatus(status, `${describeError(e)} (the picture shows the last chain that worked)`, 'error');
      }
      // Keep the last working pipeline on screen; remember the key so the same broken chain is not retried.
      pipelineKey = key;
      return;
    }
    pipeline?.close();
    pipeline = next;
    pipelineKey = key;
    const measured = next ? Object.entries(reuse ? reuse.measured : next.measuredMs).map(([b, ms]) => `${b} ${Number(ms).toFixed(1)} ms`).join(', ') : '';
    backendOut.textContent = next ? `${next.backend ?? 'user filters only'}${measured ? ` (measured: ${measured})` : ''}` : 'none (no filters)';
    canvas.width = next ? next.width : w;
    canvas.height = next ? next.height : hgt;
  }

  function scheduleRebuild(): void {
    dirty = true;
    void render();
  }

  /** Filters the video's current frame onto the canvas (one at a time; newer requests coalesce). */
  async function render(): Promise<void> {
    if (busy || video.readyState < 2) return;
    busy = true;
    try {
      while (dirty) {
        dirty = false;
        await rebuild();
      }
      const frame = new VideoFrame(video, { timestamp: Math.round(video.currentTime * 1e6) });
      const t0 = performance.now();
      try {
        if (pipeline) {
          const out = await pipeline.process(frame);
          ctx.clearRect(0, 0, canvas.width, canvas.height);
          ctx.drawImage(out, 0, 0, canvas.width, canvas.height);
          out.close();
        } else {
          ctx.drawImage(frame, 0, 0, canvas.width, canvas.height);
        }
      } finally {
        frame.close();
      }
      const now = performance.now();
      msMean = msMean ? msMean * 0.9 + (now - t0) * 0.1 : now - t0;
      times.push(now);
      while (times.length && times[0] < now - 1000) times.shift();
      msOut.textContent = `${msMean.toFixed(1)} ms`;
      fpsOut.textContent = video.paused ? 'paused' : `${times.length} fps`;
      canvas.dataset.rendered = String(Number(canvas.dataset.rendered ?? 0) + 1);
    } catch (e) {
      setStatus(status, describeError(e), 'error');
    } finally {
      busy = false;
    }
    if (dirty) void render();
  }

  // Playback: one render per presented video frame; a render still running means this frame is skipped.
  const onFrame = () => {
    void render();
    if (!video.paused) video.requestVideoFrameCallback(onFrame);
  };
  video.addEventListener('play', () => video.requestVideoFrameCallback(onFrame));
  video.addEventListener('seeked', () => void render());
  video.addEventListener('pause', () => { fpsOut.textContent = 'paused'; void render(); });
  video.addEventListener('loadeddata', () => { dirty = true; void render(); });
  backendSel.addEventListener('change', scheduleRebuild);
  shaderOn.addEventListener('change', scheduleRebuild);
  compileBtn.addEventListener('click', () => { shaderOn.checked = true; scheduleRebuild(); });
  amount.addEventListener('input', () => { amountOut.textContent = Number(amount.value).toFixed(2); if (shaderOn.checked) scheduleRebuild(); });
  // Ctrl/Cmd+Enter compiles from inside the editor; Tab keeps its usual meaning (leaving the textarea).
  shaderText.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); compileBtn.click(); }
  });
}

/** Adds the offending source line under each `ERROR: 0:<line>:` of a GLSL compiler log. */
function annotate(log: string, source: string): string {
  const lines = source.split('\n');
  return log.split('\n').map((l) => {
    const m = /^ERROR: \d+:(\d+):/.exec(l);
    const src = m ? lines[Number(m[1]) - 1] : undefined;
    return src === undefined ? l : `${l}\n    line ${m![1]}: ${src.trim()}`;
  }).join('\n');
}
