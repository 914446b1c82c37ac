/**
 * The trained model to `main` of its repo: the model card (`README.md`), the last checkpoint's
 * `config.json` and `model.safetensors`, the run's `train_config.json`, its loss curve
 * (`loss_curve.png`) and, when there is one, the ONNX export (`policy.onnx`). The card and the
 * curve are written into `<output>/hub/` first, so what is uploaded is also kept with the run.
 * Uploading the same model again changes nothing and says so.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type VerificationReport, verificationPath } from "../export/verify-export.js";
import { renderLossCurve } from "../train/loss-curve.js";
import { readMetrics } from "../train/metrics-file.js";
import {
  type CommitChangedFilesResult,
  commitChangedFiles,
  type UploadFile,
  type UploadProgress,
} from "./commit-changed-files.js";
import { ensureModelRepo } from "./ensure-model-repo.js";
import { buildModelCard, type ModelCardJob, type ModelCardParams } from "./model-card.js";
import { checkpointBranch, pretrainedModelFiles } from "./upload-checkpoint.js";
import { MissingRunFileError } from "./upload-errors.js";
import {
  openUploadSession,
  type UploadSession,
  type UploadSessionParams,
} from "./upload-session.js";

export interface UploadFinalModelParams extends UploadSessionParams {
  /** The job's output folder: `checkpoints/`, `train_config.json`, `metrics.jsonl`. */
  outputDir: string;
  /** What the card names: the model, its dataset, its type. */
  job: ModelCardJob;
  /** The checkpoint to publish. @default `<outputDir>/checkpoints/last` */
  checkpointDir?: string;
  /** The ONNX export, uploaded as `policy.onnx`; none when undefined. */
  onnxPath?: string;
  /** For the card's front matter; omitted when unknown. */
  license?: string;
  onProgress?: (progress: UploadProgress) => void;
}

export interface UploadFinalModelResult extends CommitChangedFilesResult {
  /** True when `main` held this model already and nothing was committed. */
  alreadyUploaded: boolean;
  repoUrl: string;
}

const LOSS_CURVE = "loss_curve.png";

export async function uploadFinalModel(
  params: UploadFinalModelParams,
): Promise<UploadFinalModelResult> {
  const session = openUploadSession(params);
  const { repoUrl } = await ensureModelRepo(session);
  const model = join(
    params.checkpointDir ?? join(params.outputDir, "checkpoints", "last"),
    "pretrained_model",
  );
  const written = await writeCardAndCurve(session, params);

  const files: UploadFile[] = [
    { path: "README.md", localPath: written.card },
    ...(await pretrainedModelFiles(model)),
    { path: "train_config.json", localPath: join(params.outputDir, "train_config.json") },
    { path: LOSS_CURVE, localPath: written.lossCurve },
  ];
  if (params.onnxPath !== undefined)
    files.push({ path: "policy.onnx", localPath: params.onnxPath });

  const committed = await commitChangedFiles({
    session,
    branch: "main",
    files,
    title: "Upload the trained model",
    onProgress: params.onProgress,
  });
  return { ...committed, alreadyUploaded: committed.commit === undefined, repoUrl };
}

/** Writes `<output>/hub/README.md` and `<output>/hub/loss_curve.png`; returns their paths. */
async function writeCardAndCurve(session: UploadSession, params: UploadFinalModelParams) {
  const trainConfig = JSON.parse(
    await readRunFile(session, join(params.outputDir, "train_config.json")),
  ) as Record<string, unknown>;
  // readMetrics takes a missing file for a run with no steps yet; a finished run has one.
  await readRunFile(session, join(params.outputDir, "metrics.jsonl"));
  const losses = Float64Array.from(
    await readMetrics(params.outputDir),
    (loss) => loss ?? Number.NaN,
  );

  const card = buildModelCard({
    job: params.job,
    trainConfig,
    losses,
    license: params.license,
    lossCurvePath: LOSS_CURVE,
    checkpointBranches: await checkpointBranches(params.outputDir),
    hasOnnx: params.onnxPath !== undefined,
    exportCheck: params.onnxPath === undefined ? undefined : await readExportCheck(params.onnxPath),
  });
  const folder = join(params.outputDir, "hub");
  await mkdir(folder, { recursive: true });
  const paths = { card: join(folder, "README.md"), lossCurve: join(folder, LOSS_CURVE) };
  await writeFile(paths.card, card);
  await writeFile(paths.lossCurve, renderLossCurve({ losses }).png);
  return paths;
}

/** The verification report the export wrote beside the file, if it did. */
async function readExportCheck(onnxPath: string): Promise<ModelCardParams["exportCheck"]> {
  const text = await readFile(verificationPath(onnxPath), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const report = JSON.parse(text) as VerificationReport;
  return {
    maxAbsDiff: report.maxAbsDiff,
    tolerance: report.tolerance,
    onnxRuntimeVersion: report.onnxRuntimeVersion,
  };
}

async function readRunFile(session: UploadSession, path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    const { repoId, hubUrl } = session.target;
    throw new MissingRunFileError({ repoId, hubUrl, what: "building the model card", path });
  }
}

/** The branches the run's checkpoints go to, oldest first. */
async function checkpointBranches(outputDir: string): Promise<string[]> {
  const names = await readdir(join(outputDir, "checkpoints")).catch(() => []);
  return names
    .filter((name) => /^\d{6,}$/.test(name))
    .map(Number)
    .sort((a, b) => a - b)
    .map(checkpointBranch);
}
