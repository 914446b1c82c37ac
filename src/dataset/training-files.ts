/**
 * Which files of a LeRobot dataset a training job reads: all of `meta/` and `data/`, and the
 * videos of the cameras in use. A camera's videos are found by a path segment equal to its key,
 * which covers both layouts:
 *
 *   v2.x  videos/chunk-000/<camera>/episode_000000.mp4
 *   v3.0  videos/<camera>/chunk-000/file-000.mp4
 */

/** `cameras` undefined means every camera. */
export function isTrainingFile(path: string, cameras: string[] | undefined): boolean {
  const segments = path.split("/");
  const [top] = segments;
  if (top === "meta" || top === "data") return true;
  if (top !== "videos") return false;
  return cameras === undefined || segments.some((segment) => cameras.includes(segment));
}

/**
 * Why a listed path may not be joined onto a local folder, or undefined when it may. A repo
 * could list `../x`; written as given, it would land outside the cache.
 */
export function unsafePathReason(path: string): string | undefined {
  if (path.startsWith("/") || path.includes("\\")) return "it is absolute or uses '\\'";
  const segments = path.split("/");
  if (segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
    return "it has an empty, '.' or '..' segment";
  }
  return undefined;
}
