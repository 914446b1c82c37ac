/**
 * Where a job's dataset comes from: a LeRobot dataset folder on this machine, read in place, or
 * a Hub repo id, fetched into the Hugging Face cache.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { hubRepoIdProblem } from "../contract/hub-repo-id.js";
import { checkDatasetInfo } from "./check-dataset-info.js";
import { type FetchDatasetParams, type FetchDatasetResult, fetchDataset } from "./fetch-dataset.js";
import { DatasetSourceError } from "./fetch-errors.js";
import { isTrainingFile } from "./training-files.js";

export type DatasetSourceOptions = Omit<FetchDatasetParams, "repoId">;

/**
 * A folder that exists and holds `meta/info.json` is used in place, with `revision` and
 * `commit` set to `"local"`; any other source must be a Hub repo id.
 */
export async function resolveDatasetSource(
  source: string,
  options: DatasetSourceOptions = {},
): Promise<FetchDatasetResult> {
  const folderState = await probeFolder(source);
  if (folderState === "dataset") return readLocalDataset(resolve(source), options.cameras);

  const problem = hubRepoIdProblem(source);
  if (problem === undefined) return fetchDataset({ ...options, repoId: source });

  throw new DatasetSourceError(
    source,
    folderState === "folder"
      ? "is a folder without meta/info.json, so not a LeRobot dataset"
      : `is not a folder on this machine, and ${problem.replace(`'${source}' `, "")}`,
  );
}

async function probeFolder(source: string): Promise<"dataset" | "folder" | "none"> {
  const isFolder = await stat(source).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  if (!isFolder) return "none";

  const hasInfo = await stat(join(source, "meta", "info.json")).then(
    (stats) => stats.isFile(),
    () => false,
  );
  return hasInfo ? "dataset" : "folder";
}

async function readLocalDataset(
  root: string,
  cameras: string[] | undefined,
): Promise<FetchDatasetResult> {
  checkDatasetInfo(await readFile(join(root, "meta", "info.json"), "utf8"), root, cameras);

  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() || entry.isSymbolicLink())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .filter((path) => isTrainingFile(path, cameras))
    .sort();
  return { root, repoId: root, revision: "local", commit: "local", files };
}
