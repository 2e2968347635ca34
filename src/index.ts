/**
 * framepipe: browser-side video processing on WebCodecs.
 *
 * Public surface only; every stage lives behind these exports.
 */
export { transcode, plan } from './transcode';
export { FramepipeError, isFramepipeError, type ErrorCode, type SerializedFramepipeError } from './errors';
export type {
  MediaInput, TranscodeOptions, TranscodeResult, TranscodeStats, ResourceCounts, VideoOutputOptions, AudioOutputOptions,
  VideoCodecName, FitMode, TrimRange, Progress, Plan, TrackPlan, TrackAction,
} from './types/options';
