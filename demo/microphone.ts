/**
 * Live microphone capture for the VAD panel: getUserMedia → AudioContext → an AudioWorklet
 * that downsamples to 16 kHz mono and posts 512-sample chunks (one VAD frame each).
 */
import { downsamplerProcessorName, vadSampleRate } from './downsample';
import workletUrl from './downsample-worklet.ts?worker&url';
import { assertMediaAvailable, MediaAccessError, mediaMessage, openMedia, stopStream } from './media';

/** An open microphone delivering 16 kHz mono chunks. */
export class Microphone {
  private stopped = false;

  private constructor(
    private readonly context: AudioContext,
    private readonly stream: MediaStream,
    private readonly source: MediaStreamAudioSourceNode,
    private readonly node: AudioWorkletNode,
  ) {}

  /**
   * Ask for the microphone and start calling `onChunk` with 16 kHz mono samples (512 at a
   * time), and `onEnded` if the device goes away on its own. Rejects with a
   * `MediaAccessError` carrying a message for the page (denied, no microphone …).
   */
  static async open(onChunk: (samples: Float32Array) => void, onEnded: () => void): Promise<Microphone> {
    assertMediaAvailable('microphone');
    if (typeof AudioWorkletNode === 'undefined')
      throw new MediaAccessError('microphone', 'unsupported', mediaMessage('microphone', 'other', 'this browser has no AudioWorklet'));
    // The worklet is ready before the device opens, so the first words are not lost.
    const context = new AudioContext({ latencyHint: 'interactive' });
    let stream: MediaStream | undefined;
    try {
      await context.audioWorklet.addModule(workletUrl);
      // Raw audio: echo cancellation, noise suppression and gain control are for calls, not for the model.
      stream = await openMedia('microphone', { audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
      const source = context.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(context, downsamplerProcessorName, { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
      node.port.onmessage = (event: MessageEvent<unknown>) => {
        if (event.data instanceof Float32Array) onChunk(event.data);
      };
      source.connect(node);
      // Connected to the output so the graph pulls it; the processor writes silence.
      node.connect(context.destination);
      await context.resume();
      const microphone = new Microphone(context, stream, source, node);
      for (const track of stream.getAudioTracks())
        track.addEventListener('ended', () => {
          if (microphone.stopped) return;
          void microphone.stop();
          onEnded();
        });
      return microphone;
    } catch (error) {
      stopStream(stream);
      await context.close();
      if (error instanceof MediaAccessError) throw error;
      throw new MediaAccessError('microphone', 'other', mediaMessage('microphone', 'other', error instanceof Error ? error.message : String(error)), {
        cause: error,
      });
    }
  }

  /** The device's name, as the browser reports it. */
  get label(): string {
    return this.stream.getAudioTracks()[0]?.label || 'microphone';
  }

  /** The rate the audio is captured at, before downsampling to 16 kHz. */
  get inputRate(): number {
    return this.context.sampleRate;
  }

  /** The rate of the chunks. */
  get outputRate(): number {
    return vadSampleRate;
  }

  /** Stop capturing: the worklet, the audio graph and the device. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.node.port.onmessage = null;
    this.source.disconnect();
    this.node.disconnect();
    stopStream(this.stream);
    await this.context.close();
  }
}
