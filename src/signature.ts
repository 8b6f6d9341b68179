/**
 * Input-shape overrides: a caller may tighten what a graph declares (ONNX exports often
 * leave every dimension free), naming symbolic dimensions so that validation can check
 * that inputs agree on them, e.g. Silero VAD: `{ input: ['batch', 576], state: [2, 'batch', 128] }`.
 */
import { describeConfigValue } from './batching/config-checks';
import { InvalidOptionsError } from './errors';
import type { Dim, TensorSpec } from './protocol';
import { formatShape } from './tensor';

/** True for a valid override: an array of sizes (integers ≥ 0), names or `null`. */
function isDimList(override: unknown): override is readonly Dim[] {
  return (
    Array.isArray(override) &&
    (override as unknown[]).every((d) => d === null || typeof d === 'string' || (typeof d === 'number' && Number.isInteger(d) && d >= 0))
  );
}

function malformedOverride(model: string | undefined, name: string, override: unknown): InvalidOptionsError {
  const of = model === undefined ? '' : ` of model "${model}"`;
  return new InvalidOptionsError(`Shape override for input "${name}"${of} must be an array of sizes, names or null.`, {
    ...(model === undefined ? {} : { model }),
    input: name,
    expected: 'Dim[]',
    got: describeConfigValue(override),
  });
}

/**
 * Throw `INVALID_OPTIONS` unless `shapes` is an object of well-formed overrides (what needs
 * no graph; `applyShapeOverrides` checks them against it). Runs on the main thread before a load.
 */
export function checkShapeOverrides(model: string | undefined, shapes: unknown): void {
  if (shapes === undefined) return;
  if (typeof shapes !== 'object' || shapes === null || Array.isArray(shapes))
    throw new InvalidOptionsError("`shapes` must map input names to shapes, e.g. { input: ['batch', 576] }.", {
      ...(model === undefined ? {} : { model }),
      input: 'shapes',
      expected: '{ [input]: Dim[] }',
      got: describeConfigValue(shapes),
    });
  for (const [name, override] of Object.entries(shapes)) if (!isDimList(override)) throw malformedOverride(model, name, override);
}

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
    if (!isDimList(override)) throw malformedOverride(model, spec.name, override);
    const dims: readonly Dim[] = override;
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
