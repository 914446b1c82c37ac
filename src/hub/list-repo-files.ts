/** Every file of a repo at a revision, all pages of the Hub's tree listing, folders left out. */
import { type ListFileEntry, listFiles, type RepoDesignation } from "@huggingface/hub";

export interface ListRepoFilesParams {
  repo: RepoDesignation;
  /** Branch, tag or commit sha. */
  revision: string;
  hubUrl: string;
  accessToken?: string;
  fetch: typeof fetch;
}

export async function listRepoFiles(params: ListRepoFilesParams): Promise<ListFileEntry[]> {
  const files: ListFileEntry[] = [];
  for await (const entry of listFiles({ ...params, recursive: true })) {
    if (entry.type === "file") files.push(entry);
  }
  return files;
}
