/**
 * Test input: a real fragmented MP4 made with native ffmpeg, split into the init segment and fragments by
 * walking top-level boxes, with each fragment's timing read from its `moof` (tfdt/trun, ISO/IEC 14496-12 §8.8).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBoxes, type BoxRef } from '../../../server/fmp4.ts';

/** The source clip (H.264 High + AAC, 960x540, 5 s, 150 video frames). */
export const SOURCE_CLIP = '/work/shared/media/h264-high-aac_flower_960x540_5s.mp4';

/** One fragment of the fixture. */
export interface SourceFragment {
  /** `moof+mdat` bytes. */
  payload: Uint8Array;
  /** Video tfdt, µs. */
  baseTimestampUs: number;
  /** Video duration of the fragment, or the longest track's for a fragment without video, µs. */
  durationUs: number;
  /** First video sample is a sync sample. */
  keyframe: boolean;
  /** Video samples in the fragment. */
  videoSamples: number;
}

/** A split fragmented MP4. */
export interface FragmentedFixture {
  /** Path of the whole fMP4 file. */
  path: string;
  /** `ftyp+moov`. */
  init: Uint8Array;
  /** Fragments in order. */
  fragments: SourceFragment[];
}

interface TrackInfo {
  timescale: number;
  video: boolean;
  defaultDuration: number;
  defaultFlags: number;
}

function kids(bytes: Uint8Array, box: BoxRef): BoxRef[] {
  return readBoxes(bytes, box.payloadStart, box.end);
}

