/** MoveNet's keypoint names, shared by the worker-side decoder, the demo and the tests. */
import type { KeypointName } from '../protocol';

/**
 * MoveNet's 17 keypoints, in the model's output order.
 *
 * @example
 * keypointNames[0]; // 'nose'
 */
export const keypointNames: readonly KeypointName[] = [
  'nose',
  'leftEye',
  'rightEye',
  'leftEar',
  'rightEar',
  'leftShoulder',
  'rightShoulder',
  'leftElbow',
  'rightElbow',
  'leftWrist',
  'rightWrist',
  'leftHip',
  'rightHip',
  'leftKnee',
  'rightKnee',
  'leftAnkle',
  'rightAnkle',
];
