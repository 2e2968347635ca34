/**
 * HLS media playlist for an ingested stream (RFC 8216): version 7, fMP4 segments with `EXT-X-MAP`,
 * one segment per fragment, `EXT-X-ENDLIST` once the stream ended.
 */

/** One media segment of the playlist. */
export interface PlaylistSegment {
  /** Segment file name relative to the playlist. */
  uri: string;
  /** Duration, µs. */
  durationUs: number;
}

/**
 * Renders the playlist.
 *
 * `EXT-X-TARGETDURATION` is the largest segment duration rounded up to whole seconds (RFC 8216 §4.3.3.1 requires
 * every EXTINF, rounded to the nearest integer, to be ≤ it). It is computed from the segments seen so far, so
 * it can grow while a stream is live when a later fragment is longer than all earlier ones; set
 * `minTargetDurationSec` to the encoder's maximum fragment length to keep it constant.
 *
 * @param segments - segments in order
 * @param ended - append `EXT-X-ENDLIST`
 * @param minTargetDurationSec - lower bound for the target duration, seconds
 */
export function renderPlaylist(segments: readonly PlaylistSegment[], ended: boolean, minTargetDurationSec = 1): string {
  let maxUs = 0;
  for (const s of segments) maxUs = Math.max(maxUs, s.durationUs);
  const target = Math.max(minTargetDurationSec, Math.ceil(maxUs / 1e6 - 1e-9));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:EVENT',
    '#EXT-X-MAP:URI="init.mp4"',
  ];
  for (const s of segments) lines.push(`#EXTINF:${(s.durationUs / 1e6).toFixed(6)},`, s.uri);
  if (ended) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}
