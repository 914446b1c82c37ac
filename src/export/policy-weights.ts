/**
 * A checkpoint's state dict as the export reads it: each tensor is checked for dtype and shape
 * when the graph asks for it, and the keys it never asked for are known at the end.
 */
import type { StoredTensor } from "../safetensors/read-safetensors.js";
import { PolicyWeightsError } from "./export-errors.js";

export class PolicyWeights {
  private readonly used = new Set<string>();

  constructor(
    readonly path: string,
    private readonly tensors: Map<string, StoredTensor>,
  ) {}

  has(key: string): boolean {
    return this.tensors.has(key);
  }

  /** The F32 tensor `key`, which must have `shape`. */
  tensor(key: string, shape: number[]): StoredTensor {
    const tensor = this.tensors.get(key);
    if (!tensor) throw new PolicyWeightsError(this.path, `'${key}' is absent`, [key]);
    if (tensor.dtype !== "F32") {
      throw new PolicyWeightsError(this.path, `'${key}' has dtype ${tensor.dtype}, not F32`);
    }
    if (tensor.shape.join(",") !== shape.join(",")) {
      throw new PolicyWeightsError(
        this.path,
        `'${key}' has shape [${tensor.shape}]; the config needs [${shape}]`,
      );
    }
    this.used.add(key);
    return tensor;
  }

  /** Keys the graph never read, outside the prefixes inference leaves out (the VAE encoder). */
  unusedKeys(ignoredPrefixes: string[]): string[] {
    return [...this.tensors.keys()].filter(
      (key) => !this.used.has(key) && !ignoredPrefixes.some((prefix) => key.startsWith(prefix)),
    );
  }
}
