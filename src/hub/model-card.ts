/**
 * The model card (`README.md`) of a trained model: YAML front matter the Hub indexes (library,
 * pipeline, tags, dataset, license), then what the model is, how it was trained, its loss and
 * loss curve, and how to load it. It is built from an allow-list of named fields of the job and
 * of `train_config.json`, so a token or key the job carries can never reach it; and it holds no
 * date, so the same run always gives the same card (an upload of it again changes nothing).
 */
import type { JobMessage } from "../contract/job-message.js";

/** The fields of a job the card reads; any other field of the job is ignored. */
export type ModelCardJob = Pick<JobMessage, "model_name" | "dataset_name" | "model_type">;

export interface ModelCardParams {
  job: ModelCardJob;
  /** The run's `train_config.json`, parsed. */
  trainConfig: Record<string, unknown>;
  /** Loss of each step, as in `metrics.jsonl`. */
  losses: Float64Array;
  /** An SPDX id or a Hub license name, e.g. `apache-2.0`; omitted when unknown. */
  license?: string;
  /** Repo path of the loss curve image. @default "loss_curve.png" */
  lossCurvePath?: string;
  /** Branches holding the checkpoints, e.g. `step-000300`, oldest first. */
  checkpointBranches?: string[];
  /** True when `policy.onnx` is uploaded beside the weights. */
  hasOnnx?: boolean;
  /** How the export compared with the native model, when there is one. */
  exportCheck?: { maxAbsDiff: number; tolerance: number; onnxRuntimeVersion: string };
}

const TAGS = ["robotics", "act", "lerobot", "robotrain"];

/** Fields of `train_config.json` shown, with their labels. */
const RUN_FIELDS: [string, string][] = [
  ["steps", "steps"],
  ["batch_size", "batch size"],
  ["save_freq", "checkpoint every (steps)"],
  ["seed", "seed"],
  ["device", "device"],
];

/** Fields of the policy's config shown, by LeRobot's names. */
const POLICY_FIELDS = [
  "chunk_size",
  "n_action_steps",
  "vision_backbone",
  "dim_model",
  "n_heads",
  "dim_feedforward",
  "n_encoder_layers",
  "n_decoder_layers",
  "use_vae",
  "latent_dim",
  "kl_weight",
  "dropout",
  "optimizer_lr",
  "optimizer_lr_backbone",
  "optimizer_weight_decay",
];

export function buildModelCard(params: ModelCardParams): string {
  const { job } = params;
  const lossCurvePath = params.lossCurvePath ?? "loss_curve.png";
  const sections = [
    frontMatter(params),
    `# ${job.model_name}\n\n${summary(params)}`,
    `## Training\n\n${trainingTable(params.trainConfig)}`,
    `## Loss\n\n${lossLines(params.losses)}\n\n![Training loss per step](${lossCurvePath})`,
    `## Use\n\n${usage(params)}`,
  ];
  return `${sections.join("\n\n")}\n`;
}

function frontMatter(params: ModelCardParams): string {
  const lines = [
    "---",
    "library_name: lerobot",
    "pipeline_tag: robotics",
    "tags:",
    ...TAGS.map((tag) => `- ${tag}`),
    "datasets:",
    `- ${yamlString(params.job.dataset_name)}`,
  ];
  if (params.license !== undefined) lines.push(`license: ${yamlString(params.license)}`);
  lines.push("---");
  return lines.join("\n");
}

/** A JSON string is a YAML string too: quoted, escaped, never read as a number or a list. */
function yamlString(text: string): string {
  return JSON.stringify(text);
}

function summary(params: ModelCardParams): string {
  const { job } = params;
  const dataset = recordOf(params.trainConfig.dataset);
  const episodes = typeof dataset.episodes === "number" ? ` (${dataset.episodes} episodes)` : "";
  return (
    `An ${job.model_type} (Action Chunking with Transformers) robot policy, trained by ` +
    `robotrain on the LeRobot dataset \`${job.dataset_name}\`` +
    `${episodes}. It is a LeRobot \`pretrained_model\`: \`config.json\` and ` +
    "`model.safetensors`, with the normalization statistics of the dataset inside."
  );
}

function trainingTable(trainConfig: Record<string, unknown>): string {
  const rows: [string, unknown][] = [];
  const dataset = recordOf(trainConfig.dataset);
  rows.push(["dataset revision", dataset.revision], ["cameras", dataset.cameras]);
  for (const [key, label] of RUN_FIELDS) rows.push([label, trainConfig[key]]);

  const policy = recordOf(trainConfig.policy);
  for (const key of POLICY_FIELDS) rows.push([`\`${key}\``, policy[key]]);

  const shown = rows.filter(([, value]) => isShowable(value));
  const lines = shown.map(([label, value]) => `| ${label} | ${cell(value)} |`);
  return ["| parameter | value |", "| --- | --- |", ...lines].join("\n");
}

/** Scalars and lists of scalars; anything else is left out rather than dumped. */
function isShowable(value: unknown): boolean {
  const scalar = (item: unknown) => ["string", "number", "boolean"].includes(typeof item);
  return scalar(value) || (Array.isArray(value) && value.every(scalar));
}

function cell(value: unknown): string {
  const text = Array.isArray(value) ? value.join(", ") : String(value);
  return text.replaceAll("|", "\\|");
}

function lossLines(losses: Float64Array): string {
  const finite = Array.from(losses).filter(Number.isFinite);
  if (finite.length === 0) return "No finite loss was recorded.";

  const tenth = Math.max(1, Math.floor(finite.length / 10));
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const initial = mean(finite.slice(0, tenth));
  const final = mean(finite.slice(-tenth));
  const skipped = losses.length - finite.length;
  const over = tenth === 1 ? "one step" : `${tenth} steps`;
  return [
    `- initial loss: ${initial.toPrecision(4)} (mean over the first ${over})`,
    `- final loss: ${final.toPrecision(4)} (mean over the last ${over})`,
    ...(skipped > 0 ? [`- steps with a non-finite loss, left out: ${skipped}`] : []),
  ].join("\n");
}

function usage(params: ModelCardParams): string {
  const repo = params.job.model_name;
  const lines = [
    "With LeRobot (v0.3.x):",
    "",
    "```python",
    "from lerobot.policies.act.modeling_act import ACTPolicy",
    "",
    `policy = ACTPolicy.from_pretrained(${JSON.stringify(repo)})`,
    "```",
  ];
  const branches = params.checkpointBranches ?? [];
  if (branches.length > 0) {
    lines.push(
      "",
      "Checkpoints saved during training are on branches named after their step " +
        `(${branches.map((branch) => `\`${branch}\``).join(", ")}); load one with ` +
        `\`ACTPolicy.from_pretrained(${JSON.stringify(repo)}, ` +
        `revision=${JSON.stringify(branches.at(-1))})\`.`,
    );
  }
  if (params.hasOnnx === true) {
    lines.push(
      "",
      "`policy.onnx` is the same policy exported to ONNX, for ONNX Runtime and other runtimes.",
    );
    const check = params.exportCheck;
    if (check) {
      lines.push(
        `Its action chunks differ from the trained model's by at most ${check.maxAbsDiff.toExponential(2)} ` +
          `(ONNX Runtime ${check.onnxRuntimeVersion}, limit ${check.tolerance}), on dataset ` +
          "samples and random observations.",
      );
    }
  }
  return lines.join("\n");
}

function recordOf(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}
