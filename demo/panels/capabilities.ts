/**
 * Panel 5: capabilities. What this browser decodes and encodes (WebCodecs `isConfigSupported`, probed with
 * `hardwareAcceleration: 'prefer-hardware'` and `'prefer-software'`), the platform features framepipe uses, and
 * the path framepipe takes for each kind of input and output here (framepipe's `capabilities()`).
 */
import { capabilities, createFilterPipeline, type InputAudioCodec, type InputVideoCodec } from '../../src/index';
import { describeError, h } from '../lib/dom';

interface VideoCodecRow { key: InputVideoCodec; name: string; codec: string; input: string }
const VIDEO: VideoCodecRow[] = [
  { key: 'avc', name: 'H.264 (AVC) High', codec: 'avc1.640028', input: 'MP4/MOV' },
  { key: 'hevc', name: 'HEVC (H.265) Main', codec: 'hvc1.1.6.L93.B0', input: 'MP4/MOV (iPhone)' },
  { key: 'vp8', name: 'VP8', codec: 'vp8', input: 'WebM' },
  { key: 'vp9', name: 'VP9 profile 0', codec: 'vp09.00.31.08', input: 'WebM/MP4' },
  { key: 'av1', name: 'AV1 Main', codec: 'av01.0.05M.08', input: 'WebM/MP4' },
];
const AUDIO: Array<{ key: InputAudioCodec; name: string; codec: string }> = [
  { key: 'aac', name: 'AAC-LC', codec: 'mp4a.40.2' },
  { key: 'opus', name: 'Opus', codec: 'opus' },
  { key: 'mp3', name: 'MP3', codec: 'mp3' },
  { key: 'flac', name: 'FLAC', codec: 'flac' },
  { key: 'vorbis', name: 'Vorbis', codec: 'vorbis' },
];

type Support = { any: boolean; hw: boolean; sw: boolean };

async function probe(check: (accel: HardwareAcceleration) => Promise<{ supported?: boolean }>): Promise<Support> {
  const one = async (a: HardwareAcceleration) => {
    try { return (await check(a)).supported === true; } catch { return false; }
  };
  const [any, hw, sw] = await Promise.all([one('no-preference'), one('prefer-hardware'), one('prefer-software')]);
  return { any, hw, sw };
}

const videoDecode = (codec: string) => probe((a) => VideoDecoder.isConfigSupported({ codec, codedWidth: 1280, codedHeight: 720, hardwareAcceleration: a }));
const videoEncode = (codec: string) => probe((a) => VideoEncoder.isConfigSupported({ codec, width: 1280, height: 720, bitrate: 2_500_000, framerate: 30, hardwareAcceleration: a, ...(codec.startsWith('avc1') ? { avc: { format: 'avc' as const } } : {}) }));
const audioDecode = (codec: string) => probe(() => AudioDecoder.isConfigSupported({ codec, sampleRate: 48000, numberOfChannels: 2 }));
const audioEncode = (codec: string) => probe(() => AudioEncoder.isConfigSupported({ codec, sampleRate: 48000, numberOfChannels: 2, bitrate: 128_000 }));

function cell(s: Support | null, audio = false): HTMLElement {
  if (!s) return h('td', {}, '–');
  if (!s.any) return h('td', { class: 'no' }, '✗ no');
  const kind = audio ? '' : s.hw && s.sw ? ' (hardware + software)' : s.hw ? ' (hardware)' : ' (software)';
  return h('td', { class: 'yes' }, `✓ yes${kind}`);
}

