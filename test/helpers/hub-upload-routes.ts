/**
 * The upload routes of the test Hub, as @huggingface/hub 2.x calls them: create a repo, create
 * a branch, preupload (which files go through Git LFS), the Git LFS batch API and the PUT of each
 * object, and the NDJSON commit. A commit makes a new snapshot on its branch, so the read routes
 * (tree listings, paths-info, resolve) serve what was uploaded. LFS objects are checked against
 * the size and sha256 the batch announced before they are kept, as the Hub's storage checks them.
 */
import { createHash, randomBytes } from "node:crypto";
import { type HubFile, type HubRepoType, hubFile, isLfsPath } from "./hub-repo-store.js";
import type { HubRouteContext, HubServer } from "./hub-server.js";
import { HubReplyError, repoType } from "./hub-server.js";

const REPO_ID = "([^/]+/[^/]+)";
const API = "^/api/(datasets|models)/([^/]+/[^/]+)";

/** An LFS upload the batch API granted: which object the PUT may send, for which repo. */
interface LfsTicket {
  repoKey: string;
  oid: string;
  size: number;
}

interface CommitLine {
  key: string;
  value: Record<string, unknown>;
}

export function addUploadRoutes(hub: HubServer): void {
  /** `<type>s/<id>:<sha256>` to the content of every LFS object received, per repo. */
  const lfsObjects = new Map<string, Buffer>();
  const tickets = new Map<string, LfsTicket>();

  hub.route(["POST"], /^\/api\/repos\/create$/, (context) => createRepo(hub, context));
  hub.route(["POST"], new RegExp(`${API}/branch/([^/]+)$`), (context) =>
    createBranch(hub, context),
  );
  hub.route(["POST"], new RegExp(`${API}/preupload/([^/]+)$`), (context) =>
    preupload(hub, context),
  );
  hub.route(["POST"], new RegExp(`${API}/commit/([^/]+)$`), (context) =>
    commit(hub, context, lfsObjects),
  );
  const batch = (type: HubRepoType) => (context: HubRouteContext) =>
    lfsBatch(hub, context, type, { lfsObjects, tickets });
  const batchPath = "\\.git/info/lfs/objects/batch$";
  hub.route(["POST"], new RegExp(`^/datasets/${REPO_ID}${batchPath}`), batch("dataset"));
  hub.route(["POST"], new RegExp(`^/${REPO_ID}${batchPath}`), batch("model"));
  hub.route(["PUT"], /^\/lfs-storage\/([0-9a-f]+)$/, (context) =>
    putLfsObject(hub, context, { lfsObjects, tickets }),
  );
}

/** `POST /api/repos/create` `{name, organization, type, visibility | private}`. */
async function createRepo(hub: HubServer, context: HubRouteContext): Promise<void> {
  const body = parseJson(await hub.readBody(context.request));
  const name = String(body.name ?? "");
  const namespace = String(body.organization ?? "");
  const type: HubRepoType = body.type === "dataset" ? "dataset" : "model";
  const id = `${namespace}/${name}`;
  hub.checkWriteAccess(context.request, namespace, `the namespace ${namespace}`);

  const url = `${hub.url}/${type === "dataset" ? "datasets/" : ""}${id}`;
  if (hub.store.get(type, id) !== undefined) {
    hub.reply(context, 409, { error: `You already created this ${type} repo`, url });
    return;
  }

  const isPrivate = body.visibility === "private" || body.private === true;
  const repo = hub.store.create(type, id, { private: isPrivate });
  // The Hub starts every repo with one commit on main holding its `.gitattributes`.
  const attributes = Buffer.from("*.safetensors filter=lfs diff=lfs merge=lfs -text\n");
  const changes = new Map([[".gitattributes", hubFile(".gitattributes", attributes, false)]]);
  hub.store.commit(repo, "main", changes, "initial commit");
  const repoObjectId = createHash("sha1").update(`${type}s/${id}`).digest("hex").slice(0, 24);
  hub.reply(context, 200, { url, name: id, id: repoObjectId });
}

/** `POST /api/<type>s/<id>/branch/<name>` `{startingPoint?, overwrite?}`. */
async function createBranch(hub: HubServer, context: HubRouteContext): Promise<void> {
  const [types = "", id = "", branch = ""] = context.groups;
  const repo = hub.writableRepo(context.request, repoType(types), id);
  const body = parseJson(await hub.readBody(context.request));
  if (repo.branches.has(branch) && body.overwrite !== true) {
    throw new HubReplyError(409, undefined, `Reference refs/heads/${branch} already exists`);
  }

  const start = hub.commitAt(
    repo,
    typeof body.startingPoint === "string" ? body.startingPoint : "main",
  );
  repo.branches.set(branch, start.sha);
  hub.reply(context, 200, {});
}

/** `POST /api/<type>s/<id>/preupload/<rev>` `{files: [{path, size, sample}]}`. */
async function preupload(hub: HubServer, context: HubRouteContext): Promise<void> {
  const [types = "", id = "", revision = ""] = context.groups;
  const repo = hub.writableRepo(context.request, repoType(types), id);
  hub.commitAt(repo, revision);
  const body = parseJson(await hub.readBody(context.request));
  const files = (body.files ?? []) as { path: string; size: number }[];

  hub.reply(context, 200, {
    files: files.map(({ path, size }) => ({
      path,
      uploadMode: isLfsPath(path, size) ? "lfs" : "regular",
      shouldIgnore: false,
    })),
  });
}

