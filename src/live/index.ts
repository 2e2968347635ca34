/**
 * framepipe live: camera/screen/file in, realtime encode in a worker, CMAF fragments out to recorder, preview and
 * uploaders (docs/live.md). Re-exported from the package root.
 */
export { cameraSource, displaySource, fileSource, mediaStreamSource, type LiveSource, type CameraSourceOptions, type FileSourceOptions } from './sources';
export { hlsSource, type HlsSourceOptions, type HlsPassthroughSourceOptions } from './hls-source';
export {
  hlsPassthrough, HlsPassthrough, type HlsPassthroughOptions, type HlsPassthroughEvents, type HlsPassthroughState, type PassthroughStats,
  type PassthroughSourceStats, type PassthroughTrackInfo,
} from './hls-passthrough';
export { createLivePipeline, LivePipeline, type LiveStats, type LivePipelineEvents, type LivePipelineState, type FragmentInfo } from './live-pipeline';
export type { FragmentConsumer, ConsumerPolicy, ConsumerOptions, ConsumerStats, ConsumerHandle } from './fanout';
export { Recorder, type RecorderOptions, type RecordingResult, type RecordedFragment } from './recorder';
export { MsePreview, type MsePreviewOptions, type MsePreviewStats } from './mse-preview';
export type { LiveErrorCode } from './live-errors';
export type {
  LivePipelineOptions, RenditionOptions, RenditionInfo, InitSegment, LiveFragment, FragmentTiming, EngineStats, RenditionStats,
} from './types';
export { IngestUploader, type UploaderOptions, type UploaderEvents, type UploaderStats } from './ingest-uploader';
export { WebSocketUploader, type WebSocketUploaderOptions } from './websocket-uploader';
export { WebTransportUploader, type WebTransportUploaderOptions } from './webtransport-uploader';
