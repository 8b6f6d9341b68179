/** Object detection (COCO) as a task written with inpage's public API. */
export { cocoLabels } from './coco-labels';
export type { CocoLabel } from './coco-labels';
export type { DetectionImage } from './image-source';
export type { PixelBox } from './letterbox';
export { loadObjectDetection, ObjectDetectionTask } from './object-detection';
export type { DetectedObject, DetectionSettings, DetectionTimings, DetectOptions, ObjectDetectionOptions, ObjectDetectionResult } from './object-detection';
