/**
 * A Hugging Face Hub on 127.0.0.1 for the test suite: the read routes @huggingface/hub and
 * huggingface_hub use to resolve a revision, list a repo and download its files, answered the
 * way huggingface.co answers them (headers, status codes, `X-Error-Code`), for dataset and
 * model repos registered from folders on disk; and the upload routes @huggingface/hub uses to
 * create repos and branches and to commit files (see hub-upload-routes.ts), for the tokens a
 * test grants write access.
 *
 * Every request is recorded, so a test can count downloads and commits, and the next requests
 * can be made to fail on purpose, so a test can watch retries.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type HubCommit,
  type HubFile,
  type HubRepo,
  HubRepoStore,
  type HubRepoType,
  hubFile,
  isLfsPath,
  readFolderFiles,
} from "./hub-repo-store.js";
import { addUploadRoutes } from "./hub-upload-routes.js";

export interface AddRepoOptions {
  type: HubRepoType;
  /** `owner/name`. */
  id: string;
  /** Its files become the first commit on `main`. */
  folder: string;
  private?: boolean;
  /** The bearer token that may read the repo when it is private. */
  token?: string;
  /** Which files go through Git LFS; by default the Hub's own rule (binary types, > 10 MB). */
  lfs?: (path: string, size: number) => boolean;
}

/** An injected failure: an HTTP status with a Hub-like error body, or a dropped connection. */
export type HubFault = { status: number } | { reset: true; afterBytes?: number };

export interface HubRequestRecord {
  method: string;
  /** The decoded URL path, without the query. */
  path: string;
  query: string;
  /** 0 when the server dropped the connection instead of answering. */
  status: number;
  range?: string;
  requestId: string;
}

export interface HubServerOptions {
  /** Entries per page of a tree listing; the Hub pages with a `cursor` and a `Link` header. */
  treePageSize?: number;
}

/** What a route handler gets: the request, the captured groups of its pattern, and replies. */
export interface HubRouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  groups: string[];
  requestId: string;
  /** Set when an injected reset should come after this many bytes of a file's content. */
  resetAfterBytes?: number;
}

type RouteHandler = (context: HubRouteContext) => Promise<void> | void;

interface Route {
  methods: string[];
  pattern: RegExp;
  handle: RouteHandler;
}

interface PendingFault {
  remaining: number;
  fault: HubFault;
  matches: (method: string, path: string) => boolean;
}

/** A failure a handler throws; the dispatcher turns it into the Hub's error reply. */
export class HubReplyError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly errorCode: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = "HubReplyError";
  }
}

const REPO_ID = "([^/]+/[^/]+)";
/** How long a connection stalls before an injected mid-transfer reset, in milliseconds. */
const RESET_PAUSE_MS = 50;
const REPO_TYPES = "(datasets|models)";

export class HubServer {
  readonly store = new HubRepoStore();
  readonly requests: HubRequestRecord[] = [];
  /** The body of every request an upload route read, in order, so a test can search them. */
  readonly receivedBodies: Buffer[] = [];
  /** Base URL, e.g. `http://127.0.0.1:40123`; what `HF_ENDPOINT` would hold. */
  url = "";

  private readonly server: Server;
  private readonly routes: Route[] = [];
  private readonly faults: PendingFault[] = [];
  private readonly treePageSize: number;
  /** Token to the namespaces (users, organizations) it may create repos in and write to. */
  private readonly writeGrants = new Map<string, Set<string>>();
  private requestCount = 0;

