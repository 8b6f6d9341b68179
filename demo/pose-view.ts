/** Drawing MoveNet keypoints and a skeleton over the image they came from. */
import type { Keypoint } from '../src/index';

const bones: ReadonlyArray<readonly [number, number]> = [
  [0, 1],
  [0, 2],
  [1, 3],
  [2, 4],
  [5, 6],
  [5, 7],
  [7, 9],
  [6, 8],
  [8, 10],
  [5, 11],
  [6, 12],
  [11, 12],
  [11, 13],
  [13, 15],
  [12, 14],
  [14, 16],
];

/** Draw `image`, then the confident keypoints (score > `minScore`) and the bones between them. */
export function drawPose(canvas: HTMLCanvasElement, image: ImageBitmap, keypoints: readonly Keypoint[], minScore = 0.3): void {
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  if (context === null) return;
  context.drawImage(image, 0, 0);
  context.lineWidth = 4;
  context.strokeStyle = '#00e5ff';
  for (const [a, b] of bones) {
    const from = keypoints[a];
    const to = keypoints[b];
    if (from === undefined || to === undefined || from.score < minScore || to.score < minScore) continue;
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x, to.y);
    context.stroke();
  }
  context.fillStyle = '#ff4081';
  for (const k of keypoints) {
    if (k.score < minScore) continue;
    context.beginPath();
    context.arc(k.x, k.y, 6, 0, Math.PI * 2);
    context.fill();
  }
  canvas.setAttribute(
    'aria-label',
    `pose: ${keypoints
      .filter((k) => k.score >= minScore)
      .map((k) => k.name)
      .join(', ')}`,
  );
}