/** A minimal module using one SIMD instruction (i32x4.splat): WebAssembly.validate tells whether SIMD is on. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

async function platform(): Promise<Array<[string, boolean, string]>> {
  const gl = (() => {
    try {
      const c = document.createElement('canvas').getContext('webgl2');
      if (!c) return { ok: false, info: 'not available' };
      const dbg = c.getExtension('WEBGL_debug_renderer_info');
      const info = dbg ? String(c.getParameter(dbg.UNMASKED_RENDERER_WEBGL)) : String(c.getParameter(c.RENDERER));
      c.getExtension('WEBGL_lose_context')?.loseContext();
      return { ok: true, info };
    } catch (e) {
      return { ok: false, info: describeError(e) };
    }
  })();
  let gpu = { ok: false, info: 'navigator.gpu missing' };
  const nav = navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string } } | null> } };
  if (nav.gpu) {
    try {
      const adapter = await nav.gpu.requestAdapter();
      gpu = adapter ? { ok: true, info: [adapter.info?.vendor, adapter.info?.architecture].filter(Boolean).join(' ') || 'adapter available' } : { ok: false, info: 'no adapter' };
    } catch (e) {
      gpu = { ok: false, info: describeError(e) };
    }
  }
  const simd = WebAssembly.validate(SIMD_PROBE);
  let opfs = false;
  try { opfs = typeof navigator.storage?.getDirectory === 'function'; } catch { opfs = false; }
  return [
    ['WebCodecs', typeof VideoEncoder !== 'undefined' && typeof VideoDecoder !== 'undefined', 'VideoDecoder/VideoEncoder/AudioDecoder/AudioEncoder'],
    ['WebGL2', gl.ok, gl.info],
    ['WebGPU', gpu.ok, gpu.info],
    ['WASM SIMD', simd, simd ? 'the WASM filter kernels run with 128-bit SIMD' : 'the WASM kernels need SIMD'],
    ['crossOriginIsolated', window.crossOriginIsolated, window.crossOriginIsolated ? 'SharedArrayBuffer on: multi-thread ffmpeg.wasm' : 'serve COOP same-origin + COEP require-corp for threads'],
    ['SharedArrayBuffer', typeof SharedArrayBuffer !== 'undefined', ''],
    ['MediaStreamTrackProcessor', typeof (globalThis as { MediaStreamTrackProcessor?: unknown }).MediaStreamTrackProcessor !== 'undefined', 'live capture into the worker'],
    ['Media Source Extensions', typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('video/mp4; codecs="avc1.64001f"'), 'live preview'],
    ['WebTransport', typeof WebTransport !== 'undefined', 'upload over HTTP/3'],
    ['OPFS', opfs, 'long recordings to disk (Recorder.toOpfs)'],
    ['Worker modules', typeof Worker !== 'undefined', `${navigator.hardwareConcurrency} logical cores`],
  ];
}

export function mountCapabilities(root: HTMLElement): void {
  const status = h('p', { id: 'caps-status', class: 'status', role: 'status' }, 'Probing…');
  const videoBody = h('tbody', {});
  const audioBody = h('tbody', {});
  const platformList = h('dl', { id: 'caps-platform', class: 'facts' });
  const paths = h('ul', { id: 'caps-paths', class: 'paths' });
  root.append(
    h('h2', {}, 'Capabilities of this browser'),
    h('p', { class: 'lead' }, 'WebCodecs ', h('code', {}, 'isConfigSupported'), ' at 1280×720, asked three times: no preference, prefer hardware, prefer software.'),
    status,
    h('section', { class: 'card', 'aria-labelledby': 'caps-video-title' },
      h('h3', { id: 'caps-video-title' }, 'Video codecs'),
      // Scrolls sideways on narrow screens: focusable so keyboard users can scroll it (WCAG 2.1.1).
      h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Video codec table, scrolls sideways' }, h('table', { id: 'caps-video' },
        h('thead', {}, h('tr', {}, ...['Codec', 'WebCodecs string', 'Decode', 'Encode', 'framepipe path'].map((c) => h('th', { scope: 'col' }, c)))),
        videoBody)),
    ),
    h('section', { class: 'card', 'aria-labelledby': 'caps-audio-title' },
      h('h3', { id: 'caps-audio-title' }, 'Audio codecs'),
      h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Audio codec table, scrolls sideways' }, h('table', { id: 'caps-audio' },
        h('thead', {}, h('tr', {}, ...['Codec', 'WebCodecs string', 'Decode', 'Encode', 'framepipe path'].map((c) => h('th', { scope: 'col' }, c)))),
        audioBody)),
    ),
    h('div', { class: 'grid-2' },
      h('section', { class: 'card', 'aria-labelledby': 'caps-platform-title' }, h('h3', { id: 'caps-platform-title' }, 'Platform'), platformList),
      h('section', { class: 'card', 'aria-labelledby': 'caps-paths-title' }, h('h3', { id: 'caps-paths-title' }, 'What framepipe does here'), paths),
    ),
  );

  void (async () => {
    try {
      // The hardware/software columns are this page's own probes; the path column is framepipe's capabilities().
      const [videoRows, audioRows, plat, caps] = await Promise.all([
        Promise.all(VIDEO.map(async (v) => ({ v, dec: await videoDecode(v.codec), enc: await videoEncode(v.codec) }))),
        Promise.all(AUDIO.map(async (a) => ({ a, dec: await audioDecode(a.codec), enc: await audioEncode(a.codec) }))),
        platform(),
        capabilities(),
      ]);
      videoBody.replaceChildren(...videoRows.map(({ v, dec, enc }) => {
        const c = caps.video[v.key];
        const decPath = c.decode === 'webcodecs' ? 'decode: WebCodecs' : 'decode: ffmpeg.wasm (ffmpeg-decode)';
        const encPath = c.encode ? `encode: WebCodecs as ${c.codec} (video.codec '${v.key}')` : v.key === 'hevc' || v.key === 'vp8' ? 'not an output codec' : `encode: not available ('${v.key}' fails with UNSUPPORTED_CODEC)`;
        return h('tr', { 'data-codec': v.codec }, h('th', { scope: 'row' }, v.name), h('td', {}, h('code', {}, v.codec)), cell(dec), cell(enc), h('td', { class: 'small' }, `${decPath}; ${encPath}`));
      }));
      audioBody.replaceChildren(...audioRows.map(({ a, dec, enc }) => {
        const c = caps.audio[a.key];
        const copy = c.copyToMp4 ? 'copy into MP4 when unchanged' : 'cannot go into MP4: re-encoded to Opus';
        const encode = c.encode === 'webcodecs' ? '; encode: WebCodecs' : c.encode === 'ffmpeg' ? '; encode: ffmpeg.wasm (ffmpeg-encode)' : '';
        const decode = `; decode: ${c.decode === 'webcodecs' ? 'WebCodecs' : 'ffmpeg.wasm (ffmpeg-decode)'}`;
        return h('tr', { 'data-codec': a.codec }, h('th', { scope: 'row' }, a.name), h('td', {}, h('code', {}, a.codec)), cell(dec, true), cell(enc, true), h('td', { class: 'small' }, `${copy}${decode}${encode}`));
      }));
      platformList.replaceChildren(...plat.flatMap(([k, ok, info]) => [h('dt', {}, k), h('dd', { class: ok ? 'yes' : 'no', 'data-feature': k }, `${ok ? '✓' : '✗'} ${info}`)]));

      // The filter backend framepipe picks by measuring both on a 1280×720 frame (what filterBackend 'auto' does).
      let filterLine = '';
      try {
        const fp = await createFilterPipeline([{ type: 'colorAdjust', contrast: 1.1 }], { width: 1280, height: 720, backend: 'auto' });
        const ms = Object.entries(fp.measuredMs).map(([b, v]) => `${b} ${Number(v).toFixed(1)} ms`).join(', ');
        filterLine = `Built-in filters: ${fp.backend === 'webgl' ? 'WebGL2' : 'WASM SIMD'} (measured per 720p frame: ${ms}).`;
        fp.close();
      } catch (e) {
        filterLine = `Built-in filters: unavailable (${describeError(e)}).`;
      }
      const f = caps.features;
      paths.replaceChildren(...[
        `MP4/MOV/fragmented MP4 with H.264/VP9/AV1: demux with mp4box.js, ${caps.video.avc.decode === 'webcodecs' ? 'decode and encode with WebCodecs' : 'decode with ffmpeg.wasm'} (path webcodecs).`,
        `HEVC in MP4/MOV: ${caps.video.hevc.decode === 'webcodecs' ? 'WebCodecs decodes it (path webcodecs)' : 'ffmpeg.wasm decodes it (path ffmpeg-decode)'}.`,
        'WebM, MKV, MPEG-TS, FLV, Ogg: ffmpeg.wasm remuxes to fragmented MP4, then WebCodecs (path ffmpeg-remux); codecs WebCodecs lacks (VP8 in some builds, MPEG-2, Indeo…) decode in ffmpeg.wasm (ffmpeg-decode).',
        `AAC output: ${caps.audio.aac.encode === 'webcodecs' ? 'WebCodecs AudioEncoder' : 'ffmpeg.wasm encoder (path ffmpeg-encode)'}.`,
        `ffmpeg.wasm core: ${caps.ffmpegThreads === 'multi' ? 'multi-thread (page is cross-origin isolated)' : 'single-thread (page is not cross-origin isolated)'}, loaded only when a track needs it.`,
        filterLine,
        `Live: ${f.mediaStreamTrackProcessor ? 'camera frames go straight to the live worker (MediaStreamTrackProcessor)' : 'no MediaStreamTrackProcessor: live capture unavailable'}; upload over ${f.webTransport ? 'WebSocket or WebTransport' : 'WebSocket'}.`,
      ].map((t) => h('li', {}, t)));
      status.textContent = 'Done.';
      root.dataset.ready = 'true';
    } catch (e) {
      status.textContent = describeError(e);
      status.dataset.tone = 'error';
    }
  })();
}