  private constructor(options: HubServerOptions) {
    this.treePageSize = options.treePageSize ?? 1000;
    this.server = createServer((request, response) => {
      this.dispatch(request, response).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
    this.addReadRoutes();
    addUploadRoutes(this);
  }

  static async start(options: HubServerOptions = {}): Promise<HubServer> {
    const hub = new HubServer(options);
    await new Promise<void>((resolve, reject) => {
      hub.server.once("error", reject);
      hub.server.listen(0, "127.0.0.1", resolve);
    });
    const { port } = hub.server.address() as AddressInfo;
    hub.url = `http://127.0.0.1:${port}`;
    return hub;
  }

  /** Registers a repo whose `main` holds the folder's files now; returns that commit. */
  async addRepo(options: AddRepoOptions): Promise<HubCommit> {
    const contents = await readFolderFiles(options.folder);
    const repo = this.store.create(options.type, options.id, options);
    const lfs = options.lfs ?? isLfsPath;
    const changes = new Map<string, HubFile>();
    for (const [path, content] of contents) {
      changes.set(path, hubFile(path, content, lfs(path, content.length)));
    }
    return this.store.commit(repo, "main", changes, "Upload folder");
  }

  /**
   * Makes the next `count` requests (those `matches` accepts, by default all) fail with
   * `fault` instead of being answered.
   */
  failNext(
    count: number,
    fault: HubFault,
    matches: (method: string, path: string) => boolean = () => true,
  ): void {
    this.faults.push({ remaining: count, fault, matches });
  }

  /** Drops the injected failures not yet used. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Requests that sent file content: GETs of `resolve` answered 200 or 206. */
  fileDownloads(): HubRequestRecord[] {
    return this.requests.filter(
      (record) =>
        record.method === "GET" &&
        record.path.includes("/resolve/") &&
        (record.status === 200 || record.status === 206),
    );
  }

  /** Lets `token` read and write every repo of `namespaces`, and create repos there. */
  grantWrite(token: string, namespaces: string[]): void {
    this.writeGrants.set(token, new Set(namespaces));
  }

  /** Requests that reached the commit route of a repo and were answered 200. */
  commits(id: string): HubRequestRecord[] {
    return this.requests.filter(
      (record) =>
        record.method === "POST" &&
        record.status === 200 &&
        ["models", "datasets"].some((types) =>
          record.path.startsWith(`/api/${types}/${id}/commit/`),
        ),
    );
  }

  /** Adds a route; later ones (uploads) go beside the read routes this server starts with. */
  route(methods: string[], pattern: RegExp, handle: RouteHandler): void {
    this.routes.push({ methods, pattern, handle });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  /**
   * The repo a request names, if the request may read it. Like the Hub, a private repo is
   * answered 401 without a token and 403 with one that does not grant access.
   */
  readableRepo(request: IncomingMessage, type: HubRepoType, id: string): HubRepo {
    const repo = this.store.get(type, id);
    if (repo === undefined) {
      throw new HubReplyError(404, "RepoNotFound", `Repository not found: ${type}s/${id}`);
    }
    if (!repo.private) return repo;

    const bearer = bearerToken(request);
    if (bearer === undefined) {
      throw new HubReplyError(401, "RepoNotFound", "Invalid username or password.");
    }
    if (bearer !== repo.token && !this.mayWrite(bearer, id)) {
      throw new HubReplyError(403, undefined, `You do not have access to ${type}s/${id}.`);
    }
    return repo;
  }

  /**
   * The repo a request names, if the request may write to it: like the Hub, 401 without a
   * token or with one it does not know, 403 with one that has no write access to the repo.
   */
  writableRepo(request: IncomingMessage, type: HubRepoType, id: string): HubRepo {
    const repo = this.readableRepo(request, type, id);
    this.checkWriteAccess(request, id.split("/")[0] ?? "", `${type}s/${id}`);
    return repo;
  }

  /** Refuses a request whose token may not write to `namespace`; `what` names the target. */
  checkWriteAccess(request: IncomingMessage, namespace: string, what: string): void {
    const bearer = bearerToken(request);
    if (bearer === undefined) {
      throw new HubReplyError(401, undefined, "Invalid username or password.");
    }
    if (!this.writeGrants.has(bearer)) {
      throw new HubReplyError(401, undefined, "Invalid credentials in Authorization header");
    }
    if (!this.writeGrants.get(bearer)?.has(namespace)) {
      throw new HubReplyError(403, undefined, `You don't have the rights to write to ${what}`);
    }
  }

  /** Reads a request's whole body and keeps a copy in `receivedBodies`. */
  async readBody(request: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    this.receivedBodies.push(body);
    return body;
  }

  private mayWrite(token: string, id: string): boolean {
    return this.writeGrants.get(token)?.has(id.split("/")[0] ?? "") ?? false;
  }

  commitAt(repo: HubRepo, revision: string): HubCommit {
    const commit = this.store.resolve(repo, revision);
    if (commit === undefined) {
      throw new HubReplyError(404, "RevisionNotFound", `Invalid rev id: ${revision}`);
    }
    return commit;
  }

  reply(
    context: HubRouteContext,
    status: number,
    body: Buffer | string | object,
    headers: Record<string, string> = {},
  ): void {
    const isJson = !(typeof body === "string" || Buffer.isBuffer(body));
    const bytes = isJson ? jsonBytes(body) : Buffer.from(body as Buffer | string);
    context.response.writeHead(status, {
      "Content-Type": isJson ? "application/json; charset=utf-8" : "text/plain; charset=utf-8",
      ...headers,
      "Content-Length": String(bytes.length),
    });
    this.record(context, status);
    context.response.end(context.request.method === "HEAD" ? undefined : bytes);
  }

  private async dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.url);
    const method = request.method ?? "GET";
    this.requestCount += 1;
    const requestId = `Root=1-${this.requestCount.toString(16).padStart(8, "0")}`;
    response.setHeader("X-Request-Id", requestId);
    const context: HubRouteContext = { request, response, url, groups: [], requestId };

    const path = decodeURIComponent(url.pathname);
    const fault = this.takeFault(method, path);
    if (fault !== undefined && "status" in fault) {
      this.replyError(context, new HubReplyError(fault.status, undefined, "Injected failure"));
      return;
    }
    if (fault !== undefined && fault.afterBytes === undefined) {
      this.record(context, 0);
      request.socket.destroy();
      return;
    }
    if (fault !== undefined) context.resetAfterBytes = fault.afterBytes;

    try {
      await this.runRoute(context, method);
    } catch (error) {
      if (!(error instanceof HubReplyError)) throw error;
      this.replyError(context, error);
    }
  }

  private async runRoute(context: HubRouteContext, method: string): Promise<void> {
    let pathKnown = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(context.url.pathname);
      if (match === null) continue;
      pathKnown = true;
      if (!route.methods.includes(method)) continue;

      context.groups = match.slice(1).map((group) => decodeURIComponent(group ?? ""));
      await route.handle(context);
      return;
    }
    if (pathKnown) throw new HubReplyError(405, undefined, `${method} is not allowed here`);
    throw new HubReplyError(404, undefined, `no route for ${method} ${context.url.pathname}`);
  }

