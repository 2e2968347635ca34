// Pure argument helpers for the framepipe CLI: value parsers (bitrate, trim, numbers) and the mapping from
// commander's parsed flags to the library's `TranscodeOptions`. No I/O here, so it is unit-testable.

/** A usage error detected by the CLI itself (reported as `error BAD_ARGUMENT: …`). */
export class CliError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{ exitCode?: number, hint?: string }} [extra]
   */
  constructor(code, message, extra = {}) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = extra.exitCode ?? 1;
    this.hint = extra.hint;
  }
}

export const VIDEO_CODECS = ['avc', 'vp9', 'av1'];
export const VIDEO_CODEC_ALIASES = { h264: 'avc', avc1: 'avc', vp09: 'vp9', av01: 'av1' };
export const AUDIO_CODECS = ['copy', 'opus', 'aac'];
export const FITS = ['contain', 'cover', 'fill'];

const SUFFIX = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

/**
 * Parses a bitrate: `2.5M`, `800k`, `128000`, `1.2Mbps`, `800kb/s` → bits per second (integer).
 * @param {string} value
 * @returns {number}
 */
export function parseBitrate(value) {
  const s = String(value).trim();
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([kmg]?)(?:bps|b\/s|b)?$/i.exec(s);
  if (!m) throw new CliError('BAD_ARGUMENT', `invalid bitrate "${value}" (examples: 2.5M, 800k, 128000)`);
  const bits = Math.round(Number(m[1]) * SUFFIX[m[2].toLowerCase()]);
  if (!(bits > 0) || !Number.isSafeInteger(bits)) throw new CliError('BAD_ARGUMENT', `invalid bitrate "${value}": must be > 0`);
  return bits;
}

/**
 * Parses `--trim START:END` in seconds (either side may be empty: `1.5:`, `:4`) → `{ start?, end? }` in µs.
 * @param {string} value
 * @returns {{ start?: number, end?: number }}
 */
export function parseTrim(value) {
  const s = String(value).trim();
  const parts = s.split(':');
  if (parts.length !== 2) throw new CliError('BAD_ARGUMENT', `invalid --trim "${value}": expected START:END in seconds (e.g. 1.5:4, 2:, :10)`);
  /** @type {{ start?: number, end?: number }} */
  const trim = {};
  const [a, b] = parts.map((p) => p.trim());
  const num = (p, which) => {
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(p)) throw new CliError('BAD_ARGUMENT', `invalid --trim ${which} "${p}": expected a non-negative number of seconds`);
    return Math.round(Number(p) * 1e6);
  };
  if (a !== '') trim.start = num(a, 'start');
  if (b !== '') trim.end = num(b, 'end');
  if (trim.start === undefined && trim.end === undefined) throw new CliError('BAD_ARGUMENT', `invalid --trim "${value}": give a start, an end, or both`);
  if (trim.start !== undefined && trim.end !== undefined && trim.end <= trim.start) {
    throw new CliError('BAD_ARGUMENT', `invalid --trim "${value}": end must be after start`);
  }
  return trim;
}

/**
 * @param {string} name flag name for messages
 * @param {{ integer?: boolean }} [opts]
 * @returns {(value: string) => number}
 */
export function positiveNumber(name, opts = {}) {
  return (value) => {
    const s = String(value).trim();
    const n = Number(s);
    if (s === '' || !Number.isFinite(n) || n <= 0) throw new CliError('BAD_ARGUMENT', `invalid ${name} "${value}": must be a positive number`);
    if (opts.integer && !Number.isInteger(n)) throw new CliError('BAD_ARGUMENT', `invalid ${name} "${value}": must be a positive integer`);
    return n;
  };
}

/** @param {string} value */
export function parseVideoCodec(value) {
  const v = String(value).trim().toLowerCase();
  const codec = VIDEO_CODEC_ALIASES[v] ?? v;
  if (!VIDEO_CODECS.includes(codec)) throw new CliError('BAD_ARGUMENT', `invalid --codec "${value}": expected one of ${VIDEO_CODECS.join(', ')}`);
  return codec;
}

