import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createBranch, createRepo, uploadFiles } from "@huggingface/hub";
import { HubServer } from "../helpers/hub-server.js";

const TOKEN = "hf_testHubWriterToken000000000001";

/** The test Hub's upload side, as the uploads under test rely on it. */
describe("test Hub upload routes", () => {
  let hub: HubServer;
  const auth = { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" };

  before(async () => {
    hub = await HubServer.start();
    hub.grantWrite(TOKEN, ["writer"]);
  });

  after(() => hub.close());

  test("refuses to create a repo without a token, with an unknown one, or twice", async () => {
    const create = (headers: Record<string, string>) =>
      fetch(`${hub.url}/api/repos/create`, {
        method: "POST",
        headers,
        body: JSON.stringify({ name: "twice", organization: "writer", type: "model" }),
      });
    assert.equal((await create({})).status, 401);
    assert.equal((await create({ ...auth, Authorization: "Bearer hf_unknown" })).status, 401);
    assert.equal((await create(auth)).status, 200);
    assert.equal((await create(auth)).status, 409);
  });

  test("creates a branch from a revision once, and 409 after", async () => {
    const repo = { type: "model" as const, name: "writer/branches" };
    await createRepo({ repo, hubUrl: hub.url, accessToken: TOKEN });
    const params = { repo, branch: "step-000001", hubUrl: hub.url, accessToken: TOKEN };
    await createBranch({ ...params, revision: "main" });
    await assert.rejects(createBranch(params), /already exists/);

    const stored = hub.store.get("model", repo.name)!;
    assert.equal(stored.branches.get("step-000001"), stored.branches.get("main"));
  });

  test("keeps an LFS object only when its size and sha256 are those announced", async () => {
    const repo = { type: "model" as const, name: "writer/lfs" };
    await createRepo({ repo, hubUrl: hub.url, accessToken: TOKEN });
    const content = Buffer.from("weights of a policy");
    const oid = createHash("sha256").update(content).digest("hex");
    const batch = await fetch(`${hub.url}/${repo.name}.git/info/lfs/objects/batch`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ operation: "upload", objects: [{ oid, size: content.length }] }),
    });
    const answer = (await batch.json()) as {
      objects: { actions: { upload: { href: string } } }[];
    };
    const href = answer.objects[0]!.actions.upload.href;

    const wrong = await fetch(href, { method: "PUT", body: Buffer.from("WEIGHTS OF A POLICY") });
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /expected 19 bytes with sha256/);
    assert.equal((await fetch(href, { method: "PUT", body: content })).status, 200);
  });

  test("commits regular and LFS files as a new snapshot on the branch", async () => {
    const repo = { type: "model" as const, name: "writer/commit" };
    await createRepo({ repo, hubUrl: hub.url, accessToken: TOKEN });
    const weights = Buffer.from([0, 1, 2, 3, 255]);
    await uploadFiles({
      repo,
      files: [
        { path: "config.json", content: new Blob(['{"type":"act"}']) },
        { path: "model.safetensors", content: new Blob([weights]) },
      ],
      hubUrl: hub.url,
      accessToken: TOKEN,
    });

    const main = hub.store.resolve(hub.store.get("model", repo.name)!, "main")!;
    assert.equal(main.files.get("config.json")?.lfs, undefined);
    assert.equal(main.files.get("config.json")?.content.toString(), '{"type":"act"}');
    assert.ok(main.files.get("model.safetensors")?.content.equals(weights));
    assert.equal(
      main.files.get("model.safetensors")?.lfs?.oid,
      createHash("sha256").update(weights).digest("hex"),
    );
    assert.ok(main.files.has(".gitattributes"), "the snapshot keeps the files before it");
  });
});
