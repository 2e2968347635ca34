/**
 * Panel 4: live. Camera (or the bundled sample as a stand-in, or an HLS URL) → filters → renditions, in the live
 * worker → MSE preview + Recorder + upload to the ingest server (WebSocket or WebTransport), with live charts of
 * fps, bitrate, per-stage latency and queue depths, a button that cuts the connection (the uploader reconnects and
 * resumes), and the server's own view of the stream (`/streams`) and its HLS output played with hls.js.
 */
import {
  cameraSource, createLivePipeline, fileSource, hlsSource, isFramepipeError, MsePreview, Recorder, WebSocketUploader,
  WebTransportUploader, type IngestUploader, type LivePipeline, type LiveSource, type LiveStats, type RenditionOptions,
  plan,
} from '../../src/index';
import { FilterEditor } from '../lib/filter-editor';
import { fetchToken, httpFromWs, newStreamName, readIngestConfig } from '../lib/ingest-config';
import { LineChart } from '../lib/line-chart';
import { sampleBlob, SAMPLE_URL } from '../lib/media-input';
import { describeError, formatBitrate, formatBytes, formatUs, h, setStatus } from '../lib/dom';

interface ServerStream {
  name: string;
  state: string;
  transport?: string;
  fragments: number;
  bytes: number;
  durationUs: number;
  bitrateBps: number;
  ingestBps?: number;
  fps?: number;
  reconnects?: number;
  connections?: number;
  lastSeq?: number;
}

