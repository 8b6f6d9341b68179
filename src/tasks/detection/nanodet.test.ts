import { describe, expect, it } from 'vitest';
import manifest from '../../model-manifest.json' with { type: 'json' };
import { cocoLabels } from './coco-labels';
import { nanodetFiles, nanodetPath } from './nanodet';

describe('the default detector', () => {
  it('expects exactly the files the manifest lists (size and SHA-256)', () => {
    const files = manifest.tasks.detection.files;
    expect(files.map((file) => file.path)).toEqual([nanodetPath, 'nanodet/nanodet.bin']);
    for (const file of files) expect(nanodetFiles[file.path.split('/').pop() ?? '']).toEqual({ bytes: file.bytes, sha256: file.sha256 });
    expect(Object.keys(nanodetFiles)).toHaveLength(files.length);
  });

  it('names the 80 COCO classes in training order', () => {
    expect(cocoLabels).toHaveLength(80);
    expect(new Set(cocoLabels).size).toBe(80);
    expect([cocoLabels[0], cocoLabels[8], cocoLabels[15], cocoLabels[62], cocoLabels[79]]).toEqual(['person', 'boat', 'cat', 'tv', 'toothbrush']);
  });
});
