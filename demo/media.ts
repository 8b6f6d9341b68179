/**
 * Asking for the camera or the microphone, with failures turned into plain messages that
 * say what happened and what to do instead (the panels keep working on files and samples).
 */

/** Which device a panel asks for. */
export type MediaKind = 'camera' | 'microphone';

/** Why a device could not be opened. */
export type MediaFailure = 'insecure' | 'unsupported' | 'denied' | 'absent' | 'busy' | 'other';

/** A camera or microphone that could not be opened; `message` is meant for the page. */
export class MediaAccessError extends Error {
  override readonly name = 'MediaAccessError';

  constructor(
    readonly kind: MediaKind,
    readonly reason: MediaFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const fallback: Record<MediaKind, string> = { camera: 'upload an image instead', microphone: 'upload an audio clip instead' };
const device: Record<MediaKind, string> = { camera: 'Camera', microphone: 'Microphone' };

/** The plain message for a failure `reason`, saying what to do instead. */
export function mediaMessage(kind: MediaKind, reason: MediaFailure, detail = ''): string {
  const name = device[kind];
  const instead = fallback[kind];
  switch (reason) {
    case 'insecure':
      return `The ${kind} needs a secure page (HTTPS or localhost), and this one is not. Open the demo over HTTPS, or ${instead}.`;
    case 'unsupported':
      return `This browser does not offer ${kind} access here (navigator.mediaDevices is missing). Try a current Chrome, Edge, Firefox or Safari, or ${instead}.`;
    case 'denied':
      return `${name} access was denied. Allow it in the browser's site settings, or ${instead}.`;
    case 'absent':
      return `No ${kind} was found. Connect one, or ${instead}.`;
    case 'busy':
      return `The ${kind} could not be started: another application may be using it. Close that application and try again, or ${instead}.`;
    case 'other':
      return `The ${kind} could not be opened${detail === '' ? '' : ` (${detail})`}. Try again, or ${instead}.`;
  }
}

function failureOf(error: unknown): MediaFailure {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return 'denied';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'absent';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'busy';
    default:
      return 'other';
  }
}

/** A {@link MediaAccessError} for any getUserMedia failure (a DOMException, usually). */
export function toMediaAccessError(kind: MediaKind, error: unknown): MediaAccessError {
  if (error instanceof MediaAccessError) return error;
  const reason = failureOf(error);
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new MediaAccessError(kind, reason, mediaMessage(kind, reason, detail), { cause: error });
}

/** Throw a {@link MediaAccessError} if this page cannot ask for devices at all. */
export function assertMediaAvailable(kind: MediaKind): void {
  if (!window.isSecureContext) throw new MediaAccessError(kind, 'insecure', mediaMessage(kind, 'insecure'));
  // `mediaDevices` is missing outside secure contexts and in some embedded browsers.
  const devices: MediaDevices | undefined = navigator.mediaDevices;
  if (devices === undefined || typeof devices.getUserMedia !== 'function') throw new MediaAccessError(kind, 'unsupported', mediaMessage(kind, 'unsupported'));
}

/** `getUserMedia` for one kind of device; rejects only with a {@link MediaAccessError}. */
export async function openMedia(kind: MediaKind, constraints: MediaStreamConstraints): Promise<MediaStream> {
  assertMediaAvailable(kind);
  try {
    return await navigator.mediaDevices.getUserMedia(constraints);
  } catch (error) {
    throw toMediaAccessError(kind, error);
  }
}

/** Stop every track of `stream` (turns the camera light / recording indicator off). */
export function stopStream(stream: MediaStream | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
