/**
 * A live camera preview in a `<video>` element: frames as ImageBitmaps, a callback per
 * new video frame, and a stop that turns the camera off.
 */
import { MediaAccessError, mediaMessage, openMedia, stopStream } from './media';

/** An open camera shown in `video`. */
export class Camera {
  private stopped = false;
  private readonly endedListeners: (() => void)[] = [];

  private constructor(
    private readonly video: HTMLVideoElement,
    private readonly stream: MediaStream,
  ) {
    for (const track of stream.getVideoTracks())
      track.addEventListener('ended', () => {
        if (this.stopped) return;
        this.stop();
        for (const listener of this.endedListeners) listener();
      });
  }

  /**
   * Ask for the camera (`facingMode`: the selfie or the rear camera, where there are
   * both) and show it in `video` (unhidden while open). Rejects with a
   * `MediaAccessError` carrying a message for the page (denied, no camera, insecure page …).
   */
  static async open(video: HTMLVideoElement, facingMode: 'user' | 'environment'): Promise<Camera> {
    // No size constraints: an ideal size makes Chromium crop frames of other shapes.
    const stream = await openMedia('camera', { video: { facingMode }, audio: false });
    try {
      video.muted = true;
      video.playsInline = true;
      video.srcObject = stream;
      video.hidden = false;
      // Resolves once frames arrive, so the size is known.
      await video.play();
    } catch (error) {
      stopStream(stream);
      video.srcObject = null;
      video.hidden = true;
      throw new MediaAccessError('camera', 'other', mediaMessage('camera', 'other', error instanceof Error ? error.message : String(error)), { cause: error });
    }
    return new Camera(video, stream);
  }

  /** Frame size in pixels. */
  get width(): number {
    return this.video.videoWidth;
  }

  get height(): number {
    return this.video.videoHeight;
  }

  /** The device's name, as the browser reports it. */
  get label(): string {
    return this.stream.getVideoTracks()[0]?.label || 'camera';
  }

  get active(): boolean {
    return !this.stopped;
  }

  /** Call `listener` if the camera goes away on its own (unplugged, revoked). */
  onEnded(listener: () => void): void {
    this.endedListeners.push(listener);
  }

  /** The current frame. */
  grab(): Promise<ImageBitmap> {
    return createImageBitmap(this.video);
  }

  /** Call `callback` once per new video frame until stopped. */
  eachFrame(callback: () => void): void {
    const video = this.video;
    const next = (): void => {
      if (this.stopped) return;
      callback();
      schedule();
    };
    const schedule = (): void => {
      if (this.stopped) return;
      if (typeof video.requestVideoFrameCallback === 'function') video.requestVideoFrameCallback(next);
      else requestAnimationFrame(next);
    };
    schedule();
  }

  /** Turn the camera off and hide the preview. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    stopStream(this.stream);
    this.video.pause();
    this.video.srcObject = null;
    this.video.hidden = true;
  }
}
