// Human-readable output for the CLI: plan lines, result summary, progress (cli-progress bar on a TTY,
// plain throttled lines otherwise).

import cliProgress from 'cli-progress';

/** @param {number} bytes */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '?';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[i]}`;
}

/** @param {number} bps */
export function formatBitrate(bps) {
  if (!Number.isFinite(bps) || bps <= 0) return '';
  if (bps >= 1e6) return `${+(bps / 1e6).toFixed(2)} Mb/s`;
  if (bps >= 1e3) return `${+(bps / 1e3).toFixed(1)} kb/s`;
  return `${Math.round(bps)} b/s`;
}

/** @param {number | undefined | null} seconds */
export function formatDuration(seconds) {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * One stream description: `h264 1920x1080 29.97fps 2.5 Mb/s` / `aac 48000Hz 2ch`.
 * Tolerant of missing fields (the plan format may grow).
 * @param {Record<string, any> | undefined} s
 */
export function describeStream(s) {
  if (!s || typeof s !== 'object') return '';
  const parts = [];
  if (s.codec) parts.push(String(s.codec));
  const w = s.width ?? s.displayWidth ?? s.codedWidth;
  const h = s.height ?? s.displayHeight ?? s.codedHeight;
  if (w && h) parts.push(`${w}x${h}`);
  const fr = s.framerate ?? s.frameRate ?? s.fps;
  if (typeof fr === 'number' && fr > 0) parts.push(`${+fr.toFixed(3)}fps`);
  if (typeof s.rotation === 'number' && s.rotation) parts.push(`rot${s.rotation}`);
  if (s.sampleRate) parts.push(`${s.sampleRate}Hz`);
  const ch = s.numberOfChannels ?? s.channels;
  if (ch) parts.push(`${ch}ch`);
  if (typeof s.bitrate === 'number') {
    const b = formatBitrate(s.bitrate);
    if (b) parts.push(b);
  }
  return parts.join(' ');
}

/**
 * `#1 video h264 1920x1080 → transcode avc 1280x720 (reason)`
 * @param {Record<string, any>} t plan track
 */
export function formatTrack(t) {
  const id = t.trackId ?? t.id ?? '?';
  const input = describeStream(t.input) || '?';
  let line = `#${id} ${t.kind ?? 'track'} ${input} → ${t.action ?? '?'}`;
  if (t.action !== 'drop' && t.output) {
    const out = describeStream(t.output);
    if (out) line += ` ${out}`;
  }
  if (t.reason) line += ` (${t.reason})`;
  return line;
}

/**
 * Multi-line readable plan.
 * @param {Record<string, any>} plan
 */
export function formatPlan(plan) {
  if (!plan || typeof plan !== 'object') return `plan: ${JSON.stringify(plan)}`;
  const head = ['plan:'];
  if (plan.container) head.push(typeof plan.container === 'string' ? plan.container : JSON.stringify(plan.container));
  if (typeof plan.durationUs === 'number') head.push(plan.durationUs < 60e6 ? `${+(plan.durationUs / 1e6).toFixed(3)}s` : formatDuration(plan.durationUs / 1e6));
  if (plan.outputContainer) head.push(`→ ${plan.outputContainer}`);
  const lines = [head.join(' ')];
  const tracks = Array.isArray(plan.tracks) ? plan.tracks : [];
  if (!tracks.length) lines.push('  (no tracks)');
  for (const t of tracks) lines.push('  ' + formatTrack(t));
  if (plan.trim && (plan.trim.start != null || plan.trim.end != null)) {
    const a = plan.trim.start != null ? (plan.trim.start / 1e6).toString() : '';
    const b = plan.trim.end != null ? (plan.trim.end / 1e6).toString() : '';
    lines.push(`  trim ${a}:${b} s`);
  }
  const warnings = Array.isArray(plan.warnings) ? plan.warnings : [];
  for (const w of warnings) lines.push(`  warning: ${typeof w === 'string' ? w : (w?.message ?? JSON.stringify(w))}`);
  return lines.join('\n');
}

/**
 * Compact `k=v` rendering of the primitive fields of a (possibly nested) object, for the encoder stats.
 * @param {unknown} obj
 */
function flatPairs(obj, prefix = '') {
  if (!obj || typeof obj !== 'object') return [];
  /** @type {string[]} */
  const out = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v == null) continue;
    if (typeof v === 'object' && !Array.isArray(v)) out.push(...flatPairs(v, `${prefix}${k}.`));
    else if (!Array.isArray(v)) out.push(`${prefix}${k}=${typeof v === 'number' && !Number.isInteger(v) ? +v.toFixed(2) : v}`);
  }
  return out;
}