/** Splits fMP4 bytes into init + fragments (ignores `mfra`, `free`, …). */
export function splitFragmentedMp4(bytes: Uint8Array): { init: Uint8Array; fragments: SourceFragment[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const top = readBoxes(bytes);
  const moovIndex = top.findIndex((b) => b.type === 'moov');
  if (moovIndex < 0) throw new Error('no moov');
  const init = bytes.slice(0, top[moovIndex].end);
  const moov = top[moovIndex];
  const tracks = new Map<number, TrackInfo>();
  for (const trak of kids(bytes, moov).filter((b) => b.type === 'trak')) {
    const tkhd = kids(bytes, trak).find((b) => b.type === 'tkhd')!;
    const version = bytes[tkhd.payloadStart];
    const id = view.getUint32(tkhd.payloadStart + 4 + (version === 1 ? 16 : 8));
    const mdia = kids(bytes, trak).find((b) => b.type === 'mdia')!;
    const mdhd = kids(bytes, mdia).find((b) => b.type === 'mdhd')!;
    const mdhdVersion = bytes[mdhd.payloadStart];
    const timescale = view.getUint32(mdhd.payloadStart + 4 + (mdhdVersion === 1 ? 16 : 8));
    const hdlr = kids(bytes, mdia).find((b) => b.type === 'hdlr')!;
    const handler = String.fromCharCode(...bytes.subarray(hdlr.payloadStart + 8, hdlr.payloadStart + 12));
    tracks.set(id, { timescale, video: handler === 'vide', defaultDuration: 0, defaultFlags: 0 });
  }
  const mvex = kids(bytes, moov).find((b) => b.type === 'mvex');
  for (const trex of mvex ? kids(bytes, mvex).filter((b) => b.type === 'trex') : []) {
    const t = tracks.get(view.getUint32(trex.payloadStart + 4));
    if (t) {
      t.defaultDuration = view.getUint32(trex.payloadStart + 12);
      t.defaultFlags = view.getUint32(trex.payloadStart + 20);
    }
  }

  const fragments: SourceFragment[] = [];
  for (let i = moovIndex + 1; i < top.length; i++) {
    if (top[i].type !== 'moof') continue;
    const mdat = top[i + 1];
    if (!mdat || mdat.type !== 'mdat') throw new Error('moof without mdat');
    const moof = top[i];
    let durationUs = 0;
    let videoDurationUs = -1;
    let baseTimestampUs = -1;
    let keyframe = false;
    let videoSamples = 0;
    for (const traf of kids(bytes, moof).filter((b) => b.type === 'traf')) {
      const boxes = kids(bytes, traf);
      const tfhd = boxes.find((b) => b.type === 'tfhd')!;
      const tfhdFlags = view.getUint32(tfhd.payloadStart) & 0xffffff;
      const track = tracks.get(view.getUint32(tfhd.payloadStart + 4))!;
      let at = tfhd.payloadStart + 8;
      if (tfhdFlags & 0x1) at += 8;
      if (tfhdFlags & 0x2) at += 4;
      let defaultDuration = track.defaultDuration;
      let defaultFlags = track.defaultFlags;
      if (tfhdFlags & 0x8) {
        defaultDuration = view.getUint32(at);
        at += 4;
      }
      if (tfhdFlags & 0x10) at += 4;
      if (tfhdFlags & 0x20) defaultFlags = view.getUint32(at);
      const tfdt = boxes.find((b) => b.type === 'tfdt')!;
      const tfdtVersion = bytes[tfdt.payloadStart];
      const baseTicks =
        tfdtVersion === 1 ? Number(view.getBigUint64(tfdt.payloadStart + 4)) : view.getUint32(tfdt.payloadStart + 4);
      let ticks = 0;
      let firstFlags = -1;
      for (const trun of boxes.filter((b) => b.type === 'trun')) {
        const flags = view.getUint32(trun.payloadStart) & 0xffffff;
        const count = view.getUint32(trun.payloadStart + 4);
        let p = trun.payloadStart + 8;
        if (flags & 0x1) p += 4;
        let firstSampleFlags = -1;
        if (flags & 0x4) {
          firstSampleFlags = view.getUint32(p);
          p += 4;
        }
        for (let s = 0; s < count; s++) {
          let duration = defaultDuration;
          let sampleFlags = s === 0 && firstSampleFlags >= 0 ? firstSampleFlags : defaultFlags;
          if (flags & 0x100) {
            duration = view.getUint32(p);
            p += 4;
          }
          if (flags & 0x200) p += 4;
          if (flags & 0x400) {
            sampleFlags = view.getUint32(p);
            p += 4;
          }
          if (flags & 0x800) p += 4;
          if (firstFlags < 0) firstFlags = sampleFlags;
          ticks += duration;
        }
        if (track.video) videoSamples += count;
      }
      const trackUs = Math.round((ticks * 1e6) / track.timescale);
      durationUs = Math.max(durationUs, trackUs);
      if (track.video) {
        videoDurationUs = trackUs;
        baseTimestampUs = Math.round((baseTicks * 1e6) / track.timescale);
        keyframe = firstFlags >= 0 && (firstFlags & 0x10000) === 0;
      } else if (baseTimestampUs < 0) {
        baseTimestampUs = Math.round((baseTicks * 1e6) / track.timescale);
      }
    }
    if (videoDurationUs > 0) durationUs = videoDurationUs;
    fragments.push({ payload: bytes.slice(moof.start, mdat.end), baseTimestampUs, durationUs, keyframe, videoSamples });
    i++;
  }
  return { init, fragments };
}

/**
 * Remuxes {@link SOURCE_CLIP} (no re-encode) into a fragmented MP4 and splits it.
 * @param fragDurationUs - ffmpeg `-frag_duration` (fragments are also cut at every keyframe)
 * @param loops - extra repetitions of the clip (`-stream_loop`), for longer streams
 */
export function makeFragmentedFixture(fragDurationUs = 500_000, loops = 0): FragmentedFixture & { cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'framepipe-ingest-fixture-'));
  const path = join(dir, 'frag.mp4');
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    ...(loops > 0 ? ['-stream_loop', String(loops)] : []),
    '-i', SOURCE_CLIP,
    '-c', 'copy', '-f', 'mp4',
    '-movflags', 'frag_keyframe+empty_moov+default_base_moof',
    '-frag_duration', String(fragDurationUs),
    path,
  ]);
  const { init, fragments } = splitFragmentedMp4(new Uint8Array(readFileSync(path)));
  return { path, init, fragments, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** ffprobe JSON of a file or URL. */
export function ffprobe(input: string, extra: string[] = []): {
  streams: { codec_type: string; nb_read_packets?: string; nb_read_frames?: string; duration?: string }[];
  format: { duration?: string };
} {
  const out = execFileSync('ffprobe', [
    '-v', 'error', ...extra,
    '-show_entries', 'stream=codec_type,nb_read_packets,nb_read_frames,duration:format=duration',
    '-of', 'json', input,
  ]);
  return JSON.parse(out.toString());
}
