/**
 * ACT's own configuration in an ACT job's `training_params`: LeRobot's ACTConfig field names,
 * each optional (unset fields keep LeRobot's defaults), plus `image_size` to resize camera
 * frames at decode time. A key that is neither a params field nor one of these is an error
 * listing the known keys: a misspelt `chunk_sise` must not train with the default silently.
 */
import { z } from "zod";
import { checkSchema } from "./issue-to-validation-error.js";
import { declaredParamsKeys } from "./training-params-models.js";
import type { Loc, ValidationError } from "./validation-error.js";

const positive = () => z.int().gt(0);

export const ActPolicyParams = z
  .strictObject({
    n_obs_steps: z.literal(1),
    chunk_size: positive(),
    n_action_steps: positive(),
    vision_backbone: z.enum(["resnet18", "resnet34"]),
    pretrained_backbone_weights: z.string().nullable(),
    replace_final_stride_with_dilation: z.literal(false),
    pre_norm: z.boolean(),
    dim_model: positive(),
    n_heads: positive(),
    dim_feedforward: positive(),
    feedforward_activation: z.enum(["relu", "gelu"]),
    n_encoder_layers: positive(),
    n_decoder_layers: positive(),
    use_vae: z.boolean(),
    latent_dim: positive(),
    n_vae_encoder_layers: positive(),
    temporal_ensemble_coeff: z.number().nullable(),
    dropout: z.number().gte(0).lt(1),
    kl_weight: z.number().gte(0),
    optimizer_lr: z.number().gt(0),
    optimizer_weight_decay: z.number().gte(0),
    optimizer_lr_backbone: z.number().gt(0),
    /** [height, width] every camera's frames are scaled to when decoded. */
    image_size: z.tuple([positive(), positive()]),
  })
  .partial();

export type ActPolicyParams = z.output<typeof ActPolicyParams>;

export const ACT_POLICY_KEYS = Object.keys(ActPolicyParams.shape);

/**
 * Errors of an ACT job's policy keys: a bad value (located at its key) or an unknown key. Keys
 * of another model's params are reported by foreignParamsKeyErrors instead.
 */
export function actPolicyParamsErrors(
  params: Readonly<Record<string, unknown>>,
  locPrefix: Loc,
  foreignKeys: ReadonlySet<string>,
): ValidationError[] {
  const declared = new Set(declaredParamsKeys("ACT"));
  const policyKeys = new Set(ACT_POLICY_KEYS);
  const known = [...declared, ...ACT_POLICY_KEYS];

  const unknown: ValidationError[] = Object.keys(params)
    .filter((key) => !declared.has(key) && !policyKeys.has(key) && !foreignKeys.has(key))
    .map((key) => ({
      loc: [...locPrefix, key],
      msg: `Value error, '${key}' is not a field of an ACT job; known fields: ${known.join(", ")}`,
      type: "value_error",
    }));

  const policyEntries = Object.entries(params).filter(([key]) => policyKeys.has(key));
  const checked = checkSchema(ActPolicyParams, Object.fromEntries(policyEntries), locPrefix);
  return [...(checked.ok ? [] : checked.detail), ...unknown];
}

/** The policy keys of parsed ACT params, for the trainer. */
export function actPolicyParams(params: Readonly<Record<string, unknown>>): ActPolicyParams {
  const picked = Object.entries(params).filter(([key]) => ACT_POLICY_KEYS.includes(key));
  return ActPolicyParams.parse(Object.fromEntries(picked));
}
