// Every file of the shared corpus that the WebCodecs path reads, transcoded to 720p-bounded H.264 MP4 and
// checked with ffprobe/ffmpeg; every other file must fail with the right UNSUPPORTED_* code when the ffmpeg.wasm
// fallback is off (`fallback: 'never'`). fallback.spec.ts transcodes those through the fallback.
import { test, expect, run } from './fixtures';
import { expectedSize, manifest, mediaPath, moovBeforeMdat, probe, psnr, streamSpan, uploadDir, videoPts } from './media';
import { resolve } from 'node:path';

interface Case {
  file: string;
  vfr?: boolean;
  /**
   * Seconds by which ffprobe shows the input's video later than ISO/IEC 14496-12 says. The fragmented file uses
   * `trun` v1 signed composition offsets (§8.8.8: composition time = decode time + offset, first frame at 0) and
   * no edit list; ffmpeg shifts its PTS so none precedes its DTS. framepipe follows the spec.
   */
  ffprobeVideoShift?: number;
}

// MP4/MOV/fMP4 with H.264/VP9/AV1 video and AAC/Opus audio (or audio only).
const SUPPORTED: Case[] = [
  { file: 'h264-high-aac_flower_960x540_5s.mp4' },
  { file: 'h264-high-bframes-aac_bbb_1280x720p60_10s.mp4' },
  { file: 'iphone4s_h264-baseline_aac_rot90cw.mov', vfr: true },
  { file: 'fmp4-h264-aac51_bbb_1920x1080_rot90cw.mp4', ffprobeVideoShift: 0.083333 },
  { file: 'vfr-screenrec_h264_3026x1386_noaudio.mp4', vfr: true },
  { file: 'av1_tiny_64x64_1frame.mp4' },
  { file: 'aac-lc_44k_stereo_122s.m4a' },
  { file: 'multi-aac-tracks_2x5.1_audioonly_5s.mp4' },
  { file: 'derived/bench_bbb_h264-high-aac_1920x1080p30_20s.mp4' },
  { file: 'derived/h264-aac+opus_two-audio-tracks_bbb_1280x720p60_10s.mp4' },
  { file: 'derived/h264-aac_flower_850x478_odd.mp4' },
  { file: 'derived/h264-aac_flower_960x540_rot180.mp4' },
];

const UNSUPPORTED: Array<{ file: string; code: string }> = [
  { file: 'hevc-hev1-aac_1920x1080p30_10s.mp4', code: 'UNSUPPORTED_CODEC' },
  { file: 'derived/hevc-hvc1-aac_flower_960x540_rot90ccw.mov', code: 'UNSUPPORTED_CODEC' },
  { file: 'vp9-opus_bbb_1280x720p60_10s.webm', code: 'UNSUPPORTED_CONTAINER' },
  { file: 'vp8-vorbis51_bbb_1920x1080p30_20s.webm', code: 'UNSUPPORTED_CONTAINER' },
  { file: 'vp9-alpha_1280x720p60_9s.webm', code: 'UNSUPPORTED_CONTAINER' },
  { file: 'derived/av1-opus_bbb_640x360p60_10s.webm', code: 'UNSUPPORTED_CONTAINER' },
  { file: 'chrome-mediarecorder_h264_1920x1080.mkv', code: 'UNSUPPORTED_CONTAINER' },
  { file: 'h264-aac_720x720p60_5s.ts', code: 'UNSUPPORTED_CONTAINER' },
  { file: 'hevc-main10_640x360_noaudio_12s.ts', code: 'UNSUPPORTED_CONTAINER' },
  { file: 'flv_h264-baseline-aac_bbb_640x360_10s.flv', code: 'UNSUPPORTED_CONTAINER' },
  { file: 'avi_indeo4_256x240_15s.avi', code: 'UNSUPPORTED_CONTAINER' },
  { file: 'mp3-vbr_24k_stereo_38s.mp3', code: 'UNSUPPORTED_CONTAINER' },
  { file: 'opus_ogg_mono_4s.opus', code: 'UNSUPPORTED_CONTAINER' },
];

test('the case lists cover every top-level corpus file', () => {
  const listed = new Set([...SUPPORTED, ...UNSUPPORTED].map((c) => c.file));
  for (const m of manifest()) expect(listed.has(m.file), `${m.file} is not classified`).toBe(true);
});

