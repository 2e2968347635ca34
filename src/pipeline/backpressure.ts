import { throwIfAborted } from '../errors';

/** A WebCodecs codec: fires `dequeue` when its queue shrinks. */
type QueueOwner = EventTarget;

/**
 * Waits until `full()` turns false, waking on the codecs' `dequeue` events (WebCodecs §4.2/§6.2 "[[dequeue event
 * scheduled]]"). A 25 ms timer also wakes it, so a codec that errors or closes (and never fires `dequeue`) cannot
 * hang the pipeline; `check()` then throws the codec's error.
 */
export async function waitForQueue(owners: QueueOwner[], full: () => boolean, check: () => void, signal?: AbortSignal): Promise<void> {
  while (full()) {
    check();
    throwIfAborted(signal);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const o of owners) o.removeEventListener('dequeue', done);
        resolve();
      };
      const timer = setTimeout(done, 25);
      for (const o of owners) o.addEventListener('dequeue', done);
    });
  }
  check();
}
