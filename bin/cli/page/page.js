// Driver page for the framepipe CLI, run in headless Chromium.
//
// Node calls `window.framepipeCli.run({ mode, options, uploadUrl, sliceBytes })` through page.evaluate; the
// call resolves with a small JSON object (plan / stats / blob size), never with the output bytes: the result
// blob is POSTed back to the CLI's server in slices (`/output?offset=N`), since Chromium cannot stream a
// fetch upload over HTTP/1.1. Progress and the plan reach Node through functions exposed by page.exposeFunction
// (`__framepipeProgress`, `__framepipePlan`, `__framepipeUpload`).

const LIBRARY_URL = '/dist/framepipe.js';
const PROGRESS_INTERVAL_MS = 100;

/** @type {{ controller: AbortController | null, abortRequested: boolean }} */
const state = { controller: null, abortRequested: false };

/** JSON round-trip that tolerates BigInt, typed arrays, Blobs, functions and cycles. */
function jsonSafe(value) {
  const seen = new WeakSet();
  try {
    return JSON.parse(
      JSON.stringify(value, (_key, v) => {
        if (typeof v === 'bigint') return Number(v);
        if (typeof v === 'function') return undefined;
        if (v instanceof Blob) return { blob: true, size: v.size, type: v.type };
        if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return { byteLength: v.byteLength };
        if (v && typeof v === 'object') {
          if (seen.has(v)) return undefined;
          seen.add(v);
        }
        return v;
      }),
    );
  } catch {
    return null;
  }
}

function serializeError(e) {
  if (e && typeof e === 'object') {
    const name = e.name ?? 'Error';
    let code = typeof e.code === 'string' ? e.code : undefined;
    if (!code && name === 'AbortError') code = 'ABORTED';
    let message = e.message != null ? String(e.message) : String(e);
    if (!code && (name === 'TypeError' || name === 'RangeError') && /^framepipe:/.test(message)) {
      // The library validates options synchronously and throws TypeError/RangeError (`framepipe: …`).
      code = 'BAD_ARGUMENT';
      message = message.replace(/^framepipe:\s*/, '');
    }
    if (!code) {
      code = 'UNEXPECTED_ERROR';
      if (name && name !== 'Error') message = `${name}: ${message}`;
    }
    const out = { code, name, message, stack: typeof e.stack === 'string' ? e.stack : undefined };
    if (e.cause !== undefined) out.cause = e.cause instanceof Error ? `${e.cause.name}: ${e.cause.message}` : jsonSafe(e.cause);
    return out;
  }
  return { code: 'UNEXPECTED_ERROR', name: 'Error', message: String(e) };
}

function callNode(name, ...args) {
  const fn = /** @type {any} */ (window)[name];
  if (typeof fn !== 'function') return;
  try {
    Promise.resolve(fn(...args)).catch(() => {});
  } catch {
    /* Node side gone: nothing to report to */
  }
}

function abortError() {
  const e = new Error('aborted');
  e.name = 'AbortError';
  /** @type {any} */ (e).code = 'ABORTED';
  return e;
}

/**
 * Posts `blob` to `uploadUrl` in sequential slices.
 * @param {Blob} blob
 * @param {string} uploadUrl e.g. `/output?token=…` (`&offset=N` is appended)
 * @param {number} sliceBytes
 * @param {AbortSignal} signal
 */
async function upload(blob, uploadUrl, sliceBytes, signal) {
  const total = blob.size;
  let offset = 0;
  callNode('__framepipeUpload', { bytesDone: 0, bytesTotal: total });
  do {
    if (signal.aborted) throw abortError();
    const end = Math.min(total, offset + sliceBytes);
    const slice = blob.slice(offset, end);
    const sep = uploadUrl.includes('?') ? '&' : '?';
    let res;
    try {
      res = await fetch(`${uploadUrl}${sep}offset=${offset}`, {
        method: 'POST',
        body: slice,
        headers: { 'Content-Type': 'application/octet-stream' },
        signal,
      });
    } catch (e) {
      if (signal.aborted) throw abortError();
      throw Object.assign(new Error(`uploading output bytes ${offset}-${end} failed: ${e?.message ?? e}`), { code: 'OUTPUT_WRITE_FAILED' });
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw Object.assign(new Error(`uploading output bytes ${offset}-${end} failed: HTTP ${res.status} ${text}`), { code: 'OUTPUT_WRITE_FAILED' });
    }
    await res.arrayBuffer().catch(() => {});
    offset = end;
    callNode('__framepipeUpload', { bytesDone: offset, bytesTotal: total });
  } while (offset < total);
}

/**
 * @param {{ mode: 'plan' | 'transcode', options: Record<string, any>, uploadUrl?: string, sliceBytes?: number }} args
 */
async function run(args) {
  const controller = new AbortController();
  state.controller = controller;
  if (state.abortRequested) controller.abort();
  const { signal } = controller;

  let lib;
  try {
    lib = await import(LIBRARY_URL);
  } catch (e) {
    return { ok: false, error: { code: 'BUNDLE_LOAD_FAILED', name: 'Error', message: `could not load ${LIBRARY_URL}: ${e?.message ?? e}` } };
  }

  const input = location.origin + '/input';
  try {
    if (args.mode === 'plan') {
      if (typeof lib.plan !== 'function') throw Object.assign(new Error(`${LIBRARY_URL} does not export plan()`), { code: 'BUNDLE_LOAD_FAILED' });
      const plan = await lib.plan(input, { ...args.options, signal });
      return { ok: true, plan: jsonSafe(plan) };
    }

    if (typeof lib.transcode !== 'function') throw Object.assign(new Error(`${LIBRARY_URL} does not export transcode()`), { code: 'BUNDLE_LOAD_FAILED' });
    let lastSent = 0;
    /** @type {any} */
    let pending = null;
    /** @type {any} */
    let pendingTimer = null;
    const flush = () => {
      pendingTimer = null;
      if (pending) {
        callNode('__framepipeProgress', pending);
        pending = null;
        lastSent = performance.now();
      }
    };
    const result = await lib.transcode(input, {
      ...args.options,
      signal,
      onPlan: (plan) => callNode('__framepipePlan', jsonSafe(plan)),
      onProgress: (p) => {
        pending = jsonSafe(p);
        const now = performance.now();
        const final = p && typeof p.fraction === 'number' && p.fraction >= 1;
        if (final || now - lastSent >= PROGRESS_INTERVAL_MS) {
          if (pendingTimer) clearTimeout(pendingTimer);
          flush();
        } else if (!pendingTimer) {
          pendingTimer = setTimeout(flush, PROGRESS_INTERVAL_MS - (now - lastSent));
        }
      },
    });
    if (pendingTimer) clearTimeout(pendingTimer);
    flush();

    const blob = result?.blob;
    if (!(blob instanceof Blob)) {
      throw Object.assign(new Error('transcode() resolved without a Blob in result.blob'), { code: 'UNEXPECTED_ERROR' });
    }
    await upload(blob, args.uploadUrl ?? '/output', args.sliceBytes ?? 4 * 1024 * 1024, signal);
    return { ok: true, size: blob.size, type: blob.type, plan: jsonSafe(result.plan), stats: jsonSafe(result.stats) };
  } catch (e) {
    return { ok: false, error: serializeError(e) };
  } finally {
    state.controller = null;
  }
}

/** Requests cancellation of the running job (SIGINT in the CLI). */
function abort() {
  state.abortRequested = true;
  state.controller?.abort();
  return Boolean(state.controller);
}

/** @type {any} */ (window).framepipeCli = { run, abort, ready: true };