/**
 * @param {{ output: string, bytes: number, stats?: Record<string, any>, wallMs: number }} r
 */
export function formatSummary(r) {
  const s = r.stats ?? {};
  const lines = [`wrote ${r.output} (${formatBytes(r.bytes)}) in ${formatDuration((s.wallTimeMs ?? r.wallMs) / 1000)}`];
  const parts = [];
  const hasFrames = Boolean(s.framesIn || s.framesOut);
  if (hasFrames && s.framesIn != null) parts.push(`${s.framesIn} frames in`);
  if (hasFrames && s.framesOut != null) parts.push(`${s.framesOut} frames out`);
  if (hasFrames && typeof s.fps === 'number') parts.push(`${s.fps.toFixed(1)} fps`);
  if (s.audioPacketsOut) parts.push(`${s.audioPacketsOut} audio packets out`);
  if (parts.length) lines.push('  ' + parts.join(', '));
  for (const [key, label] of [['encoder', 'encoder'], ['videoEncoder', 'video encoder'], ['audioEncoder', 'audio encoder']]) {
    const enc = flatPairs(s[key]);
    if (enc.length) lines.push(`  ${label}: ${enc.join(' ')}`);
  }
  return lines.join('\n');
}

/**
 * Progress display. On a TTY: a cli-progress bar with fps/ETA. Otherwise: a plain line every 10% (or 5 s).
 * @param {{ stream?: NodeJS.WriteStream, enabled?: boolean, tty?: boolean }} [opts]
 */
export function createProgress(opts = {}) {
  const stream = opts.stream ?? process.stderr;
  const enabled = opts.enabled ?? true;
  const tty = opts.tty ?? Boolean(stream.isTTY);
  const SCALE = 1000;

  /** @type {cliProgress.SingleBar | null} */
  let bar = null;
  let started = false;
  let stopped = false;
  let lastPct = -1;
  let lastLineAt = 0;
  /** @type {any} */
  let last = null;

  const tokens = (p) => {
    const done = p.framesDone ?? 0;
    const total = p.framesTotal ?? 0;
    return {
      frames: total > 0 ? `${done}/${total} frames` : `${done} frames`,
      fpsText: typeof p.fps === 'number' && Number.isFinite(p.fps) ? p.fps.toFixed(1) : '-',
      etaText: typeof p.etaSeconds === 'number' && Number.isFinite(p.etaSeconds) ? formatDuration(p.etaSeconds) : '-',
      elapsedText: typeof p.elapsedMs === 'number' ? formatDuration(p.elapsedMs / 1000) : '-',
    };
  };
  const fractionOf = (p) => {
    let f = typeof p.fraction === 'number' && Number.isFinite(p.fraction) ? p.fraction : p.framesTotal ? (p.framesDone ?? 0) / p.framesTotal : 0;
    return Math.min(1, Math.max(0, f));
  };

  return {
    /** @param {any} p library progress `{ framesDone, framesTotal, fraction, fps, etaSeconds, elapsedMs }` */
    update(p) {
      if (!enabled || stopped || !p) return;
      last = p;
      const f = fractionOf(p);
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              stream,
              format: ' {bar} {percentage}% | {frames} | {fpsText} fps | elapsed {elapsedText} | ETA {etaText}',
              barsize: 30,
              hideCursor: true,
              clearOnComplete: false,
              stopOnComplete: false,
              fps: 10,
              etaBuffer: 1,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(SCALE, 0, tokens(p));
        }
        bar.update(Math.round(f * SCALE), tokens(p));
        started = true;
        return;
      }
      // Plain lines: at 10% steps, at most one per second, at least one every 5 s.
      const pct = Math.floor(f * 100);
      const now = Date.now();
      const step = Math.floor(pct / 10);
      if ((step > Math.floor(lastPct / 10) && now - lastLineAt >= 1000) || now - lastLineAt >= 5000 || (pct >= 100 && lastPct < 100)) {
        const t = tokens(p);
        stream.write(`progress ${String(pct).padStart(3)}% ${t.frames} ${t.fpsText} fps elapsed ${t.elapsedText} ETA ${t.etaText}\n`);
        lastPct = pct;
        lastLineAt = now;
      }
      started = true;
    },
    /** @param {{ complete?: boolean }} [o] */
    stop(o = {}) {
      if (stopped) return;
      stopped = true;
      if (!enabled) return;
      if (bar) {
        if (o.complete && last) bar.update(SCALE, tokens(last));
        bar.stop();
        bar = null;
      } else if (!tty && started && o.complete && lastPct < 100 && last) {
        const t = tokens(last);
        stream.write(`progress 100% ${t.frames} ${t.fpsText} fps elapsed ${t.elapsedText}\n`);
      }
    },
  };
}
