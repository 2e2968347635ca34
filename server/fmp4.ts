/**
 * Just enough ISO BMFF (ISO/IEC 14496-12) parsing for the ingest server: top-level box walking, the video
 * track ids of an init segment, and the number of video samples in a fragment (for the fps statistic).
 * Runtime-agnostic (Node and Deno).
 */

/** A box found by {@link readBoxes}: its type and where its payload lies in the parent buffer (bytes). */
export interface BoxRef {
  /** Four-character type, e.g. `moof`. */
  type: string;
  /** Offset of the box header. */
  start: number;
  /** Offset of the payload (after size, type and a 64-bit size if present). */
  payloadStart: number;
  /** Offset one past the end of the box. */
  end: number;
}

/**
 * Lists the boxes in `bytes[from, to)` (ISO/IEC 14496-12 §4.2: 32-bit size, or 1 = 64-bit size, or 0 = to end).
 * Stops at the first box that does not fit, so a truncated tail yields the boxes before it.
 */
export function readBoxes(bytes: Uint8Array, from = 0, to = bytes.length): BoxRef[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxes: BoxRef[] = [];
  let offset = from;
  while (offset + 8 <= to) {
    let size = view.getUint32(offset);
    const type = String.fromCharCode(bytes[offset + 4], bytes[offset + 5], bytes[offset + 6], bytes[offset + 7]);
    let header = 8;
    if (size === 1) {
      if (offset + 16 > to) break;
      size = Number(view.getBigUint64(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = to - offset;
    }
    if (size < header || offset + size > to) break;
    boxes.push({ type, start: offset, payloadStart: offset + header, end: offset + size });
    offset += size;
  }
  return boxes;
}

function child(bytes: Uint8Array, parent: BoxRef, type: string): BoxRef | undefined {
  return readBoxes(bytes, parent.payloadStart, parent.end).find((b) => b.type === type);
}

/** What the server needs from an init segment. */
export interface InitInfo {
  /** Track ids whose handler is `vide`. */
  videoTrackIds: number[];
  /** All track ids. */
  trackIds: number[];
}

/**
 * Reads the track ids and handlers of an init segment (`ftyp+moov`).
 * @returns null when there is no `moov` (not an init segment)
 */
export function parseInit(bytes: Uint8Array): InitInfo | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const moov = readBoxes(bytes).find((b) => b.type === 'moov');
  if (!moov) return null;
  const info: InitInfo = { videoTrackIds: [], trackIds: [] };
  for (const trak of readBoxes(bytes, moov.payloadStart, moov.end).filter((b) => b.type === 'trak')) {
    const tkhd = child(bytes, trak, 'tkhd');
    const mdia = child(bytes, trak, 'mdia');
    const hdlr = mdia && child(bytes, mdia, 'hdlr');
    if (!tkhd || !hdlr) continue;
    // tkhd (§8.3.2): version 1 has 64-bit creation/modification times before track_ID.
    const version = bytes[tkhd.payloadStart];
    const idAt = tkhd.payloadStart + 4 + (version === 1 ? 16 : 8);
    if (idAt + 4 > tkhd.end) continue;
    const trackId = view.getUint32(idAt);
    // hdlr (§8.4.3): version/flags, pre_defined, handler_type.
    const handlerAt = hdlr.payloadStart + 8;
    const handler = String.fromCharCode(...bytes.subarray(handlerAt, handlerAt + 4));
    info.trackIds.push(trackId);
    if (handler === 'vide') info.videoTrackIds.push(trackId);
  }
  return info;
}

/**
 * Counts the samples of the given tracks in a fragment (`moof+mdat`): the `sample_count` of every `trun`
 * (§8.8.8) in `traf`s whose `tfhd` (§8.8.7) names one of `trackIds`.
 */
export function countSamples(fragment: Uint8Array, trackIds: readonly number[]): number {
  const view = new DataView(fragment.buffer, fragment.byteOffset, fragment.byteLength);
  let count = 0;
  for (const moof of readBoxes(fragment).filter((b) => b.type === 'moof')) {
    for (const traf of readBoxes(fragment, moof.payloadStart, moof.end).filter((b) => b.type === 'traf')) {
      const boxes = readBoxes(fragment, traf.payloadStart, traf.end);
      const tfhd = boxes.find((b) => b.type === 'tfhd');
      if (!tfhd || tfhd.payloadStart + 8 > tfhd.end) continue;
      if (!trackIds.includes(view.getUint32(tfhd.payloadStart + 4))) continue;
      for (const trun of boxes.filter((b) => b.type === 'trun')) {
        if (trun.payloadStart + 8 <= trun.end) count += view.getUint32(trun.payloadStart + 4);
      }
    }
  }
  return count;
}

/** Whether `bytes` is a sequence of whole boxes that contains a `moof` (a plausible fragment). */
export function looksLikeFragment(bytes: Uint8Array): boolean {
  const boxes = readBoxes(bytes);
  const covered = boxes.length > 0 && boxes[boxes.length - 1].end === bytes.length;
  return covered && boxes.some((b) => b.type === 'moof');
}
