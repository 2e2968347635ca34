// WASM filter backend (src/filter/wasm) on real VideoFrames in Chromium: the copyTo → kernels → new VideoFrame
// plumbing, orientation, formats, errors and frame accounting. The kernel math itself is checked against JS
// references in Node (test/unit/wasm-kernels.test.ts).
import { test as base, expect, type Page } from '@playwright/test';

const test = base.extend<{ harness: Page }>({
  harness: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto('/test/browser/wasm-harness.html');
    await page.waitForFunction(() => (window as any).harnessReady === true);
    await use(page);
    const c = await page.evaluate(() => (window as any).wasm.counts());
    expect(c.closed, 'VideoFrames closed vs created').toBe(c.created);
    expect(errors, 'uncaught page errors').toEqual([]);
  },
});

interface RunResult {
  ok: boolean; width: number; height: number; input: number[]; drawn: number[]; outputs: number[][]; made: number; inputStillOpen: boolean;
  info: Array<{ width: number; height: number; format: string; timestamp: number; duration: number | null; sameObject: boolean }>;
  error?: { name: string; code: string; message: string };
}
interface RunSpec {
  input: { w: number; h: number; pattern?: 'pattern' | 'coords'; format?: 'RGBA' | 'I420' | 'canvas'; timestamp?: number; duration?: number; displayWidth?: number; displayHeight?: number; rotation?: number; flip?: boolean };
  filters: Array<Record<string, unknown>>;
  timestamps?: number[];
  chainSize?: [number, number];
}
const run = async (page: Page, spec: RunSpec): Promise<RunResult> => {
  const r: RunResult = await page.evaluate((s) => (window as any).wasm.run(s), spec);
  expect(r.error, 'run failed').toBeUndefined();
  return r;
};

const maxDiff = (a: number[], b: number[]) => {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
};

test('grayscale on an RGBA frame: one new RGBA frame, same timestamp/duration, input left open', async ({ harness }) => {
  const r = await run(harness, { input: { w: 37, h: 21, timestamp: 123_456, duration: 33_333 }, filters: [{ type: 'grayscale' }] });
  expect(r.made).toBe(1);
  expect(r.inputStillOpen).toBe(true);
  expect(r.info[0]).toEqual({ width: 37, height: 21, format: 'RGBA', timestamp: 123_456, duration: 33_333, sameObject: false });
  const [out] = r.outputs;
  for (let i = 0; i < out.length; i += 4) {
    const y = 0.2126 * r.input[i] + 0.7152 * r.input[i + 1] + 0.0722 * r.input[i + 2];
    expect(out[i]).toBe(out[i + 1]);
    expect(out[i + 1]).toBe(out[i + 2]);
    expect(Math.abs(out[i] - y)).toBeLessThanOrEqual(1);
    expect(out[i + 3]).toBe(255);
  }
});

test('I420 and canvas frames: an empty chain returns the picture copyTo(RGBA) gives', async ({ harness }) => {
  for (const format of ['I420', 'canvas'] as const) {
    const r = await run(harness, { input: { w: 64, h: 36, format }, filters: [] });
    expect(maxDiff(r.outputs[0], r.input), format).toBe(0);
  }
});

test('crop + rotate + flip are an exact permutation of the frame pixels', async ({ harness }) => {
  const r = await run(harness, {
    input: { w: 40, h: 30, pattern: 'coords' },
    filters: [{ type: 'crop', x: 3, y: 5, width: 30, height: 20 }, { type: 'rotate', degrees: 90, flipVertical: true }],
  });
  expect([r.width, r.height]).toEqual([20, 30]);
  const out = r.outputs[0];
  // out(ox, oy): flipV → rotated(ox, 29 − oy); rotated 90° cw: rotated(rx, ry) = crop(ry, 19 − rx).
  for (let oy = 0; oy < 30; oy++) for (let ox = 0; ox < 20; ox++) {
    const ry = 29 - oy, cx = ry, cy = 19 - ox;
    const i = (oy * 20 + ox) * 4, j = ((cy + 5) * 40 + (cx + 3)) * 4;
    expect(out.slice(i, i + 4)).toEqual(r.input.slice(j, j + 4));
  }
});

