/** ADTS frame parsing and AudioSpecificConfig building (ISO/IEC 14496-3). */

/** Sampling frequencies by `sampling_frequency_index` (ISO/IEC 14496-3 §1.6.3.4, Table 1.18). */
export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350] as const;

/** One ADTS frame with its header fields (ISO/IEC 14496-3 §1.A.2.2, `adts_fixed_header` + `adts_variable_header`). */
export interface AdtsFrame {
  /** `profile_ObjectType` + 1 = Audio Object Type (2 = AAC-LC). */
  audioObjectType: number;
  samplingFrequencyIndex: number;
  channelConfiguration: number;
  /** Raw AAC payload (`raw_data_block`), header and CRC stripped. */
  data: Uint8Array;
}

/**
 * Splits an ADTS stream into raw AAC frames: the 7-byte header, or 9 bytes when `protection_absent` is 0 (CRC
 * follows), is removed (ISO/IEC 14496-3 §1.A.2.2). Frames with more than one raw data block are rejected: their
 * blocks could not be separated without parsing the payload. Throws `Error` on a broken stream.
 */
export function parseAdts(bytes: Uint8Array): AdtsFrame[] {
  const frames: AdtsFrame[] = [];
  let off = 0;
  while (off + 7 <= bytes.length) {
    if (bytes[off] !== 0xff || (bytes[off + 1] & 0xf6) !== 0xf0) throw new Error(`ADTS sync word missing at byte ${off}`);
    const protectionAbsent = bytes[off + 1] & 1;
    const audioObjectType = ((bytes[off + 2] >> 6) & 3) + 1;
    const samplingFrequencyIndex = (bytes[off + 2] >> 2) & 0xf;
    const channelConfiguration = ((bytes[off + 2] & 1) << 2) | (bytes[off + 3] >> 6);
    const frameLength = ((bytes[off + 3] & 3) << 11) | (bytes[off + 4] << 3) | (bytes[off + 5] >> 5);
    const rawBlocks = (bytes[off + 6] & 3) + 1;
    const header = protectionAbsent ? 7 : 9;
    if (frameLength < header || off + frameLength > bytes.length) throw new Error(`ADTS frame at byte ${off} overruns the stream`);
    if (rawBlocks !== 1) throw new Error(`ADTS frame at byte ${off} holds ${rawBlocks} raw data blocks`);
    frames.push({ audioObjectType, samplingFrequencyIndex, channelConfiguration, data: bytes.subarray(off + header, off + frameLength) });
    off += frameLength;
  }
  if (off !== bytes.length) throw new Error(`${bytes.length - off} trailing bytes after the last ADTS frame`);
  return frames;
}

/**
 * AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) for AAC-LC and friends: 5 bits `audioObjectType`, 4 bits
 * `samplingFrequencyIndex` (or 15 and a 24-bit explicit rate), 4 bits `channelConfiguration`, then
 * GASpecificConfig (§4.4.1) with frameLengthFlag = dependsOnCoreCoder = extensionFlag = 0.
 */
export function audioSpecificConfig(audioObjectType: number, sampleRate: number, channelConfiguration: number): Uint8Array {
  const idx = AAC_SAMPLE_RATES.indexOf(sampleRate as (typeof AAC_SAMPLE_RATES)[number]);
  const bits: Array<[number, number]> = [[audioObjectType, 5]];
  if (idx >= 0) bits.push([idx, 4]); else bits.push([15, 4], [sampleRate, 24]);
  bits.push([channelConfiguration, 4], [0, 3]);
  const total = bits.reduce((s, [, n]) => s + n, 0);
  const out = new Uint8Array(Math.ceil(total / 8));
  let pos = 0;
  for (const [value, n] of bits) {
    for (let i = n - 1; i >= 0; i--, pos++) if ((value >> i) & 1) out[pos >> 3] |= 0x80 >> (pos & 7);
  }
  return out;
}

/** Builds a 7-byte ADTS header (no CRC) for a raw AAC frame of `payloadBytes` (for writing `.aac` files). */
export function adtsHeader(audioObjectType: number, samplingFrequencyIndex: number, channelConfiguration: number, payloadBytes: number): Uint8Array {
  const len = payloadBytes + 7;
  return new Uint8Array([
    0xff, 0xf1,
    (((audioObjectType - 1) & 3) << 6) | ((samplingFrequencyIndex & 0xf) << 2) | ((channelConfiguration >> 2) & 1),
    ((channelConfiguration & 3) << 6) | ((len >> 11) & 3),
    (len >> 3) & 0xff,
    ((len & 7) << 5) | 0x1f,
    0xfc,
  ]);
}
