// Demo page: pick a file (or the bundled sample), see the plan, transcode with progress and cancel, compare.
import { plan, transcode, isFramepipeError, type TranscodeOptions, type Plan } from '../src/index';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('form');
const planEl = $('plan');
const status = $('status');
const progress = $<HTMLProgressElement>('progress');
const startBtn = $<HTMLButtonElement>('start');
const cancelBtn = $<HTMLButtonElement>('cancel');
let input: Blob | null = null;
let running: AbortController | null = null;

function options(): TranscodeOptions {
  const f = new FormData(form);
  const num = (k: string) => (f.get(k) === '' || f.get(k) === null ? undefined : Number(f.get(k)));
  const codec = String(f.get('codec'));
  const audio = String(f.get('audio'));
  const start = num('start');
  const end = num('end');
  return {
    video: codec === 'none' ? false : { codec: codec as 'avc', height: num('height'), bitrate: num('bitrate') ? num('bitrate')! * 1000 : undefined },
    audio: audio === 'none' ? false : audio === 'opus' ? { codec: 'opus' } : { codec: 'copy' },
    trim: start || end ? { start: start ? start * 1e6 : undefined, end: end ? end * 1e6 : undefined } : undefined,
  };
}

function describePlan(p: Plan): string {
  const lines = p.tracks.map((t) => {
    const i = t.input;
    const what = t.kind === 'video' ? `${i.codec} ${i.displayWidth}×${i.displayHeight}${i.rotation ? ` (rotated ${i.rotation}°)` : ''}` : `${i.codec} ${i.sampleRate} Hz ${i.numberOfChannels} ch`;
    const to = t.output ? ` → ${t.output.codec}${t.output.width ? ` ${t.output.width}×${t.output.height}` : ''}` : '';
    return `#${t.trackId} ${t.kind}: ${what}${to}\n    ${t.action.toUpperCase()} (${t.path ?? '-'}) — ${t.reason}`;
  });
  return `${p.inputContainer}, ${(p.durationUs / 1e6).toFixed(2)} s\n${lines.join('\n')}`;
}

function showError(e: unknown) {
  status.className = 'error';
  status.textContent = isFramepipeError(e) ? `${e.code}: ${e.message}` : String(e);
}

async function refreshPlan() {
  if (!input) return;
  try {
    planEl.textContent = describePlan(await plan(input, options()));
    planEl.className = '';
    startBtn.disabled = false;
  } catch (e) {
    planEl.textContent = isFramepipeError(e) ? `${e.code}: ${e.message}` : String(e);
    planEl.className = 'error';
    startBtn.disabled = true;
  }
}

function setInput(blob: Blob, name: string) {
  input = blob;
  $('input-name').textContent = `${name} — ${(blob.size / 1e6).toFixed(2)} MB`;
  $<HTMLElement>('result').hidden = true;
  void refreshPlan();
}

$<HTMLInputElement>('file').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) setInput(f, f.name);
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files[0];
  if (f) setInput(f, f.name);
});
$('use-sample').addEventListener('click', async () => {
  const res = await fetch('/sample-flower-640x360.mp4');
  setInput(await res.blob(), 'sample-flower-640x360.mp4');
});
form.addEventListener('change', () => void refreshPlan());

startBtn.addEventListener('click', async () => {
  if (!input) return;
  running = new AbortController();
  startBtn.disabled = true;
  cancelBtn.disabled = false;
  status.className = 'muted';
  progress.value = 0;
  try {
    const r = await transcode(input, {
      ...options(),
      signal: running.signal,
      onProgress: (p) => {
        progress.value = p.fraction;
        status.textContent = `${p.framesDone}/${p.framesTotal || '?'} frames · ${p.fps.toFixed(1)} fps · ETA ${Number.isFinite(p.etaSeconds) ? p.etaSeconds.toFixed(1) + ' s' : '…'}`;
      },
    });
    const url = URL.createObjectURL(r.blob);
    $<HTMLVideoElement>('before').src = URL.createObjectURL(input);
    $<HTMLVideoElement>('after').src = url;
    $<HTMLAnchorElement>('download').href = url;
    const s = r.stats;
    $('summary').textContent = `${(r.blob.size / 1e6).toFixed(2)} MB · ${s.framesOut} frames · ${s.fps.toFixed(1)} fps · ${(s.wallTimeMs / 1000).toFixed(2)} s · encoder ${s.videoEncoder?.codec ?? 'none'}`;
    $<HTMLElement>('result').hidden = false;
    status.textContent = 'Done.';
  } catch (e) {
    showError(e);
  } finally {
    running = null;
    startBtn.disabled = false;
    cancelBtn.disabled = true;
  }
});
cancelBtn.addEventListener('click', () => running?.abort());