for (const c of SUPPORTED) {
  test(`transcode ${c.file} → 720p-bounded H.264 MP4`, async ({ harness }) => {
    const input = mediaPath(c.file);
    const name = c.file.replace(/[^\w.-]/g, '_') + '.out.mp4';
    const r = await run(harness, { input: `/media/${c.file}`, upload: name, options: { video: { codec: 'avc', width: 1280, height: 720 }, audio: { codec: 'copy' } } });
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    const out = resolve(uploadDir, name);
    expect(moovBeforeMdat(out), 'moov before mdat').toBe(true);
    expect(r.stats.resources.videoFramesCreated).toBe(r.stats.resources.videoFramesClosed);

    const inP = probe(input, true);
    const outP = probe(out, true);
    const inV = inP.streams.find((s) => s.codec_type === 'video');
    const outV = outP.streams.find((s) => s.codec_type === 'video');
    const inA = inP.streams.filter((s) => s.codec_type === 'audio');
    const outA = outP.streams.filter((s) => s.codec_type === 'audio');
    expect(outA.length, 'every audio track kept').toBe(inA.length);

    if (inV) {
      const rot = Math.abs(inV.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? 0);
      const [ew, eh] = expectedSize(inV.width!, inV.height!, rot);
      expect(outV, 'output has video').toBeTruthy();
      expect(outV!.codec_name).toBe('h264');
      expect([outV!.width, outV!.height]).toEqual([ew, eh]);
      expect(outV!.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? 0, 'no display matrix left: pixels are upright').toBe(0);
      const inFrames = Number(inV.nb_read_frames);
      const outFrames = Number(outV!.nb_read_frames);
      if (c.vfr) expect(Math.abs(outFrames - inFrames)).toBeLessThanOrEqual(1);
      else expect(outFrames).toBe(inFrames);
      expect(r.stats.framesOut).toBe(outFrames);

      // Presentation timestamps carry through (VFR stays VFR): every frame within 1 ms of the input's.
      const a = videoPts(input);
      const b = videoPts(out);
      const shift = a[0] - b[0] - (c.ffprobeVideoShift ?? 0);
      expect(Math.abs(shift), 'first video PTS').toBeLessThan(0.002);
      const n = Math.min(a.length, b.length);
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(a[i] - a[0] - (b[i] - b[0])));
      expect(worst, 'max PTS difference (s)').toBeLessThan(0.0015);

      const frameDur = 1 / (inFrames > 1 ? inFrames / Number(inV.duration ?? inP.format.duration) : 24);
      const vIn = streamSpan(input, 'v');
      const vOut = streamSpan(out, 'v');
      expect(Math.abs(vOut - vIn), `video duration ${vOut} vs ${vIn}`).toBeLessThanOrEqual(Math.max(frameDur, 0.025) + 1e-3);

      const db = psnr(out, input, ew, eh);
      expect(db, 'PSNR vs ffmpeg-scaled input (dB)').toBeGreaterThanOrEqual(30);
    }
    for (let i = 0; i < inA.length; i++) {
      expect(outA[i].codec_name).toBe(inA[i].codec_name);
      expect(outA[i].channels).toBe(inA[i].channels);
      const aIn = streamSpan(input, 'a', i);
      const aOut = streamSpan(out, 'a', i);
      expect(Math.abs(aOut - aIn), `audio ${i} duration ${aOut} vs ${aIn}`).toBeLessThanOrEqual(0.025);
    }
    if (inV && inA.length) {
      // In sync: audio and video of the output start together, as in the input.
      const startDiffIn = Number(inA[0].start_time) - (Number(inV.start_time) - (c.ffprobeVideoShift ?? 0));
      const startDiffOut = Number(outA[0].start_time) - Number(outV!.start_time);
      expect(Math.abs(startDiffOut - startDiffIn)).toBeLessThanOrEqual(0.025);
    }
  });
}

for (const c of UNSUPPORTED) {
  test(`${c.file} → ${c.code} without the fallback`, async ({ harness }) => {
    mediaPath(c.file);
    const r = await run(harness, { input: `/media/${c.file}`, options: { fallback: 'never' } });
    expect(r.ok).toBe(false);
    expect(r.error!.isFramepipeError).toBe(true);
    expect(r.error!.code).toBe(c.code);
    expect(r.ms).toBeLessThan(15_000);
  });
}