export function mountLive(root: HTMLElement): void {
  const cfg = readIngestConfig();
  const radio = (value: string, label: string, checked = false) => {
    const id = `live-src-${value}`;
    return h('div', { class: 'param check' }, h('input', { type: 'radio', name: 'live-source', id, value, checked }), h('label', { for: id }, label));
  };
  const hlsUrl = h('input', { id: 'live-hls-url', type: 'url', placeholder: 'https://…/index.m3u8', 'aria-label': 'HLS URL' });
  const camSize = h('select', { id: 'live-cam-size' }, h('option', { value: '1280x720' }, '1280×720'), h('option', { value: '640x360' }, '640×360'));
  const renditionBoxes = [['full', 'Full size', true], ['half', 'Half size', true], ['quarter', 'Quarter size', false]].map(([v, label, on]) => {
    const id = `live-rend-${v}`;
    return { value: v as string, input: h('input', { type: 'checkbox', id, checked: on as boolean }), label: h('label', { for: id }, label as string) };
  });
  const wantPreview = h('input', { type: 'checkbox', id: 'live-preview-on', checked: true });
  const wantRecord = h('input', { type: 'checkbox', id: 'live-record-on', checked: true });
  const wantUpload = h('input', { type: 'checkbox', id: 'live-upload-on', checked: Boolean(cfg.wsUrl) });
  const transport = h('select', { id: 'live-transport' },
    h('option', { value: 'ws' }, 'WebSocket'),
    h('option', { value: 'wt', disabled: !cfg.wtUrl || typeof WebTransport === 'undefined' }, `WebTransport${cfg.wtUrl ? '' : ' (server not running)'}`));
  const wsUrl = h('input', { id: 'live-ws-url', type: 'url', value: cfg.wsUrl, placeholder: 'ws://127.0.0.1:8787/ingest' });
  const wtUrl = h('input', { id: 'live-wt-url', type: 'url', value: cfg.wtUrl, placeholder: 'https://127.0.0.1:4433/ingest' });
  const certHash = h('input', { id: 'live-cert-hash', type: 'text', value: cfg.certHashBase64, placeholder: 'base64 SHA-256 of the WebTransport certificate' });
  const streamName = h('input', { id: 'live-stream', type: 'text', value: cfg.stream, placeholder: cfg.tokenEndpoint ? 'new name per start' : 'cam-1', pattern: '[A-Za-z0-9][A-Za-z0-9_\\-]{0,63}' });
  const token = h('input', { id: 'live-token', type: 'text', value: cfg.token, placeholder: cfg.tokenEndpoint ? 'issued by npm start' : 'exp.signature from your backend', autocomplete: 'off' });
  // Changes while live go to pipeline.setFilters() (debounced: sliders fire on every step).
  const editor = new FilterEditor({ legend: 'Filters (in the live worker; changes apply while live)', kinds: ['grayscale', 'colorAdjust', 'blur', 'sharpen', 'overlay', 'chromaKey', 'fade'], initial: ['overlay'], onChange: (change) => applyFiltersLive(change) });

  const startBtn = h('button', { type: 'button', id: 'live-start' }, 'Start');
  const stopBtn = h('button', { type: 'button', id: 'live-stop', class: 'secondary', disabled: true }, 'Stop');
  const cutBtn = h('button', { type: 'button', id: 'live-cut', class: 'secondary', disabled: true }, 'Cut the connection');
  const status = h('p', { id: 'live-status', class: 'status', role: 'status' });
  const log = h('ol', { id: 'live-log', class: 'log', 'aria-live': 'polite', 'aria-label': 'Live events' });
  const preview = h('video', { id: 'live-preview', muted: true, playsinline: true, autoplay: true, controls: true });
  const hlsVideo = h('video', { id: 'live-hls-video', muted: true, playsinline: true, controls: true });
  const hlsBtn = h('button', { type: 'button', id: 'live-hls-play', class: 'secondary', disabled: true }, 'Play the server’s HLS (hls.js)');
  const hlsLink = h('a', { id: 'live-hls-link', hidden: true, target: '_blank', rel: 'noopener' }, 'index.m3u8');
  const mp4Link = h('a', { id: 'live-server-mp4', hidden: true, target: '_blank', rel: 'noopener' }, 'server MP4');
  const recLink = h('a', { id: 'live-recording', class: 'button secondary', hidden: true, download: 'framepipe-live.mp4', href: '#' }, 'Download recording');
  const pipelineFacts = h('dl', { id: 'live-facts', class: 'facts' });
  const serverFacts = h('dl', { id: 'live-server', class: 'facts' }, h('dt', {}, 'Server'), h('dd', {}, cfg.wsUrl ? cfg.httpUrl : 'not configured'));
  const charts = {
    fps: new LineChart({ title: 'Frame rate', unit: 'fps', id: 'chart-fps' }),
    bitrate: new LineChart({ title: 'Bitrate', unit: 'kbit/s', id: 'chart-bitrate' }),
    latency: new LineChart({ title: 'Latency per stage', unit: 'ms', id: 'chart-latency' }),
    queues: new LineChart({ title: 'Queue depths', unit: 'KiB', id: 'chart-queues' }),
  };

  root.append(
    h('h2', {}, 'Live'),
    h('p', { class: 'lead' }, 'Capture → filters → one encoder per rendition (in a worker) → CMAF fragments → preview, recording and upload with acknowledgements and resume.'),
    h('div', { class: 'grid-2' },
      h('section', { class: 'card', 'aria-labelledby': 'live-in-title' },
        h('h3', { id: 'live-in-title' }, 'Source and processing'),
        h('fieldset', {}, h('legend', {}, 'Source'),
          radio('camera', 'Camera (falls back to the sample when there is none)', true),
          h('div', { class: 'field indent' }, h('label', { for: 'live-cam-size' }, 'Camera size'), camSize),
          radio('sample', 'Bundled sample, looped in real time'),
          radio('hls', 'HLS URL'),
          h('div', { class: 'field indent' }, hlsUrl),
        ),
        editor.element,
        h('fieldset', {}, h('legend', {}, 'Renditions (H.264)'), ...renditionBoxes.map((r) => h('div', { class: 'param check' }, r.input, r.label))),
      ),
      h('section', { class: 'card', 'aria-labelledby': 'live-out-title' },
        h('h3', { id: 'live-out-title' }, 'Outputs'),
        h('div', { class: 'param check' }, wantPreview, h('label', { for: 'live-preview-on' }, 'MSE preview (smallest rendition, drops whole GOPs when behind)')),
        h('div', { class: 'param check' }, wantRecord, h('label', { for: 'live-record-on' }, 'Record (largest rendition, lossless)')),
        h('div', { class: 'param check' }, wantUpload, h('label', { for: 'live-upload-on' }, 'Upload to the ingest server (largest rendition, lossless)')),
        h('div', { class: 'field indent' }, h('label', { for: 'live-transport' }, 'Transport'), transport),
        h('details', { open: !cfg.wsUrl },
          h('summary', {}, `Ingest server (${cfg.origin === 'manual' ? 'not configured: run npm start, or fill in' : `from ${cfg.origin}`})`),
          h('div', { class: 'field' }, h('label', { for: 'live-ws-url' }, 'WebSocket URL'), wsUrl),
          h('div', { class: 'field' }, h('label', { for: 'live-wt-url' }, 'WebTransport URL'), wtUrl),
          h('div', { class: 'field' }, h('label', { for: 'live-cert-hash' }, 'Certificate SHA-256 (base64)'), certHash),
          h('div', { class: 'field' }, h('label', { for: 'live-stream' }, 'Stream name'), streamName),
          h('div', { class: 'field' }, h('label', { for: 'live-token' }, 'Token'), token),
          h('p', { class: 'muted small' }, 'Tokens are HMACs of the stream name made with the server secret, so they are issued server-side (npm start does it for the demo).'),
        ),
        h('div', { class: 'row' }, startBtn, stopBtn, cutBtn),
        status,
      ),
    ),
    h('div', { class: 'grid-2' },
      h('figure', { class: 'card' }, preview, h('figcaption', {}, 'Local preview (MSE)')),
      h('figure', { class: 'card' }, hlsVideo, h('figcaption', {}, 'Server HLS output: ', hlsLink, ' ', mp4Link), hlsBtn),
    ),
    h('div', { class: 'charts' }, charts.fps.element, charts.bitrate.element, charts.latency.element, charts.queues.element),
    h('div', { class: 'grid-2' },
      h('section', { class: 'card', 'aria-labelledby': 'live-facts-title' }, h('h3', { id: 'live-facts-title' }, 'Pipeline'), pipelineFacts, recLink),
      h('section', { class: 'card', 'aria-labelledby': 'live-server-title' }, h('h3', { id: 'live-server-title' }, 'Server view (/streams)'), serverFacts),
    ),
    h('section', { class: 'card', 'aria-labelledby': 'live-log-title' }, h('h3', { id: 'live-log-title' }, 'Events'), log),
  );

  let pipeline: LivePipeline | null = null;
  /** Source size the running pipeline's filters were built for. */
  let filterSize = { width: 1280, height: 720 };
  let applyTimer: ReturnType<typeof setTimeout> | undefined;
  let structureChanged = false;
  function applyFiltersLive(change: 'structure' | 'value'): void {
    if (pipeline?.state !== 'live') return;
    structureChanged ||= change === 'structure';
    clearTimeout(applyTimer);
    applyTimer = setTimeout(() => {
      const p = pipeline;
      if (p?.state !== 'live') return;
      const announce = structureChanged;
      structureChanged = false;
      p.setFilters(editor.build(filterSize.width, filterSize.height)).then(
        () => { if (announce) note(`Filters now: ${editor.types.join(' → ') || 'none'}.`); },
        (e) => note(`Filters not changed: ${describeError(e)}`, 'error'),
      );
    }, 200);
  }
  let uploader: IngestUploader | null = null;
  let recorder: Recorder | null = null;
  let pollTimer: ReturnType<typeof setInterval> | null = null;
  let server: { httpUrl: string; stream: string } | null = null;
  let serverIngestBps: number | null = null;
  let hls: { destroy(): void } | null = null;
  let recUrl: string | null = null;
  let t0 = 0;

  const note = (text: string, tone: '' | 'error' = '') => {
    const li = h('li', { class: tone }, h('time', {}, `${((performance.now() - t0) / 1000).toFixed(1)} s`), ' ', text);
    log.prepend(li);
    while (log.children.length > 40) log.lastElementChild!.remove();
  };

  async function openSource(): Promise<{ source: LiveSource; width: number; height: number; label: string }> {
    const kind = root.querySelector<HTMLInputElement>('input[name="live-source"]:checked')?.value ?? 'camera';
    if (kind === 'hls') {
      if (!hlsUrl.value) throw new Error('Enter an HLS URL (for example the server’s index.m3u8 of an earlier stream).');
      const s = await hlsSource(hlsUrl.value);
      return { source: s, width: s.width, height: s.height, label: 'HLS' };
    }
    if (kind === 'camera') {
      const [w, hgt] = camSize.value.split('x').map(Number);
      try {
        const s = await cameraSource({ video: { width: w, height: hgt, frameRate: 30 } });
        return { source: s, width: s.width || w, height: s.height || hgt, label: `camera ${s.width}×${s.height}` };
      } catch (e) {
        note(`No camera (${isFramepipeError(e) ? String(e.details.name ?? e.code) : describeError(e)}): using the bundled sample instead.`);
      }
    }
    const p = await plan(await sampleBlob(), { audio: false });
    const v = p.tracks.find((t) => t.kind === 'video');
    return { source: fileSource(SAMPLE_URL, { loop: true, realtime: true, frameRate: 30 }), width: v?.input.displayWidth ?? 640, height: v?.input.displayHeight ?? 360, label: 'bundled sample (looped)' };
  }

  function renditions(width: number, height: number): RenditionOptions[] {
    const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
    const picked = renditionBoxes.filter((r) => r.input.checked).map((r) => ({ full: 1, half: 2, quarter: 4 })[r.value as 'full']);
    if (!width || !height) return [{ name: 'source' }];
    return (picked.length ? picked : [1]).map((div) => {
      const w = even(width / div);
      const hh = even(height / div);
      return { name: `${hh}p`, width: w, height: hh, bitrate: Math.round(w * hh * 30 * 0.08) };
    });
  }

  async function start(): Promise<void> {
    startBtn.disabled = true;
    t0 = performance.now();
    log.replaceChildren();
    for (const c of Object.values(charts)) c.clear();
    recLink.hidden = true;
    mp4Link.hidden = true;
    setStatus(status, 'Starting…', 'busy');
    let source: LiveSource | null = null;
    try {
      // Upload target first: a missing token should fail before the camera light goes on.
      let upload: { kind: 'ws' | 'wt'; stream: string; token: string } | null = null;
      if (wantUpload.checked) {
        if (!wsUrl.value) throw new Error('Upload needs an ingest server URL (run npm start, or fill in “Ingest server”).');
        let stream = streamName.value.trim();
        let tok = token.value.trim();
        if (!tok) {
          if (!cfg.tokenEndpoint) throw new Error('Upload needs a token for the stream (fill in “Ingest server”).');
          stream = newStreamName();
          tok = await fetchToken(cfg.tokenEndpoint, stream);
        }
        if (!stream) throw new Error('Upload needs a stream name.');
        upload = { kind: transport.value as 'ws' | 'wt', stream, token: tok };
      }
      const src = await openSource();
      source = src.source;
      const rends = renditions(src.width, src.height);
      filterSize = { width: src.width || 1280, height: src.height || 720 };
      const live = createLivePipeline(src.source, {
        filters: editor.build(filterSize.width, filterSize.height),
        renditions: rends,
        fragmentDurationUs: 500_000,
        keyframeIntervalUs: 2_000_000,
      });
      pipeline = live;
      const top = rends[0].name;
      const bottom = rends[rends.length - 1].name;
      if (wantPreview.checked) live.attach(new MsePreview(preview), { rendition: bottom, policy: 'drop-oldest-gop', label: 'preview' });
      if (wantRecord.checked) {
        recorder = new Recorder();
        live.attach(recorder, { rendition: top, label: 'recorder' });
      }
      if (upload) {
        const common = { stream: upload.stream, token: upload.token };
        const up = upload.kind === 'wt'
          ? new WebTransportUploader({
            ...common,
            url: wtUrl.value,
            serverCertificateHashes: certHash.value ? [{ algorithm: 'sha-256', value: Uint8Array.from(atob(certHash.value), (c) => c.charCodeAt(0)) }] : undefined,
          })
          : new WebSocketUploader({ ...common, url: wsUrl.value });
        up.on('connected', ({ connection }) => note(`Upload connected (${upload!.kind === 'wt' ? 'WebTransport' : 'WebSocket'}, connection ${connection}).`));
        up.on('reconnecting', ({ attempt, delayMs, reason }) => note(`Connection lost (${reason}); reconnect attempt ${attempt} in ${delayMs.toFixed(0)} ms.`));
        up.on('resumed', ({ lastAckedSeq, resent }) => note(`Upload resumed after fragment ${lastAckedSeq} (${resent} re-sent).`));
        up.on('error', (e) => note(`Upload failed: ${describeError(e)}`, 'error'));
        up.on('finished', (f) => {
          note(`Server finished the stream: ${f.fragments} fragments, ${formatBytes(f.bytes)}, ${formatUs(f.durationUs)}.`);
          if (server) {
            mp4Link.href = `${server.httpUrl}/hls/${server.stream}/${server.stream}.mp4`;
            mp4Link.hidden = false;
          }
        });
        uploader = up;
        live.attach(up, { rendition: top, label: 'upload' });
        server = { httpUrl: httpFromWs(wsUrl.value), stream: upload.stream };
        hlsLink.href = `${server.httpUrl}/hls/${upload.stream}/index.m3u8`;
        hlsLink.textContent = `${upload.stream}/index.m3u8`;
        hlsLink.hidden = false;
        if (!hlsUrl.value) hlsUrl.value = hlsLink.href;
        startPolling();
      }
      live.on('stats', onStats);
      live.on('consumer-error', ({ label, error }) => note(`${label} failed and was detached: ${describeError(error)}`, 'error'));
      live.on('error', (e) => { note(`Pipeline failed: ${describeError(e)}`, 'error'); setStatus(status, describeError(e), 'error'); void stop(); });
      const info = await live.start();
      note(`Live from ${src.label}: ${info.map((r) => `${r.name} ${r.width}×${r.height} ${r.codec} ${formatBitrate(r.bitrate)}`).join(', ')}.`);
      setStatus(status, `Live: ${info.length} rendition${info.length > 1 ? 's' : ''}${upload ? `, uploading “${upload.stream}”` : ''}.`, 'ok');
      stopBtn.disabled = false;
      cutBtn.disabled = !uploader;
      hlsBtn.disabled = !uploader;
    } catch (e) {
      source?.stop();
      setStatus(status, describeError(e), 'error');
      note(`Could not start: ${describeError(e)}`, 'error');
      await pipeline?.stop().catch(() => {});
      pipeline = null;
      uploader = null;
      recorder = null;
      stopPolling();
      startBtn.disabled = false;
    }
  }

  async function stop(): Promise<void> {
    const live = pipeline;
    if (!live) return;
    pipeline = null;
    stopBtn.disabled = true;
    cutBtn.disabled = true;
    setStatus(status, 'Stopping: flushing the encoders, waiting for the last acknowledgements…', 'busy');
    try {
      const final = await live.stop();
      onStats(final);
      const rec = recorder;
      if (rec) {
        const r = await rec.result;
        if (r.blob) {
          if (recUrl) URL.revokeObjectURL(recUrl);
          recUrl = URL.createObjectURL(r.blob);
          recLink.href = recUrl;
          recLink.textContent = `Download recording (${formatBytes(r.bytes)}, ${r.videoFrames} frames, ${formatUs(r.durationUs)})`;
          recLink.hidden = false;
        }
      }
      setStatus(status, 'Stopped.', 'ok');
      note('Stopped.');
    } catch (e) {
      setStatus(status, describeError(e), 'error');
    } finally {
      uploader = null;
      recorder = null;
      startBtn.disabled = false;
      // Keep polling a little: the server finishes the MP4 after END.
      setTimeout(stopPolling, 3000);
    }
  }

  function onStats(s: LiveStats): void {
    const e = s.engine;
    if (!e) return;
    const up = s.consumers.find((c) => c.label === 'upload');
    const upd = up?.details as ({ fragmentToSendMs: { p50: number }; sendToAckMs: { last: number }; lastFrameToAckMs: { last: number }; unackedBytes: number; reconnects: number; acks: number; state: string }) | undefined;
    charts.fps.push({ in: e.fpsIn, ...Object.fromEntries(e.renditions.map((r) => [`${r.name} out`, r.fpsOut])) });
    charts.bitrate.push({ ...Object.fromEntries(e.renditions.map((r) => [r.name, r.bitrateBps / 1000])), ...(server ? { 'server ingest': serverIngestBps === null ? null : serverIngestBps / 1000 } : {}) });
    const r0 = e.renditions[0];
    charts.latency.push({
      filter: e.filterMs,
      encode: r0?.encodeMs.mean,
      'capture→fragment': r0?.captureToFragmentMs,
      ...(upd ? { 'fragment→send': upd.fragmentToSendMs.p50, 'send→ack': upd.sendToAckMs.last, 'glass→ack': upd.lastFrameToAckMs.last } : {}),
    });
    charts.queues.push({
      ...Object.fromEntries(s.consumers.map((c) => [`${c.label} queue`, c.queuedBytes / 1024])),
      ...(upd ? { 'upload unacked': upd.unackedBytes / 1024 } : {}),
    });
    const facts: Array<[string, string]> = [
      ['State', s.state],
      ['Elapsed', `${(s.elapsedMs / 1000).toFixed(1)} s`],
      ['Frames in', `${e.framesIn} (${e.fpsIn.toFixed(1)} fps), ${e.framesMissedSource} missed by the source`],
      ['Filters', `${e.filterBackend ?? 'none'}, ${e.filterMs.toFixed(1)} ms/frame`],
      ...e.renditions.map((r): [string, string] => [r.name, `${r.fpsOut.toFixed(1)} fps, ${formatBitrate(r.bitrateBps)}, ${r.fragments} fragments, dropped ${r.framesDroppedEncoder} (encoder) / ${r.framesDroppedBackpressure} (backpressure), encode queue ${r.encodeQueueSize}`]),
      ...s.consumers.map((c): [string, string] => [c.label, `${c.state}, ${c.delivered} delivered, queue ${c.queuedFragments} (${formatBytes(c.queuedBytes)})${c.droppedGops ? `, ${c.droppedGops} GOPs dropped` : ''}${c.error ? `, ${c.error.code}` : ''}`]),
      ...(upd ? [['Upload', `${upd.state}, ${upd.acks} acks, ${upd.reconnects} reconnects`] as [string, string]] : []),
    ];
    pipelineFacts.replaceChildren(...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    pipelineFacts.dataset.fragments = String(r0?.fragments ?? 0);
  }

  function startPolling(): void {
    stopPolling();
    serverIngestBps = null;
    const poll = async () => {
      if (!server) return;
      try {
        const res = await fetch(`${server.httpUrl}/streams`, { cache: 'no-store' });
        const body = (await res.json()) as { streams: ServerStream[] };
        const st = body.streams.find((x) => x.name === server!.stream);
        if (!st) return;
        serverIngestBps = st.ingestBps ?? null;
        serverFacts.dataset.fragments = String(st.fragments);
        serverFacts.dataset.reconnects = String(st.reconnects ?? 0);
        serverFacts.dataset.state = st.state;
        serverFacts.replaceChildren(...([
          ['Stream', `${st.name} (${st.state}${st.transport ? `, ${st.transport}` : ''})`],
          ['Stored', `${st.fragments} fragments, ${formatBytes(st.bytes)}, ${formatUs(st.durationUs)}`],
          ['Rate', `${st.fps ? `${st.fps.toFixed(1)} fps, ` : ''}${formatBitrate(st.bitrateBps)}`],
          ['Connections', `${st.connections ?? '–'} (${st.reconnects ?? 0} resumed)`],
        ] as Array<[string, string]>).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
      } catch {
        // The server may be restarting; the uploader handles that, the view just waits.
      }
    };
    void poll();
    pollTimer = setInterval(poll, 1000);
  }
  function stopPolling(): void {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
  }

  hlsBtn.addEventListener('click', async () => {
    if (!hlsLink.href) return;
    hls?.destroy();
    const { default: Hls } = await import('hls.js');
    if (!Hls.isSupported()) { note('hls.js is not supported in this browser.', 'error'); return; }
    const player = new Hls({ liveSyncDurationCount: 2 });
    hls = player;
    player.on(Hls.Events.ERROR, (_ev, data) => { if (data.fatal) note(`HLS playback error: ${data.details}`, 'error'); });
    player.loadSource(hlsLink.href);
    player.attachMedia(hlsVideo);
    player.on(Hls.Events.MANIFEST_PARSED, () => { hlsVideo.play().catch(() => {}); });
    note('Playing the server’s HLS playlist with hls.js.');
  });
  startBtn.addEventListener('click', () => void start());
  stopBtn.addEventListener('click', () => void stop());
  cutBtn.addEventListener('click', () => {
    if (!uploader) return;
    note('Cutting the connection (as a network failure would)…');
    uploader.dropConnection();
  });
  window.addEventListener('pagehide', () => { void pipeline?.stop(); });
}
