/**
 * The first look at a dataset, before any of its data is fetched: `meta/info.json` must say it
 * is LeRobot (a `codebase_version` this worker reads) and must list the cameras a job asks for.
 */
import { NotLeRobotDatasetError, UnknownCameraError } from "./fetch-errors.js";
import { CODEBASE_VERSIONS, type CodebaseVersion } from "./lerobot-info.js";

export interface DatasetInfoCheck {
  codebaseVersion: CodebaseVersion;
  /** Keys of the features stored as videos, e.g. `observation.images.main`. */
  videoKeys: string[];
}

/** `infoText` is the content of `meta/info.json`; `repoId` names the dataset in errors. */
export function checkDatasetInfo(
  infoText: string,
  repoId: string,
  cameras: string[] | undefined,
): DatasetInfoCheck {
  const info = parseInfo(infoText, repoId);
  const version = info.codebase_version;
  if (version === undefined) {
    throw new NotLeRobotDatasetError({ repoId, reason: "meta/info.json has no codebase_version" });
  }
  if (!(CODEBASE_VERSIONS as readonly unknown[]).includes(version)) {
    throw new NotLeRobotDatasetError({
      repoId,
      reason: `meta/info.json has codebase_version ${JSON.stringify(version)}`,
    });
  }

  const features = isRecord(info.features) ? info.features : {};
  const cameraKeys = Object.keys(features).filter((key) => {
    const feature = features[key];
    return isRecord(feature) && (feature.dtype === "video" || feature.dtype === "image");
  });
  const unknown = (cameras ?? []).find((camera) => !cameraKeys.includes(camera));
  if (unknown !== undefined) {
    throw new UnknownCameraError({ repoId, camera: unknown, known: cameraKeys });
  }

  return {
    codebaseVersion: version as CodebaseVersion,
    videoKeys: cameraKeys.filter((key) => (features[key] as { dtype: unknown }).dtype === "video"),
  };
}

function parseInfo(infoText: string, repoId: string): Record<string, unknown> {
  let info: unknown;
  try {
    info = JSON.parse(infoText);
  } catch (error) {
    throw new NotLeRobotDatasetError({
      repoId,
      reason: `meta/info.json is not JSON (${(error as Error).message})`,
    });
  }
  if (!isRecord(info)) {
    throw new NotLeRobotDatasetError({ repoId, reason: "meta/info.json is not a JSON object" });
  }
  return info;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
