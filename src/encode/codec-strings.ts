import type { VideoCodecName } from '../types/options';

// H.264 levels: [level_idc, max macroblocks/s, max frame size in macroblocks] — ITU-T H.264 Annex A, Table A-1.
const AVC_LEVELS: Array<[number, number, number]> = [
  [30, 40_500, 1_620], [31, 108_000, 3_600], [32, 216_000, 5_120], [40, 245_760, 8_192], [41, 245_760, 8_192],
  [42, 522_240, 8_704], [50, 589_824, 22_080], [51, 983_040, 36_864], [52, 2_073_600, 36_864],
  [60, 4_177_920, 139_264], [61, 8_355_840, 139_264], [62, 16_711_680, 139_264],
];

/**
 * Smallest H.264 level_idc whose limits (Annex A, Table A-1) admit `width`×`height` at `fps`.
 * Returns 62 when nothing smaller fits.
 */
export function avcLevel(width: number, height: number, fps: number): number {
  const mbs = Math.ceil(width / 16) * Math.ceil(height / 16);
  for (const [level, maxMbps, maxFs] of AVC_LEVELS) {
    if (mbs <= maxFs && mbs * fps <= maxMbps) return level;
  }
  return 62;
}

// AV1 levels: [seq_level_idx, max picture size (samples), max display rate (samples/s)] — AV1 spec Annex A.3.
const AV1_LEVELS: Array<[number, number, number]> = [
  [0, 147_456, 4_423_680], [1, 278_784, 8_363_520], [4, 665_856, 19_975_680], [5, 1_065_024, 31_950_720],
  [8, 2_359_296, 70_778_880], [9, 2_359_296, 141_557_760], [12, 8_912_896, 267_386_880], [13, 8_912_896, 534_773_760],
  [14, 8_912_896, 1_069_547_520], [16, 35_651_584, 1_069_547_520],
];

// VP9 levels: [level*10, max picture size, max sample rate] — VP9 bitstream spec Annex A.
const VP9_LEVELS: Array<[number, number, number]> = [
  [10, 36_864, 829_440], [11, 73_728, 2_764_800], [20, 122_880, 4_608_000], [21, 245_760, 9_216_000],
  [30, 552_960, 20_736_000], [31, 983_040, 36_864_000], [40, 2_228_224, 83_558_400], [41, 2_228_224, 160_432_128],
  [50, 8_912_896, 311_951_360], [51, 8_912_896, 588_251_136], [52, 8_912_896, 1_176_502_272], [60, 35_651_584, 1_176_502_272],
];

function pick(table: Array<[number, number, number]>, width: number, height: number, fps: number): number {
  const px = width * height;
  for (const [level, maxPx, maxRate] of table) if (px <= maxPx && px * fps <= maxRate) return level;
  return table[table.length - 1][0];
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/**
 * Candidate WebCodecs codec strings for an output, best first (RFC 6381 / the WebCodecs codec registry):
 * AVC High, Main, Constrained Baseline (`avc1.PPCCLL`); VP9 profile 0 8-bit (`vp09.00.LL.08`);
 * AV1 Main 8-bit (`av01.0.LLM.08`). Levels are the smallest that admit the size and rate.
 */
export function videoCodecCandidates(codec: VideoCodecName, width: number, height: number, fps: number): string[] {
  if (codec === 'avc') {
    const l = hex2(avcLevel(width, height, fps));
    return [`avc1.6400${l}`, `avc1.4d00${l}`, `avc1.42e0${l}`];
  }
  if (codec === 'vp9') return [`vp09.00.${String(pick(VP9_LEVELS, width, height, fps)).padStart(2, '0')}.08`];
  return [`av01.0.${String(pick(AV1_LEVELS, width, height, fps)).padStart(2, '0')}M.08`];
}

/** Default bitrate (bits/s) for a size and rate: ~0.09 bits/pixel/frame for AVC, 0.06 for VP9/AV1, clamped. */
export function defaultVideoBitrate(codec: VideoCodecName, width: number, height: number, fps: number): number {
  const bpp = codec === 'avc' ? 0.09 : 0.06;
  return Math.round(Math.min(50e6, Math.max(200e3, width * height * Math.min(fps, 60) * bpp)));
}
