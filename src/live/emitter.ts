/** A minimal typed event emitter (hls.js-style event map). Listener errors are reported, never thrown into the emitter. */
export class Emitter<M extends { [K in keyof M]: unknown }> {
  readonly #listeners = new Map<keyof M, Set<(payload: never) => void>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof M>(event: K, listener: (payload: M[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with {@link Emitter.on}. */
  off<K extends keyof M>(event: K, listener: (payload: M[K]) => void): void {
    this.#listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  /** @internal */
  protected emit<K extends keyof M>(event: K, payload: M[K]): void {
    for (const l of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (l as (p: M[K]) => void)(payload);
      } catch (e) {
        queueMicrotask(() => { throw e; });
      }
    }
  }
}