test('frames with rotation/flip metadata come out upright, as the browser draws them', async ({ harness }) => {
  const probe = await run(harness, { input: { w: 8, h: 4, rotation: 90 }, filters: [] });
  test.skip(probe.info[0].width !== 4, 'this Chromium ignores VideoFrame rotation');
  for (const [rotation, flip] of [[90, false], [180, false], [270, false], [0, true], [90, true], [270, true]] as const) {
    const r = await run(harness, { input: { w: 24, h: 16, pattern: 'coords', rotation, flip }, filters: [] });
    const swapped = rotation === 90 || rotation === 270;
    expect([r.width, r.height]).toEqual(swapped ? [16, 24] : [24, 16]);
    expect(maxDiff(r.outputs[0], r.drawn), `rotation ${rotation} flip ${flip}`).toBeLessThanOrEqual(2);
  }
});

test('non-square pixels (visible ≠ display size) are scaled to the display size bilinearly', async ({ harness }) => {
  const r = await run(harness, { input: { w: 16, h: 12, displayWidth: 32, displayHeight: 12 }, filters: [] });
  expect([r.width, r.height]).toEqual([32, 12]);
  const at = (x: number, y: number, c: number) => r.input[(y * 16 + Math.min(15, Math.max(0, x))) * 4 + c];
  for (let y = 0; y < 12; y++) for (let x = 0; x < 32; x++) {
    const fx = (x + 0.5) * 0.5 - 0.5, x0 = Math.floor(fx), t = fx - x0;
    for (let c = 0; c < 3; c++) {
      const want = Math.floor(at(x0, y, c) * (1 - t) + at(x0 + 1, y, c) * t + 0.5);
      expect(Math.abs(r.outputs[0][(y * 32 + x) * 4 + c] - want)).toBeLessThanOrEqual(1);
    }
  }
});

test('concurrent process() calls each get their own time (fade) and their own frame', async ({ harness }) => {
  const r = await run(harness, {
    input: { w: 10, h: 6 },
    filters: [{ type: 'fade', in: { start: 0, end: 1_000_000 }, color: [255, 0, 0] }],
    timestamps: [0, 500_000, 1_000_000],
  });
  expect(r.made).toBe(3);
  const [a, b, c] = r.outputs;
  expect(a.slice(0, 4)).toEqual([255, 0, 0, 255]);
  expect(maxDiff(c, r.input)).toBe(0);
  for (let i = 0; i < b.length; i += 4) {
    expect(Math.abs(b[i] - (r.input[i] * 0.5 + 127.5))).toBeLessThanOrEqual(1);
    expect(Math.abs(b[i + 1] - r.input[i + 1] * 0.5)).toBeLessThanOrEqual(1);
  }
});

test('invalid filters and wrong frame sizes fail with FILTER_ERROR; shader is not supported', async ({ harness }) => {
  const e = await harness.evaluate(() => (window as any).wasm.createError([{ type: 'blur', radius: -1 }], 64, 36));
  expect(e).toMatchObject({ name: 'FramepipeError', code: 'FILTER_ERROR' });
  expect(e.message).toMatch(/radius/);
  const r: RunResult = await harness.evaluate((s) => (window as any).wasm.run(s), { input: { w: 64, h: 36 }, filters: [{ type: 'grayscale' }], chainSize: [32, 18] });
  expect(r.ok).toBe(false);
  expect(r.error).toMatchObject({ code: 'FILTER_ERROR' });
  expect(r.error!.message).toMatch(/64×36/);
  expect(await harness.evaluate(() => (window as any).wasm.supports([{ type: 'shader', glsl: '' }]))).toBe(false);
  expect(await harness.evaluate(() => (window as any).wasm.supports([{ type: 'blur', radius: 2 }, { type: 'grayscale' }]))).toBe(true);
});