  private replyError(context: HubRouteContext, error: HubReplyError): void {
    const headers: Record<string, string> = { "X-Error-Message": error.message };
    if (error.errorCode !== undefined) headers["X-Error-Code"] = error.errorCode;
    this.reply(context, error.httpStatus, { error: error.message }, headers);
  }

  private takeFault(method: string, path: string): HubFault | undefined {
    const pending = this.faults.find((candidate) => candidate.matches(method, path));
    if (pending === undefined) return undefined;

    pending.remaining -= 1;
    if (pending.remaining <= 0) this.faults.splice(this.faults.indexOf(pending), 1);
    return pending.fault;
  }

  private record(context: HubRouteContext, status: number): void {
    this.requests.push({
      method: context.request.method ?? "GET",
      path: decodeURIComponent(context.url.pathname),
      query: context.url.search,
      status,
      range: context.request.headers.range,
      requestId: context.requestId,
    });
  }

  private addReadRoutes(): void {
    const api = `^/api/${REPO_TYPES}/${REPO_ID}`;
    this.route(["GET"], new RegExp(`${api}$`), (context) => this.repoInfo(context, "main"));
    this.route(["GET"], new RegExp(`${api}/revision/([^/]+)$`), (context) =>
      this.repoInfo(context, context.groups[2] ?? ""),
    );
    this.route(["GET"], new RegExp(`${api}/tree/([^/]+)(?:/(.*))?$`), (context) =>
      this.tree(context),
    );
    this.route(["POST"], new RegExp(`${api}/paths-info/([^/]+)$`), (context) =>
      this.pathsInfo(context),
    );
    // `raw` (which fileExists asks with HEAD) is answered like `resolve`; the Hub's own would
    // send an LFS file's pointer instead, which no test reads.
    const datasetFile = new RegExp(`^/datasets/${REPO_ID}/(?:resolve|raw)/([^/]+)/(.+)$`);
    this.route(["GET", "HEAD"], datasetFile, (context) => this.resolveFile(context, "dataset"));
    const modelFile = new RegExp(`^/${REPO_ID}/(?:resolve|raw)/([^/]+)/(.+)$`);
    this.route(["GET", "HEAD"], modelFile, (context) => this.resolveFile(context, "model"));
  }

