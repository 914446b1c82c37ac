/**
 * An ImageNet classifier checkpoint as torchvision (and timm) name it, made from a trainer's
 * backbone: the trunk's tensors without the `model.backbone.` prefix, plus what a classifier
 * has beyond the trunk (`fc.*`, batch norm's `num_batches_tracked`), which loading passes over.
 */

import { writeSafetensors } from "../../src/safetensors/write-safetensors.js";
import type { FloatTensor, TensorView } from "../../src/train/addon.js";

const PREFIX = "model.backbone.";

export async function writeTorchvisionResnet(
  path: string,
  stateDict: Record<string, FloatTensor>,
): Promise<void> {
  const tensors: Record<string, TensorView> = {
    "fc.weight": { data: new Float32Array(1000 * 512).fill(0.5), shape: [1000, 512] },
    "fc.bias": { data: new Float32Array(1000), shape: [1000] },
    "bn1.num_batches_tracked": { data: new Uint8Array(1), shape: [] },
  };
  for (const [name, tensor] of Object.entries(stateDict)) {
    if (name.startsWith(PREFIX)) tensors[name.slice(PREFIX.length)] = tensor;
  }
  await writeSafetensors(path, tensors);
}

/** Whether two float tensors hold the same bytes. */
export function sameValues(a: FloatTensor, b: FloatTensor): boolean {
  const bytes = (tensor: FloatTensor) =>
    Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  return bytes(a).equals(bytes(b));
}
