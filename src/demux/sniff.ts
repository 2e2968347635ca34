/** Container families recognised by their leading bytes. */
export type ContainerKind =
  | 'mp4' | 'mov' | 'webm' | 'matroska' | 'mpegts' | 'flv' | 'avi' | 'ogg' | 'mp3' | 'adts' | 'flac' | 'wav' | 'unknown';

const ISO_BOX_TYPES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'styp', 'moof', 'sidx', 'uuid']);

const ascii = (b: Uint8Array, start: number, len: number) => String.fromCharCode(...b.subarray(start, start + len));

/**
 * Detects the container from the first bytes of a file (at least 12; 400 recommended so MPEG-TS sync can be
 * checked). Signatures: ISO BMFF box header (ISO/IEC 14496-12 §4.2) with `qt  ` major brand meaning QuickTime;
 * EBML magic 1A45DFA3 with DocType `webm`/`matroska` (RFC 9559 §5.1); MPEG-TS sync byte 0x47 every 188 bytes
 * (ISO/IEC 13818-1 §2.4.3.2); `FLV`; `RIFF`…`AVI `/`WAVE`; `OggS` (RFC 3533); ID3v2 or an MPEG audio frame sync;
 * ADTS sync 0xFFF (ISO/IEC 13818-7 §6.2); `fLaC`.
 */
export function sniffContainer(b: Uint8Array): ContainerKind {
  if (b.byteLength < 8) return 'unknown';
  const type4 = ascii(b, 4, 4);
  if (ISO_BOX_TYPES.has(type4)) {
    if (type4 === 'ftyp' && ascii(b, 8, 4) === 'qt  ') return 'mov';
    return type4 === 'wide' || type4 === 'pnot' ? 'mov' : 'mp4';
  }
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) {
    return ascii(b, 0, Math.min(64, b.byteLength)).includes('webm') ? 'webm' : 'matroska';
  }
  if (b[0] === 0x47 && (b.byteLength < 189 || b[188] === 0x47)) return 'mpegts';
  const head4 = ascii(b, 0, 4);
  if (head4.startsWith('FLV')) return 'flv';
  if (head4 === 'RIFF') return ascii(b, 8, 4) === 'AVI ' ? 'avi' : ascii(b, 8, 4) === 'WAVE' ? 'wav' : 'unknown';
  if (head4 === 'OggS') return 'ogg';
  if (head4 === 'fLaC') return 'flac';
  if (head4.startsWith('ID3')) return 'mp3';
  if (b[0] === 0xff && (b[1] & 0xf6) === 0xf0) return 'adts';
  if (b[0] === 0xff && (b[1] & 0xe0) === 0xe0) return 'mp3';
  return 'unknown';
}
