import { FramepipeError } from '../errors';
import { openSource } from '../source/open-source';
import type { MediaInput } from '../types/options';
import type { ByteSource, Demuxer } from '../types/stages';
import { Mp4boxDemuxer } from './mp4box-demuxer';
import { sniffContainer } from './sniff';

const CONTAINER_HINT: Record<string, string> = {
  webm: 'WebM', matroska: 'Matroska (MKV)', mpegts: 'MPEG-TS', flv: 'FLV', avi: 'AVI', ogg: 'Ogg', mp3: 'MP3',
  adts: 'raw AAC (ADTS)', flac: 'FLAC', wav: 'WAV',
};

/** Opens the input and its demuxer. Throws `UNSUPPORTED_CONTAINER` for known non-MP4 formats, `CORRUPT_INPUT` otherwise. */
export async function openDemuxer(input: MediaInput, signal?: AbortSignal): Promise<{ source: ByteSource; demuxer: Demuxer }> {
  const source = await openSource(input, signal);
  if (source.size === 0) throw new FramepipeError('CORRUPT_INPUT', 'The input is empty (0 bytes).');
  const kind = sniffContainer(await source.read(0, 512, signal));
  if (kind === 'unknown') {
    throw new FramepipeError('CORRUPT_INPUT', 'The input is not a recognised media file (no known container signature in its first bytes).');
  }
  if (kind !== 'mp4' && kind !== 'mov') {
    throw new FramepipeError('UNSUPPORTED_CONTAINER', `${CONTAINER_HINT[kind] ?? kind} input is not supported by the WebCodecs path (MP4/MOV/fragmented MP4 only).`, { container: kind });
  }
  return { source, demuxer: await Mp4boxDemuxer.open(source, kind, signal) };
}

