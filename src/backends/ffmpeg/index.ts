/**
 * framepipe's ffmpeg.wasm backend: the fallback for what WebCodecs and mp4box.js cannot do (HEVC and legacy
 * decoders, AAC encoding, non-MP4 containers). Heavy and lazy: nothing loads until {@link FfmpegEngine.load}.
 */
export { FfmpegEngine, type FfmpegLoadOptions, type FfmpegOpOptions } from './ffmpeg-engine';
export { defaultFfmpegBaseURL, ffmpegCoreUrls, type FfmpegCoreUrls } from './assets';
export type { FfmpegProbeResult, FfmpegStreamInfo } from './ffmpeg-probe';
export type { RemuxOptions } from './ffmpeg-remux';
export { toVideoFrame, i420Size, type FfmpegVideoFrame, type DecodeVideoOptions, type DecodeFramesAtOptions } from './ffmpeg-decode';
export { toAudioData, type FfmpegAudioChunk, type DecodeAudioOptions } from './ffmpeg-decode-audio';
export { AAC_PRIMING_SAMPLES, type PcmChunk, type EncodeAacOptions, type AacChunk, type AacEncodeResult } from './ffmpeg-aac-encoder';
export { parseAdts, audioSpecificConfig, adtsHeader, AAC_SAMPLE_RATES, type AdtsFrame } from './adts';
