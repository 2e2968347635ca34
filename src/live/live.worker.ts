/// <reference lib="webworker" />
// The live engine's worker: frames from a transferred MediaStreamTrackProcessor stream (or a file) are filtered,
// encoded and packaged here; only init segments and fragments (bytes, transferred) go back to the page.
import { expose, transfer } from 'comlink';
import { installComlinkErrorHandler } from '../worker/comlink-errors';
import { LiveEngine, type EngineHooks, type EngineOptions, type SourceDescriptor } from './live-engine';
import type { RenditionInfo } from './types';

/** Hook calls are Comlink round trips: never await them (the engine must not block on the page), never leak a rejection. */
const fire = (p: unknown) => { void Promise.resolve(p).catch(() => {}); };

class WorkerLiveEngine extends LiveEngine {
  override start(source: SourceDescriptor, options: EngineOptions, hooks: EngineHooks): Promise<RenditionInfo[]> {
    return super.start(source, options, {
      onInit: (index, data) => fire(hooks.onInit(index, transfer(data, [data.buffer]))),
      onFragment: (index, fragment) => fire(hooks.onFragment(index, transfer(fragment, [fragment.payload.buffer]))),
      onStats: (stats) => fire(hooks.onStats(stats)),
      onError: (error) => fire(hooks.onError(error)),
      onSourceEnded: () => fire(hooks.onSourceEnded()),
    });
  }
}

installComlinkErrorHandler();
expose(new WorkerLiveEngine());