/** `POST /[datasets/]<id>.git/info/lfs/objects/batch`: where to PUT each object not held yet. */
async function lfsBatch(
  hub: HubServer,
  context: HubRouteContext,
  type: HubRepoType,
  storage: { lfsObjects: Map<string, Buffer>; tickets: Map<string, LfsTicket> },
): Promise<void> {
  const [id = ""] = context.groups;
  hub.writableRepo(context.request, type, id);
  const body = parseJson(await hub.readBody(context.request));
  const objects = (body.objects ?? []) as { oid: string; size: number }[];
  const repoKey = `${type}s/${id}`;
  if (body.operation !== "upload") {
    throw new HubReplyError(422, undefined, `operation '${String(body.operation)}' is not served`);
  }

  const answer = objects.map(({ oid, size }) => {
    if (storage.lfsObjects.get(`${repoKey}:${oid}`)?.length === size) return { oid, size };

    // Like a signed storage URL: the PUT needs no token, only this unguessable address.
    const ticket = randomBytes(16).toString("hex");
    storage.tickets.set(ticket, { repoKey, oid, size });
    const href = `${hub.url}/lfs-storage/${ticket}`;
    return { oid, size, authenticated: true, actions: { upload: { href, expires_in: 3600 } } };
  });
  hub.reply(
    context,
    200,
    { transfer: "basic", objects: answer },
    {
      "Content-Type": "application/vnd.git-lfs+json",
    },
  );
}

/** `PUT /lfs-storage/<ticket>`: one object's content, kept once its size and sha256 match. */
async function putLfsObject(
  hub: HubServer,
  context: HubRouteContext,
  storage: { lfsObjects: Map<string, Buffer>; tickets: Map<string, LfsTicket> },
): Promise<void> {
  const ticket = storage.tickets.get(context.groups[0] ?? "");
  if (ticket === undefined) throw new HubReplyError(403, undefined, "Unknown upload address");
  const content = await hub.readBody(context.request);

  const sha256 = createHash("sha256").update(content).digest("hex");
  if (content.length !== ticket.size || sha256 !== ticket.oid) {
    const seen = `${content.length} bytes with sha256 ${sha256}`;
    const expected = `${ticket.size} bytes with sha256 ${ticket.oid}`;
    throw new HubReplyError(400, undefined, `Received ${seen}; expected ${expected}`);
  }
  storage.lfsObjects.set(`${ticket.repoKey}:${sha256}`, content);
  hub.reply(context, 200, "", { ETag: `"${sha256}"` });
}

/**
 * `POST /api/<type>s/<id>/commit/<branch>`, NDJSON: a `header` line, then `file` (base64 or
 * utf-8 content), `lfsFile` (an uploaded object by sha256) and `deletedFile` lines.
 */
async function commit(
  hub: HubServer,
  context: HubRouteContext,
  lfsObjects: Map<string, Buffer>,
): Promise<void> {
  const [types = "", id = "", branch = ""] = context.groups;
  const repo = hub.writableRepo(context.request, repoType(types), id);
  if (!repo.branches.has(branch)) {
    throw new HubReplyError(404, "RevisionNotFound", `Invalid rev id: ${branch}`);
  }
  const lines = (await hub.readBody(context.request))
    .toString("utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as CommitLine);

  const [header, ...operations] = lines;
  if (header?.key !== "header") {
    throw new HubReplyError(400, undefined, "The first line of a commit must be its header");
  }
  const parent = header.value.parentCommit;
  if (typeof parent === "string" && parent !== repo.branches.get(branch)) {
    throw new HubReplyError(412, undefined, `${branch} has moved past ${parent}`);
  }

  const changes = new Map<string, HubFile | null>();
  for (const operation of operations) {
    const path = String(operation.value.path ?? "");
    changes.set(
      path,
      commitChange(operation, (oid) => lfsObjects.get(`${types}/${id}:${oid}`)),
    );
  }
  const made = hub.store.commit(repo, branch, changes, String(header.value.summary ?? ""));
  const repoPath = `${repoType(types) === "dataset" ? "datasets/" : ""}${id}`;
  hub.reply(context, 200, {
    success: true,
    commitOid: made.sha,
    commitUrl: `${hub.url}/${repoPath}/commit/${made.sha}`,
    hookOutput: "",
  });
}

/** What one operation line does to its path: a new file, or `null` to delete it. */
function commitChange(
  operation: CommitLine,
  lfsObject: (oid: string) => Buffer | undefined,
): HubFile | null {
  const path = String(operation.value.path ?? "");
  if (operation.key === "deletedFile") return null;
  if (operation.key === "file") {
    const encoding = operation.value.encoding === "base64" ? "base64" : "utf8";
    return hubFile(path, Buffer.from(String(operation.value.content ?? ""), encoding), false);
  }
  if (operation.key === "lfsFile") {
    const content = lfsObject(String(operation.value.oid ?? ""));
    if (content === undefined || content.length !== operation.value.size) {
      throw new HubReplyError(422, undefined, `${path}: its LFS object was never uploaded`);
    }
    return hubFile(path, content, true);
  }
  throw new HubReplyError(400, undefined, `Unknown commit operation '${operation.key}'`);
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new HubReplyError(400, undefined, "The body is not JSON");
  }
}