  /** `GET /api/{datasets,models}/<id>[/revision/<rev>]`: what the Hub knows of a repo. */
  private repoInfo(context: HubRouteContext, revision: string): void {
    const [types = "", id = ""] = context.groups;
    const repo = this.readableRepo(context.request, repoType(types), id);
    const commit = this.commitAt(repo, revision);
    const info: Record<string, unknown> = {
      _id: createHash("sha1").update(`${types}/${id}`).digest("hex").slice(0, 24),
      id,
      author: id.split("/")[0],
      sha: commit.sha,
      private: repo.private,
      gated: false,
      disabled: false,
      downloads: 0,
      likes: 0,
      tags: [],
      createdAt: repo.createdAt.toISOString(),
      lastModified: commit.date.toISOString(),
      siblings: [...commit.files.keys()].sort().map((rfilename) => ({ rfilename })),
    };

    // Like the Hub, `expand` narrows the answer to the fields asked for.
    const expand = context.url.searchParams.getAll("expand");
    const fields = expand.length === 0 ? Object.keys(info) : ["_id", "id", ...expand];
    this.reply(
      context,
      200,
      Object.fromEntries(Object.entries(info).filter(([key]) => fields.includes(key))),
    );
  }

  /** `GET /api/{datasets,models}/<id>/tree/<rev>[/<path>]?recursive=&expand=&cursor=`. */
  private tree(context: HubRouteContext): void {
    const [types = "", id = "", revision = "", folder = ""] = context.groups;
    const repo = this.readableRepo(context.request, repoType(types), id);
    const commit = this.commitAt(repo, revision);
    const recursive = ["1", "true"].includes(context.url.searchParams.get("recursive") ?? "");
    const expand = ["1", "true"].includes(context.url.searchParams.get("expand") ?? "");

    const prefix = folder === "" ? "" : `${folder.replace(/\/$/, "")}/`;
    if (prefix !== "" && !folderPaths(commit).has(prefix.slice(0, -1))) {
      throw new HubReplyError(404, "EntryNotFound", `${prefix.slice(0, -1)} does not exist`);
    }
    const entries = treeEntries(commit, prefix, recursive).map((path) =>
      this.pathEntry(repo, commit, path, expand),
    );

    const offset = Number(Buffer.from(context.url.searchParams.get("cursor") ?? "", "base64url"));
    const start = Number.isInteger(offset) && offset > 0 ? offset : 0;
    const page = entries.slice(start, start + this.treePageSize);
    const headers: Record<string, string> = {};
    if (start + this.treePageSize < entries.length) {
      const next = new URL(context.url.pathname, this.url);
      next.searchParams.set("recursive", String(recursive));
      next.searchParams.set("expand", String(expand));
      next.searchParams.set(
        "cursor",
        Buffer.from(String(start + page.length)).toString("base64url"),
      );
      headers.Link = `<${next.href}>; rel="next"`;
    }
    this.reply(context, 200, page, headers);
  }

  /** `POST /api/{datasets,models}/<id>/paths-info/<rev>`, JSON or form body `paths`, `expand`. */
  private async pathsInfo(context: HubRouteContext): Promise<void> {
    const [types = "", id = "", revision = ""] = context.groups;
    const repo = this.readableRepo(context.request, repoType(types), id);
    const commit = this.commitAt(repo, revision);
    const { paths, expand } = await readPathsInfoBody(context.request);

    const folders = folderPaths(commit);
    const found = paths.filter((path) => commit.files.has(path) || folders.has(path));
    this.reply(
      context,
      200,
      found.map((path) => this.pathEntry(repo, commit, path, expand)),
    );
  }

  /** A tree or paths-info entry, shaped like the Hub's. */
  private pathEntry(repo: HubRepo, commit: HubCommit, path: string, expand: boolean): object {
    const file = commit.files.get(path);
    const entry: Record<string, unknown> =
      file === undefined
        ? { type: "directory", oid: folderOid(commit, path), size: 0, path }
        : { type: "file", oid: file.oid, size: file.content.length, path };
    if (file?.lfs !== undefined) entry.lfs = { ...file.lfs };

    if (expand) {
      const last = file === undefined ? commit : this.store.lastChange(repo, commit, path);
      entry.lastCommit = { id: last.sha, title: last.title, date: last.date.toISOString() };
      entry.securityFileStatus = { status: "safe" };
    }
    return entry;
  }

