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
export { capabilities, type Capabilities, type VideoCodecCapability, type AudioCodecCapability, type InputVideoCodec, type InputAudioCodec } from './capabilities';
export { frames, thumbnails, contactSheet, type FramesOptions, type Thumbnail, type ThumbnailSet, type ThumbnailOptions, type ThumbnailType } from './frame-access';
export type { Filter, FilterBackendChoice } from './filter/wire';
export { createFilterPipeline, type FilterPipeline, type FilterPipelineOptions } from './filter/filter-pipeline';
export type {
  BuiltinFilter, GrayscaleFilter, ColorAdjustFilter, BlurFilter, SharpenFilter, CropFilter, ResizeFilter, RotateFilter,
  OverlayFilter, ChromaKeyFilter, FadeFilter, ShaderFilter,
} from './filter/spec';
export { MAX_BLUR_RADIUS } from './filter/spec';
export type { JsFilter, JsFilterContext, WasmFilter } from './filter/user-filters';

export * from './live/index';
