/**
 * Where jobs live on this machine: `<home>/jobs/<training id>/`, holding the training output
 * (checkpoints, metrics, the export) and `state.json`, what became of the job. A redelivered
 * job finds its folder again, so it resumes, or is acked at once when it already ended.
 */
import { mkdir, readdir, readFile, rename, rm, statfs, writeFile } from "node:fs/promises";
import { join } from "node:path";

export type JobStatus = "running" | "succeeded" | "failed" | "canceled";

export interface JobState {
  training_id: number;
  status: JobStatus;
  /** ISO 8601 time of the last change. */
  updated: string;
  /** For a succeeded job: where its model is. */
  repo_url?: string;
  /** For a failed one: why. */
  message?: string;
}

const FINAL: JobStatus[] = ["succeeded", "failed", "canceled"];

export class JobStore {
  readonly root: string;

  constructor(home: string) {
    this.root = join(home, "jobs");
  }

  folder(trainingId: number): string {
    return join(this.root, String(trainingId));
  }

  outputDir(trainingId: number): string {
    return join(this.folder(trainingId), "output");
  }

  async read(trainingId: number): Promise<JobState | undefined> {
    const text = await readFile(join(this.folder(trainingId), "state.json"), "utf8").catch(
      () => undefined,
    );
    return text === undefined ? undefined : (JSON.parse(text) as JobState);
  }

  async write(
    trainingId: number,
    status: JobStatus,
    details: Pick<JobState, "repo_url" | "message"> = {},
  ): Promise<void> {
    const folder = this.folder(trainingId);
    await mkdir(folder, { recursive: true });
    const state: JobState = {
      training_id: trainingId,
      status,
      updated: new Date().toISOString(),
      ...details,
    };
    const path = join(folder, "state.json");
    await writeFile(`${path}.partial`, `${JSON.stringify(state, null, 2)}\n`);
    await rename(`${path}.partial`, path);
  }

  /** Removes the folders of jobs that ended before `olderThan`; returns their ids. */
  async removeEnded(olderThan: Date): Promise<number[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    const removed: number[] = [];
    for (const name of names.filter((entry) => /^\d+$/.test(entry))) {
      const state = await this.read(Number(name)).catch(() => undefined);
      if (!state || !FINAL.includes(state.status)) continue;
      if (new Date(state.updated) >= olderThan) continue;
      await rm(this.folder(Number(name)), { recursive: true, force: true });
      removed.push(Number(name));
    }
    return removed;
  }

  /** Bytes free for this user on the file system the jobs are on. */
  async freeBytes(): Promise<number> {
    await mkdir(this.root, { recursive: true });
    const stats = await statfs(this.root);
    return stats.bavail * stats.bsize;
  }
}
