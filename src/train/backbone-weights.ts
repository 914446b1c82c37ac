/**
 * The ImageNet weights an ACT backbone starts from. LeRobot names them by torchvision's weight
 * enums (`ResNet18_Weights.IMAGENET1K_V1`) and lets torchvision download them; robotrain fetches
 * the same numbers from the Hub, where timm publishes torchvision's originals in safetensors
 * (`timm/resnet18.tv_in1k`), under torchvision's key names.
 */

import { fetchedPath, fetchModelFiles } from "../hub/fetch-model-files.js";
import type { RetryParams } from "../hub/retry-transient.js";
import type { ActConfig } from "./addon.js";
import { TrainerSetupError } from "./train-errors.js";

/** What each known weights name is, and where its safetensors file is. */
const HUB_WEIGHTS: Record<string, { backbone: string; repoId: string }> = {
  "ResNet18_Weights.IMAGENET1K_V1": { backbone: "resnet18", repoId: "timm/resnet18.tv_in1k" },
  "ResNet18_Weights.DEFAULT": { backbone: "resnet18", repoId: "timm/resnet18.tv_in1k" },
  "ResNet34_Weights.IMAGENET1K_V1": { backbone: "resnet34", repoId: "timm/resnet34.tv_in1k" },
  "ResNet34_Weights.DEFAULT": { backbone: "resnet34", repoId: "timm/resnet34.tv_in1k" },
};

const WEIGHTS_FILE = "model.safetensors";

export interface BackboneWeightsSource {
  name: string;
  repoId: string;
  file: string;
}

/**
 * Where the config's backbone weights come from; undefined when it trains from random weights
 * (null) or reads no camera. Unknown names, and weights of another ResNet than the config's,
 * are refused here, before anything is fetched.
 */
export function backboneWeightsSource(
  config: ActConfig,
  cameras: number,
): BackboneWeightsSource | undefined {
  const name = config.pretrained_backbone_weights;
  if (name === null || cameras === 0) return undefined;

  const known = HUB_WEIGHTS[name];
  if (!known) {
    throw new TrainerSetupError(
      `Got '${name}' for \`pretrained_backbone_weights\`; known: ` +
        `${Object.keys(HUB_WEIGHTS).join(", ")}, or null to train the backbone from random weights`,
    );
  }
  if (known.backbone !== config.vision_backbone) {
    throw new TrainerSetupError(
      `Got '${name}' for \`pretrained_backbone_weights\` and '${config.vision_backbone}' for ` +
        `\`vision_backbone\`; the weights are ${known.backbone}'s: pick weights of the same ResNet`,
    );
  }
  return { name, repoId: known.repoId, file: WEIGHTS_FILE };
}

export interface FetchBackboneParams extends RetryParams {
  source: BackboneWeightsSource;
  hubUrl?: string;
  cacheDir?: string;
}

/** The weights file in the Hugging Face cache, fetched once per machine. */
export async function fetchBackboneWeights(params: FetchBackboneParams): Promise<string> {
  const { source, ...options } = params;
  const fetched = await fetchModelFiles({
    ...options,
    repoId: source.repoId,
    files: [source.file],
  });
  return fetchedPath(fetched, source.file);
}
