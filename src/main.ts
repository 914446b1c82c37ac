/**
 * The `robotrain` command: wiring of subcommands to their modules, and the one place where an
 * error becomes an exit code.
 */
import { Command, Option } from "commander";
import { cancelCommand } from "./cli/cancel-command.js";
import { doctorCommand } from "./cli/doctor-command.js";
import { eventsCommand } from "./cli/events-command.js";
import { exportCommand } from "./cli/export-command.js";
import { nonNegativeInteger, oneOf, positiveInteger } from "./cli/options.js";
import { predictCommand } from "./cli/predict-command.js";
import { sampleDatasetCommand } from "./cli/sample-dataset-command.js";
import { submitCommand } from "./cli/submit-command.js";
import { trainCommand } from "./cli/train-command.js";
import { workerCommand } from "./cli/worker-command.js";
import { RequestValidationError } from "./contract/index.js";
import { CODEBASE_VERSIONS } from "./dataset/lerobot-info.js";
import { RobotrainError, UsageError } from "./errors.js";
import { LOG_FORMATS } from "./log.js";

const program = new Command("robotrain")
  .description("Train robot policies from LeRobot datasets: one-shot, or as a RabbitMQ worker")
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

const device = new Option(
  "--device <device>",
  "where to train: auto, cpu, cuda or cuda:<index>",
).default("auto");

program
  .command("train")
  .description("train one job here, with no broker")
  .option(
    "--dataset <id|folder>",
    "LeRobot dataset: Hub repo id or local folder (default: the embedded reach task)",
  )
  .option(
    "--model-type <type>",
    "ACT, ACT_BBOX, gr00t, pi0 or custom (default: ACT, or the request's)",
  )
  .option("--params <json|@file>", "training_params as JSON, inline or @file")
  .option("--request <file>", "a whole TrainingRequest JSON file; flags override its fields")
  .option(
    "--steps <n>",
    "optimizer steps (default: planned from the dataset)",
    positiveInteger("--steps"),
  )
  .option(
    "--batch-size <n>",
    "samples per step (default: planned from the dataset)",
    positiveInteger("--batch-size"),
  )
  .option(
    "--save-freq <n>",
    "checkpoint every n steps (default: 5000)",
    positiveInteger("--save-freq"),
  )
  .addOption(device)
  .option(
    "--precision <precision>",
    "forward passes in: auto (bf16 on CUDA where supported), fp32, bf16",
    oneOf("--precision", ["auto", "fp32", "bf16"] as const),
    "auto",
  )
  .option("--output <dir>", "output folder (default: outputs/train/<date>/<time>_<model type>)")
  .option("--seed <n>", "seed of weights, shuffling and sampling", nonNegativeInteger("--seed"), 0)
  .option("--resume", "continue from the newest complete checkpoint in --output")
  .option("--init-from <folder|id>", "start from a LeRobot pretrained_model (fine-tuning)")
  .option("--push-to-hub <repo>", "upload checkpoints and the final model to this Hub repo")
  .action(trainCommand);

program
  .command("worker")
  .description("run the daemon: take jobs from RabbitMQ one at a time, until SIGTERM")
  .option(
    "--device <device>",
    "where to train: auto, cpu, cuda or cuda:<index> (default: $ROBOTRAIN_DEVICE or auto)",
  )
  .addOption(
    new Option(
      "--log-format <format>",
      "json lines, or pretty for a terminal (default: $ROBOTRAIN_LOG_FORMAT or json)",
    ).choices(LOG_FORMATS),
  )
  .action(workerCommand);

program
  .command("cancel")
  .description("cancel a job, queued or running, on whichever worker has it")
  .requiredOption("--id <n>", "training id", nonNegativeInteger("--id"))
  .action(cancelCommand);

program
  .command("submit")
  .description("validate a TrainingRequest, publish it as a job, print the StartTrainingResponse")
  .argument("<file>", "request JSON file, or - for stdin")
  .option("--id <n>", "training id (default: derived from the time)", nonNegativeInteger("--id"))
  .option(
    "--namespace <owner>",
    "owner of bare or generated model names (default: $ROBOTRAIN_MODEL_NAMESPACE or robotrain)",
  )
  .action(submitCommand);

program
  .command("events")
  .description("follow job events as JSON lines")
  .option("--id <n>", "only this training id's events", nonNegativeInteger("--id"))
  .option("--count <n>", "exit after this many events", positiveInteger("--count"))
  .action(eventsCommand);

program
  .command("sample-dataset")
  .description("write a small LeRobot dataset of a simulated reaching task")
  .requiredOption("--output <dir>", "folder to write (replaced if it exists)")
  .option("--episodes <n>", "episodes", positiveInteger("--episodes"), 10)
  .option("--frames <n>", "frames per episode", positiveInteger("--frames"), 60)
  .addOption(
    new Option("--version <v>", "codebase version").choices(CODEBASE_VERSIONS).default("v2.1"),
  )
  .option(
    "--cameras <n>",
    "cameras: 1 (front) or 2 (front and top)",
    (value: string) => Number(oneOf("--cameras", ["1", "2"])(value)),
    1,
  )
  .option("--width <px>", "image width", positiveInteger("--width"), 128)
  .option("--height <px>", "image height", positiveInteger("--height"), 96)
  .option("--fps <n>", "frames per second", positiveInteger("--fps"), 30)
  .addOption(
    new Option("--codec <codec>", "video codec").choices(["h264", "hevc", "av1"]).default("h264"),
  )
  .addOption(
    new Option("--storage <kind>", "camera frames as MP4 videos or PNG images in the parquet")
      .choices(["video", "image"])
      .default("video"),
  )
  .option("--seed <n>", "seed of the simulated episodes", nonNegativeInteger("--seed"), 0)
  .action(sampleDatasetCommand);

program
  .command("export")
  .description("export a checkpoint to ONNX and verify it with ONNX Runtime")
  .requiredOption(
    "--checkpoint <dir>",
    "a checkpoint folder, its pretrained_model, checkpoints/last or a run's output folder",
  )
  .option(
    "--onnx <file>",
    "where to write the ONNX file (default: <output>/export/policy.onnx for a run's " +
      "checkpoint, else policy.onnx beside config.json)",
  )
  .option(
    "--dataset <id|folder>",
    "also verify on a batch of this LeRobot dataset's samples (Hub repo id or folder)",
  )
  .action(exportCommand);

program
  .command("predict")
  .description("run a policy on one observation and print the action chunk")
  .requiredOption(
    "--model <dir|onnx>",
    "policy.onnx (run by ONNX Runtime) or a checkpoint folder (run by the native model)",
  )
  .requiredOption("--input <file>", "observation JSON: feature name -> values (- for stdin)")
  .action(predictCommand);

program
  .command("doctor")
  .description("print what robotrain found: node, libtorch, CUDA, ffmpeg, the broker")
  .option("--json", "print the findings as JSON")
  .action(doctorCommand);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error);
}

function reportError(error: unknown): number {
  if (error instanceof RequestValidationError) {
    process.stdout.write(`${JSON.stringify(error.toHttpValidationError())}\n`);
    return 2;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`robotrain: ${error.message}\n`);
    return 2;
  }
  if (error instanceof RobotrainError) {
    process.stderr.write(`robotrain: ${error.message}\n`);
    return 1;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`robotrain: unexpected error: ${detail}\n`);
  return 1;
}
