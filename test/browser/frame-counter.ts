// Test-page VideoFrame accounting: replaces the global VideoFrame with a subclass that counts every frame
// constructed on the page (also inside the code under test) and every first close().

/** Frames created and closed since the page loaded. */
export const frameCounts = { created: 0, closed: 0 };

const closedFrames = new WeakSet<VideoFrame>();
const NativeVideoFrame = VideoFrame;
class CountedVideoFrame extends NativeVideoFrame {
  constructor(...args: unknown[]) {
    // @ts-expect-error forwarding the overloads unchanged
    super(...args);
    frameCounts.created++;
  }
  override close(): void {
    if (!closedFrames.has(this)) { closedFrames.add(this); frameCounts.closed++; }
    super.close();
  }
}
(globalThis as { VideoFrame: typeof VideoFrame }).VideoFrame = CountedVideoFrame;
