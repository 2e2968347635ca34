import { FramepipeError, type ErrorCode } from '../errors';

/**
 * The live pipeline's error codes (part of {@link ErrorCode}, stable like the others):
 *
 * - `SOURCE_ERROR`: the camera/microphone/screen could not be opened (permission denied, no device,
 *   constraints that cannot be met — `details.name` is the DOMException name) or the source stream failed.
 * - `CONSUMER_STALLED`: a `lossless` consumer stayed above its high-water mark for longer than its
 *   `stallTimeoutMs`, or its queue exceeded `maxQueueBytes`. The consumer is detached and its queue freed; the
 *   pipeline and the other consumers go on.
 * - `UPLOAD_REJECTED`: the ingest server refused the stream with a non-retryable protocol ERROR
 *   (`details.serverCode`: `AUTH_FAILED`, `BAD_STREAM_NAME`, `STREAM_EXISTS`, `INIT_MISMATCH`, `LIMIT_EXCEEDED`,
 *   `PROTOCOL_ERROR`, `REPLACED`, …; see docs/ingest-protocol.md).
 * - `UPLOAD_FAILED`: the uploader gave up: too many consecutive failed reconnects, or the connection could not
 *   be opened at all.
 */
export type LiveErrorCode = Extract<ErrorCode, 'SOURCE_ERROR' | 'CONSUMER_STALLED' | 'UPLOAD_REJECTED' | 'UPLOAD_FAILED'>;

/** Builds a FramepipeError with a live code (or any existing code). */
export function liveError(code: LiveErrorCode | ErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): FramepipeError {
  return new FramepipeError(code, message, details, cause === undefined ? undefined : { cause });
}
