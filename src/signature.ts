/**
 * Input-shape overrides: a caller may tighten what a graph declares (ONNX exports often
 * leave every dimension free), naming symbolic dimensions so that validation can check
 * that inputs agree on them, e.g. Silero VAD: `{ input: ['batch', 576], state: [2, 'batch', 128] }`.
 */
import { InvalidOptionsError } from './errors';
import type { Dim, TensorSpec } from './protocol';
import { formatShape } from './tensor';

/** Apply `overrides` to `specs`; each override must be compatible with the declared shape. */
export function applyShapeOverrides(model: string, specs: readonly TensorSpec[], overrides: Readonly<Record<string, readonly Dim[]>>): TensorSpec[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const name of Object.keys(overrides)) {
    if (!byName.has(name)) {
      throw new InvalidOptionsError(
        `Shape override names "${name}", but model "${model}" has no such input; its inputs are ${specs.map((s) => `"${s.name}"`).join(', ')}.`,
        {
          model,
          input: name,
          expected: specs.map((s) => s.name).join(', '),
          got: name,
        },
      );
    }
  }
  return specs.map((spec) => {
    const override: readonly Dim[] | undefined = overrides[spec.name];
    if (override === undefined) return spec;
    const dims: readonly Dim[] = override;
    const valid = Array.isArray(override) && override.every((d) => d === null || typeof d === 'string' || (Number.isInteger(d) && d >= 0));
    if (!valid) {
      throw new InvalidOptionsError(`Shape override for input "${spec.name}" of model "${model}" must be an array of sizes, names or null.`, {
        model,
        input: spec.name,
        expected: 'Dim[]',
        got: JSON.stringify(override),
      });
    }
    if (spec.shape !== null) {
      const declared = spec.shape;
      const compatible = declared.length === override.length && declared.every((d, i) => typeof d !== 'number' || d === override[i]);
      if (!compatible) {
        throw new InvalidOptionsError(
          `Shape override ${formatShape(override)} for input "${spec.name}" of model "${model}" contradicts the graph's ${formatShape(declared)}.`,
          {
            model,
            input: spec.name,
            expected: `a refinement of ${formatShape(declared)}`,
            got: formatShape(override),
          },
        );
      }
    }
    return { ...spec, shape: [...dims] };
  });
}
