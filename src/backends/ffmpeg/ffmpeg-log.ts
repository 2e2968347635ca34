import { FramepipeError } from '../../errors';

/** Lines of ffmpeg's log kept for error details. */
const TAIL_LINES = 30;

/** The last lines of an ffmpeg log, for `FramepipeError.details.log`. */
export function logTail(lines: readonly string[], n = TAIL_LINES): string {
  return lines.slice(-n).join('\n');
}

const CORRUPT = /Invalid data found when processing input|could not find codec parameters|moov atom not found|End of file|Error opening input|No such file or directory|Invalid argument|does not contain any stream|Failed to read frame size|error reading header|Unknown input format/i;
const NO_DECODER = /Decoder \(codec [^)]*\) not found|Unsupported codec|codec not currently supported|Could not find tag for codec|not supported by the bitstream filter|is not supported in|Failed to open codec|Error while opening decoder|No decoder/i;

/**
 * Maps a failed ffmpeg run (non-zero exit) to a FramepipeError: decoder/muxer refusing a codec →
 * `UNSUPPORTED_CODEC`, unreadable input → `CORRUPT_INPUT`, anything else → `fallback`. `details.log` carries the
 * tail of ffmpeg's log, `details.exitCode` the exit status.
 */
export function ffmpegFailure(what: string, exitCode: number, lines: readonly string[], fallback: 'CORRUPT_INPUT' | 'UNSUPPORTED_CODEC' | 'INTERNAL' = 'CORRUPT_INPUT'): FramepipeError {
  const log = logTail(lines);
  const text = lines.join('\n');
  const code = NO_DECODER.test(text) ? 'UNSUPPORTED_CODEC' : CORRUPT.test(text) ? 'CORRUPT_INPUT' : fallback;
  const reason = lines.filter((l) => /error|invalid|not found|unsupported|not supported|failed/i.test(l)).slice(-1)[0] ?? `exit code ${exitCode}`;
  return new FramepipeError(code, `ffmpeg.wasm ${what} failed: ${reason.trim()}`, { exitCode, log });
}

/** One frame line of the `showinfo`/`ashowinfo` filter: `n`, `pts` in the filter link's time base. */
export interface ShowinfoFrame {
  n: number;
  pts: number;
}

/** Time base `{ num, den }` from showinfo's `config in time_base: 1/90000` line. */
export function parseShowinfoTimeBase(line: string): { num: number; den: number } | null {
  const m = /config in time_base: (\d+)\/(\d+)/.exec(line);
  return m ? { num: Number(m[1]), den: Number(m[2]) } : null;
}

/** `n: 12 pts: 36000 ...` (showinfo, ffmpeg 5.1) or `n:12 pts:36000 ...` (ashowinfo). */
export function parseShowinfoFrame(line: string): ShowinfoFrame | null {
  if (!/Parsed_a?showinfo/.test(line)) return null;
  const m = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)/.exec(line);
  return m ? { n: Number(m[1]), pts: Number(m[2]) } : null;
}

/** `num/den` seconds → µs, exact to the nearest integer. */
export function ticksToUs(ticks: number, tb: { num: number; den: number }): number {
  return Math.round((ticks * tb.num * 1e6) / tb.den);
}

/** µs → seconds as ffmpeg parses a duration (`-ss`, filter `start=`): six decimals, exact for integer µs. */
export function usToSec(us: number): string {
  const neg = us < 0;
  const a = Math.abs(Math.round(us));
  const s = `${Math.floor(a / 1e6)}.${String(a % 1e6).padStart(6, '0')}`;
  return neg ? `-${s}` : s;
}