/** @param {string} value */
export function parseAudioCodec(value) {
  const v = String(value).trim().toLowerCase();
  if (!AUDIO_CODECS.includes(v)) throw new CliError('BAD_ARGUMENT', `invalid --audio "${value}": expected one of ${AUDIO_CODECS.join(', ')} (or --no-audio)`);
  return v;
}

/** @param {string} value */
export function parseFit(value) {
  const v = String(value).trim().toLowerCase();
  if (!FITS.includes(v)) throw new CliError('BAD_ARGUMENT', `invalid --fit "${value}": expected one of ${FITS.join(', ')}`);
  return v;
}

/**
 * Maps commander's parsed flags to the library's options (JSON-serializable; the page adds signal/callbacks).
 *
 * Defaults: video `{ codec: 'avc' }` (keeps the size), audio `{ codec: 'copy' }`.
 * `--no-video` → `video: false`, `--no-audio` → `audio: false`.
 *
 * @param {Record<string, any>} flags commander `opts()`
 * @returns {Record<string, any>}
 */
export function buildLibraryOptions(flags) {
  /** @type {Record<string, any>} */
  const options = { container: flags.container ?? 'mp4' };
  if (flags.fallback !== undefined) options.fallback = flags.fallback;

  const videoFlags = ['codec', 'width', 'height', 'fit', 'bitrate', 'framerate', 'keyframeInterval'];
  if (flags.video === false) {
    const given = videoFlags.filter((k) => flags[k] !== undefined);
    if (given.length) {
      throw new CliError('BAD_ARGUMENT', `--no-video cannot be combined with video options (${given.map(flagName).join(', ')})`);
    }
    options.video = false;
  } else {
    /** @type {Record<string, any>} */
    const video = { codec: flags.codec ?? 'avc' };
    if (flags.width !== undefined) video.width = flags.width;
    if (flags.height !== undefined) video.height = flags.height;
    if (flags.fit !== undefined) video.fit = flags.fit;
    if (flags.bitrate !== undefined) video.bitrate = flags.bitrate;
    if (flags.framerate !== undefined) video.framerate = flags.framerate;
    if (flags.keyframeInterval !== undefined) video.keyframeInterval = flags.keyframeInterval;
    options.video = video;
  }

  const audioFlags = ['audioBitrate', 'audioSampleRate', 'audioChannels'];
  if (flags.audio === false) {
    const given = audioFlags.filter((k) => flags[k] !== undefined);
    if (given.length) {
      throw new CliError('BAD_ARGUMENT', `--no-audio cannot be combined with audio options (${given.map(flagName).join(', ')})`);
    }
    options.audio = false;
  } else {
    // Encoding parameters imply re-encoding: `--audio-bitrate 96k` alone means opus, not copy.
    const wantsEncode = audioFlags.some((k) => flags[k] !== undefined);
    const codec = typeof flags.audio === 'string' ? flags.audio : wantsEncode ? 'opus' : 'copy';
    if (codec === 'copy' && wantsEncode) {
      throw new CliError('BAD_ARGUMENT', `--audio copy cannot be combined with ${audioFlags.filter((k) => flags[k] !== undefined).map(flagName).join(', ')} (use --audio opus)`);
    }
    /** @type {Record<string, any>} */
    const audio = { codec };
    if (flags.audioBitrate !== undefined) audio.bitrate = flags.audioBitrate;
    if (flags.audioSampleRate !== undefined) audio.sampleRate = flags.audioSampleRate;
    if (flags.audioChannels !== undefined) audio.numberOfChannels = flags.audioChannels;
    options.audio = audio;
  }

  if (options.video === false && options.audio === false) {
    throw new CliError('BAD_ARGUMENT', '--no-video and --no-audio together leave nothing to output');
  }

  if (flags.trim !== undefined) options.trim = flags.trim;
  return options;
}

/** camelCase option key → `--kebab-case` flag name. */
function flagName(key) {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}
