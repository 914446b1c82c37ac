import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseJobMessage } from "../../src/contract/index.js";
import { openTestBroker, type TestBroker } from "../helpers/broker.js";
import { runCli } from "../helpers/run-cli.js";

const REQUEST = {
  model_type: "ACT",
  dataset_name: "phospho-app/pick-and-place",
  model_name: "my-policy",
  training_params: { steps: 200, batch_size: 16 },
  user_hf_token: "hf_secret_token_that_must_not_leak",
};

describe("robotrain submit", () => {
  let broker: TestBroker;
  before(async () => {
    broker = await openTestBroker();
  });
  after(() => broker.cleanup());

  test("publishes a valid request as a persistent job and prints the StartTrainingResponse", async () => {
    const events = await broker.connection.createChannel();
    await events.assertExchange(broker.config.eventsExchange, "topic", { durable: true });
    const { queue: eventQueue } = await events.assertQueue("", { exclusive: true });
    await events.bindQueue(eventQueue, broker.config.eventsExchange, "training.#");

    const run = await runCli(["submit", "-", "--id", "4242", "--namespace", "acme"], {
      env: { ...broker.env, HF_ENDPOINT: "http://127.0.0.1:9/" },
      stdin: JSON.stringify(REQUEST),
    });
    assert.equal(run.code, 0, run.stderr);
    const response = JSON.parse(run.stdout);
    assert.deepEqual(
      { ...response, message: typeof response.message },
      {
        status: "ok",
        training_id: 4242,
        model_url: "http://127.0.0.1:9/acme/my-policy",
        message: "string",
      },
    );

    const channel = await broker.connection.createChannel();
    const delivery = await channel.get(broker.config.jobQueue, { noAck: true });
    assert.ok(delivery, "the job queue is empty");
    assert.equal(delivery.properties.messageId, "4242");
    assert.equal(delivery.properties.contentType, "application/json");
    assert.equal(delivery.properties.deliveryMode, 2);
    const job = parseJobMessage(JSON.parse(delivery.content.toString("utf8")));
    assert.equal(job.training_id, 4242);
    assert.equal(job.model_name, "acme/my-policy");
    // The ACT model's default, filled in at submission.
    assert.equal((job.training_params as { save_freq?: number }).save_freq, 5000);
    await channel.close();

    const queued = await events.get(eventQueue, { noAck: true });
    assert.ok(queued, "no queued event");
    assert.equal(queued.fields.routingKey, "training.4242.queued");
    const event = JSON.parse(queued.content.toString("utf8"));
    assert.equal(event.kind, "queued");
    assert.equal(event.training_id, 4242);
    await events.close();

    assert.doesNotMatch(run.stdout + run.stderr + queued.content.toString(), /hf_secret_token/);
  });

  test("gives a generated model name that survives the job being validated again", async () => {
    const { model_name: _name, ...unnamed } = REQUEST;
    const run = await runCli(["submit", "-", "--namespace", "acme"], {
      env: broker.env,
      stdin: JSON.stringify(unnamed),
    });
    assert.equal(run.code, 0, run.stderr);
    const response = JSON.parse(run.stdout);
    assert.match(
      response.model_url,
      /^https:\/\/huggingface\.co\/acme\/ACT-pick-and-place-[a-z0-9]{10}$/,
    );

    const channel = await broker.connection.createChannel();
    const delivery = await channel.get(broker.config.jobQueue, { noAck: true });
    assert.ok(delivery);
    const first = parseJobMessage(JSON.parse(delivery.content.toString("utf8")));
    const again = parseJobMessage(JSON.parse(JSON.stringify(first)));
    assert.equal(again.model_name, first.model_name);
    assert.equal(response.model_url.endsWith(first.model_name), true);
    assert.equal(again.training_id, response.training_id);
    await channel.close();
  });

  test("prints the 422 detail and exits non-zero before contacting any broker", async () => {
    const bad = { ...REQUEST, training_params: { batch_size: 0 } };
    // Port 1 has no broker: reaching for one would fail differently, with exit code 1.
    const run = await runCli(["submit", "-"], {
      env: { ...broker.env, AMQP_URL: "amqp://guest:guest@127.0.0.1:1" },
      stdin: JSON.stringify(bad),
    });
    assert.equal(run.code, 2, run.stderr);
    const body = JSON.parse(run.stdout);
    assert.deepEqual(body.detail[0].loc, ["body", "training_params", "batch_size"]);
    assert.equal(body.detail[0].type, "greater_than");
    assert.equal(run.stderr, "");
  });

  test("answers a body that is not JSON with FastAPI's json_invalid detail", async () => {
    const run = await runCli(["submit", "-"], { env: broker.env, stdin: "{not json" });
    assert.equal(run.code, 2);
    const body = JSON.parse(run.stdout);
    assert.equal(body.detail[0].type, "json_invalid");
    assert.deepEqual(body.detail[0].loc, ["body", 0]);
  });

  test("says where the broker is not, without its password", async () => {
    const run = await runCli(["submit", "-"], {
      env: { ...broker.env, AMQP_URL: "amqp://guest:hunter2@127.0.0.1:1" },
      stdin: JSON.stringify(REQUEST),
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /broker amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1: could not connect/);
    assert.doesNotMatch(run.stderr, /hunter2/);
  });
});