  /**
   * `HEAD|GET /[datasets/]<id>/resolve/<rev>/<path>`: a file's content, with the headers
   * clients read to name the cache blob (`ETag`, `X-Linked-Etag`), to find the commit
   * (`X-Repo-Commit`) and to size the download (`Content-Length`, `X-Linked-Size`), and
   * with byte ranges.
   */
  private resolveFile(context: HubRouteContext, type: HubRepoType): void {
    const [id = "", revision = "", path = ""] = context.groups;
    const repo = this.readableRepo(context.request, type, id);
    const commit = this.commitAt(repo, revision);
    const file = commit.files.get(path);
    if (file === undefined) throw new HubReplyError(404, "EntryNotFound", "Entry not found");

    const size = file.content.length;
    const headers: Record<string, string> = {
      "Content-Type": "application/octet-stream",
      "Accept-Ranges": "bytes",
      ETag: `"${file.lfs?.oid ?? file.oid}"`,
      "X-Repo-Commit": commit.sha,
    };
    if (file.lfs !== undefined) {
      headers["X-Linked-Etag"] = `"${file.lfs.oid}"`;
      headers["X-Linked-Size"] = String(file.lfs.size);
    }

    const range = parseRange(context.request.headers.range, size);
    if (range === "unsatisfiable") {
      headers["Content-Range"] = `bytes */${size}`;
      this.reply(context, 416, { error: "Range not satisfiable" }, headers);
      return;
    }
    const [start, end] = range ?? [0, size - 1];
    const status = range === undefined ? 200 : 206;
    if (range !== undefined) headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
    const body = file.content.subarray(start, end + 1);

    if (context.resetAfterBytes === undefined || context.request.method === "HEAD") {
      this.reply(context, status, body, headers);
      return;
    }

    // An injected reset mid-transfer: the headers promise the whole body, part of it comes.
    // The pause before the reset lets the client take in the part (a stream that errors drops
    // what its reader has not read yet), so the bytes that reach its disk are the bytes sent.
    context.response.writeHead(status, { ...headers, "Content-Length": String(body.length) });
    this.record(context, 0);
    context.response.write(body.subarray(0, context.resetAfterBytes), () => {
      setTimeout(() => context.request.socket.destroy(), RESET_PAUSE_MS);
    });
  }
}

function bearerToken(request: IncomingMessage): string | undefined {
  return /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
}

export function repoType(types: string): HubRepoType {
  return types === "datasets" ? "dataset" : "model";
}

function jsonBytes(body: object): Buffer {
  return Buffer.from(JSON.stringify(body));
}

/** Every folder of a commit's snapshot, as paths without a trailing `/`. */
function folderPaths(commit: HubCommit): Set<string> {
  const folders = new Set<string>();
  for (const path of commit.files.keys()) {
    const parts = path.split("/");
    for (let depth = 1; depth < parts.length; depth++) folders.add(parts.slice(0, depth).join("/"));
  }
  return folders;
}

/** Paths under `prefix`: its direct children, or all descendants when `recursive`. */
function treeEntries(commit: HubCommit, prefix: string, recursive: boolean): string[] {
  const paths = [...commit.files.keys(), ...folderPaths(commit)].filter((path) =>
    path.startsWith(prefix),
  );
  const chosen = recursive
    ? paths
    : paths.filter((path) => !path.slice(prefix.length).includes("/"));
  return chosen.sort();
}

/** A stand-in for git's tree id: a hash of what lies under the folder. */
function folderOid(commit: HubCommit, folder: string): string {
  const hash = createHash("sha1");
  for (const [path, file] of [...commit.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (path.startsWith(`${folder}/`)) hash.update(`${path}\0${file.oid}\n`);
  }
  return hash.digest("hex");
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` as inclusive offsets; one range only. */
function parseRange(
  header: string | undefined,
  size: number,
): [number, number] | "unsatisfiable" | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header ?? "");
  if (match === null) return undefined;

  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return "unsatisfiable";
  const start = first === "" ? Math.max(0, size - Number(last)) : Number(first);
  const end = first === "" || last === "" ? size - 1 : Math.min(Number(last), size - 1);
  return start > end || start >= size ? "unsatisfiable" : [start, end];
}

async function readPathsInfoBody(request: IncomingMessage) {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");

  // @huggingface/hub posts JSON; huggingface_hub posts a form with `paths` repeated.
  if ((request.headers["content-type"] ?? "").includes("application/json")) {
    const body = JSON.parse(text) as { paths?: string[] | string; expand?: boolean };
    const paths = typeof body.paths === "string" ? [body.paths] : (body.paths ?? []);
    return { paths, expand: body.expand === true };
  }
  const form = new URLSearchParams(text);
  return { paths: form.getAll("paths"), expand: ["1", "true"].includes(form.get("expand") ?? "") };
}
