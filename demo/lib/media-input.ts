/**
 * The demo's current input file, shared by the Convert and Thumbnails panels: the bundled sample until the user
 * drops or picks a file.
 */

/** URL of the bundled sample (public/), relative to the page so the static build works under any path. */
export const SAMPLE_URL = new URL('../sample-flower-640x360.mp4', document.baseURI).href;
export const SAMPLE_NAME = 'sample-flower-640x360.mp4';

export interface CurrentInput {
  blob: Blob;
  name: string;
}

const listeners = new Set<(input: CurrentInput) => void>();
let current: CurrentInput | null = null;
let samplePromise: Promise<Blob> | null = null;

/** The bundled sample as a Blob (fetched once). */
export function sampleBlob(): Promise<Blob> {
  samplePromise ??= fetch(SAMPLE_URL).then((r) => {
    if (!r.ok) throw new Error(`sample: HTTP ${r.status}`);
    return r.blob();
  });
  return samplePromise;
}

/** The current input; the bundled sample when nothing was chosen yet. */
export async function currentInput(): Promise<CurrentInput> {
  if (!current) current = { blob: await sampleBlob(), name: SAMPLE_NAME };
  return current;
}

/** Makes `input` the current input and tells every panel. */
export function setCurrentInput(input: CurrentInput): void {
  current = input;
  for (const l of listeners) l(input);
}

/** Calls `fn` whenever the input changes; returns an unsubscribe function. */
export function onInputChange(fn: (input: CurrentInput) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
