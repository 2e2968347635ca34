import { describe, expect, it } from 'vitest';
import { fitOutput } from '../../src/filter/fit';

describe('fitOutput', () => {
  it('keeps the size when no box is given (even-rounded)', () => {
    expect(fitOutput(850, 478, { fit: 'contain' })).toMatchObject({ width: 850, height: 478 });
    expect(fitOutput(3026, 1385, { fit: 'contain' })).toMatchObject({ width: 3026, height: 1386 });
  });
  it('contain: fits inside the box, keeps aspect, never upscales unless asked', () => {
    expect(fitOutput(1920, 1080, { width: 1280, height: 720, fit: 'contain' })).toMatchObject({ width: 1280, height: 720 });
    expect(fitOutput(1080, 1920, { width: 1280, height: 720, fit: 'contain' })).toMatchObject({ width: 406, height: 720 });
    expect(fitOutput(3026, 1386, { width: 1280, height: 720, fit: 'contain' })).toMatchObject({ width: 1280, height: 586 });
    expect(fitOutput(64, 64, { width: 1280, height: 720, fit: 'contain' })).toMatchObject({ width: 64, height: 64 });
    expect(fitOutput(64, 64, { width: 1280, height: 720, fit: 'contain', upscale: true })).toMatchObject({ width: 720, height: 720 });
  });
  it('one side given: the other follows the aspect ratio', () => {
    expect(fitOutput(960, 540, { height: 360, fit: 'contain' })).toMatchObject({ width: 640, height: 360 });
    expect(fitOutput(320, 568, { height: 480, fit: 'contain' })).toMatchObject({ width: 270, height: 480 });
  });
  it('cover: exact box, centred crop of the overflow', () => {
    const r = fitOutput(960, 540, { width: 400, height: 400, fit: 'cover' });
    expect(r).toMatchObject({ width: 400, height: 400 });
    expect(r.source).toEqual({ x: 210, y: 0, width: 540, height: 540 });
  });
  it('fill: exact box, whole picture', () => {
    expect(fitOutput(960, 540, { width: 300, height: 300, fit: 'fill' })).toMatchObject({ width: 300, height: 300, source: { x: 0, y: 0, width: 960, height: 540 } });
  });
});
