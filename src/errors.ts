/**
 * Stable error codes. A code never changes meaning once released; new failure kinds get new codes.
 *
 * - `UNSUPPORTED_CONTAINER`: the input is not a container this path reads (the message names what was detected).
 * - `UNSUPPORTED_CODEC`: a track's codec cannot be decoded or the requested output cannot be encoded here.
 * - `CORRUPT_INPUT`: the input is truncated or malformed (bad boxes, missing sample data, undecodable bitstream).
 * - `ABORTED`: the caller's `AbortSignal` fired.
 * - `DECODER_ERROR` / `ENCODER_ERROR`: WebCodecs reported an error while decoding / encoding.
 * - `MUXER_ERROR`: writing the output container failed.
 * - `INPUT_READ_ERROR`: the input could not be read (HTTP error, unreadable Blob).
 * - `NO_TRACKS`: nothing is left to write after applying the options (e.g. `video: false` on a video-only file).
 * - `WORKER_ERROR`: the pipeline worker could not start or died.
 * - `FILTER_ERROR`: a filter is invalid (bad parameters, a shader that does not compile) or failed on a frame.
 * - `SOURCE_ERROR`: a live source (camera, microphone, screen, HLS) could not be opened or failed (`details.name`).
 * - `CONSUMER_STALLED`: a `lossless` live consumer stayed above its high-water mark too long or exceeded
 *   `maxQueueBytes`; it is detached, the pipeline goes on.
 * - `UPLOAD_REJECTED`: the ingest server refused the stream (`details.serverCode`, see docs/ingest-protocol.md).
 * - `UPLOAD_FAILED`: an uploader gave up reconnecting, or could not connect at all.
 * - `INTERNAL`: a bug in framepipe; please report it.
 */
export type ErrorCode =
  | 'UNSUPPORTED_CONTAINER'
  | 'UNSUPPORTED_CODEC'
  | 'CORRUPT_INPUT'
  | 'ABORTED'
  | 'DECODER_ERROR'
  | 'ENCODER_ERROR'
  | 'MUXER_ERROR'
  | 'INPUT_READ_ERROR'
  | 'NO_TRACKS'
  | 'WORKER_ERROR'
  | 'FILTER_ERROR'
  | 'SOURCE_ERROR'
  | 'CONSUMER_STALLED'
  | 'UPLOAD_REJECTED'
  | 'UPLOAD_FAILED'
  | 'INTERNAL';

/**
 * The one error type framepipe throws for media problems. Compare `error.code`, not the message. Bad arguments
 * (wrong option types or ranges) throw a plain `TypeError`/`RangeError` instead.
 *
 * The `code` and `details` survive the worker boundary (a Comlink transfer handler rebuilds the instance).
 */
export class FramepipeError extends Error {
  override readonly name = 'FramepipeError';
  /** Stable machine-readable code; see {@link ErrorCode}. */
  readonly code: ErrorCode;
  /** Extra structured facts (JSON-serialisable), e.g. `{ codec: 'hev1.1.6.L93.B0' }` or resource counts. */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /** A structured-clone-safe form, used to carry the error across `postMessage`. */
  toJSON(): SerializedFramepipeError {
    return { name: this.name, code: this.code, message: this.message, details: this.details, stack: this.stack };
  }

  /** Rebuilds an error from {@link FramepipeError.toJSON} output. */
  static fromJSON(o: SerializedFramepipeError): FramepipeError {
    const e = new FramepipeError(o.code, o.message, o.details ?? {});
    if (o.stack) e.stack = o.stack;
    return e;
  }
}

/** Wire form of {@link FramepipeError}. */
export interface SerializedFramepipeError {
  name: 'FramepipeError';
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
  stack?: string;
}

/** True when `e` is a FramepipeError (also one rebuilt from another realm, by `name` and `code`). */
export function isFramepipeError(e: unknown): e is FramepipeError {
  return e instanceof FramepipeError ||
    (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'FramepipeError' &&
      typeof (e as { code?: unknown }).code === 'string');
}

/** Wraps any thrown value as a FramepipeError, keeping FramepipeErrors as they are. */
export function toFramepipeError(e: unknown, fallback: ErrorCode, context?: string): FramepipeError {
  if (isFramepipeError(e)) return e as FramepipeError;
  if (e instanceof DOMException && e.name === 'AbortError') return new FramepipeError('ABORTED', 'The operation was aborted.');
  const msg = e instanceof Error ? e.message : String(e);
  return new FramepipeError(fallback, context ? `${context}: ${msg}` : msg, {}, { cause: e });
}

/** The error an aborted job rejects with. */
export function abortError(signal?: AbortSignal): FramepipeError {
  const reason = signal?.reason;
  const why = reason instanceof Error ? reason.message : reason !== undefined ? String(reason) : '';
  return new FramepipeError('ABORTED', why ? `Aborted: ${why}` : 'The operation was aborted.');
}

/** Throws {@link abortError} when `signal` has fired. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal);
}
