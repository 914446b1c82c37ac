import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { parseJobMessage } from "../../src/contract/job-message.js";
import { buildModelCard } from "../../src/hub/model-card.js";

const USER_TOKEN = "hf_userTokenThatMustStaySecret0002";
const WANDB_KEY = "wandbKeyThatMustStaySecret0123456789abcd";

const job = parseJobMessage({
  model_type: "ACT",
  dataset_name: "robotrain/reach-sample",
  model_name: "alice/act-reach",
  training_id: 3,
  private_mode: true,
  user_hf_token: USER_TOKEN,
  wandb_api_key: WANDB_KEY,
});

const trainConfig = {
  model_type: "ACT",
  dataset: { name: "robotrain/reach-sample", revision: "main", episodes: 12, cameras: ["top"] },
  policy: { type: "act", chunk_size: 20, n_action_steps: 20, dim_model: 128, optimizer_lr: 1e-4 },
  steps: 300,
  batch_size: 8,
  save_freq: 100,
  seed: 0,
  device: "cpu",
};

/** 20 steps falling from 2.0 to 1.05. */
const losses = Float64Array.from({ length: 20 }, (_, i) => 2 - i * 0.05);

function frontMatter(card: string): Record<string, unknown> {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(card);
  assert.ok(match, "the card opens with YAML front matter");
  return parseYaml(match[1]!) as Record<string, unknown>;
}

describe("buildModelCard", () => {
  test("front matter names the library, pipeline, tags, dataset and license", () => {
    const card = buildModelCard({ job, trainConfig, losses, license: "apache-2.0" });
    assert.deepEqual(frontMatter(card), {
      library_name: "lerobot",
      pipeline_tag: "robotics",
      tags: ["robotics", "act", "lerobot", "robotrain"],
      datasets: ["robotrain/reach-sample"],
      license: "apache-2.0",
    });
    assert.equal("license" in frontMatter(buildModelCard({ job, trainConfig, losses })), false);
  });

  test("lists the training parameters and the initial and final loss", () => {
    const card = buildModelCard({ job, trainConfig, losses });
    assert.match(card, /^# alice\/act-reach$/m);
    assert.match(card, /^\| steps \| 300 \|$/m);
    assert.match(card, /^\| batch size \| 8 \|$/m);
    assert.match(card, /^\| `chunk_size` \| 20 \|$/m);
    assert.match(card, /^\| `optimizer_lr` \| 0\.0001 \|$/m);
    // Mean over the first and last tenth: steps 1-2 and 19-20.
    assert.match(card, /initial loss: 1\.975 \(mean over the first 2 steps\)/);
    assert.match(card, /final loss: 1\.075 \(mean over the last 2 steps\)/);
  });

  test("shows the loss curve and how to load the model and its checkpoints", () => {
    const card = buildModelCard({
      job,
      trainConfig,
      losses,
      checkpointBranches: ["step-000100", "step-000200"],
      hasOnnx: true,
    });
    assert.match(card, /!\[Training loss per step\]\(loss_curve\.png\)/);
    assert.match(card, /from lerobot\.policies\.act\.modeling_act import ACTPolicy/);
    assert.match(card, /ACTPolicy\.from_pretrained\("alice\/act-reach"\)/);
    assert.match(card, /revision="step-000200"/);
    assert.match(card, /policy\.onnx/);
  });

  test("holds no token or key of the job, and no config field outside its allow-list", () => {
    const leaky = {
      ...trainConfig,
      hub_token: USER_TOKEN,
      policy: { ...trainConfig.policy, wandb: WANDB_KEY },
    };
    const card = buildModelCard({ job, trainConfig: leaky, losses });
    assert.ok(!card.includes(USER_TOKEN));
    assert.ok(!card.includes(WANDB_KEY));
  });

  test("says so when no step had a finite loss", () => {
    const card = buildModelCard({ job, trainConfig, losses: Float64Array.of(Number.NaN) });
    assert.match(card, /No finite loss was recorded/);
  });

  test("is the same for the same run", () => {
    assert.equal(
      buildModelCard({ job, trainConfig, losses }),
      buildModelCard({ job, trainConfig, losses }),
    );
  });
});
