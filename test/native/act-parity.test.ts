/**
 * Golden parity of the native ACT with LeRobot v0.3.3, through the addon, on the fixture
 * ../shared/fixtures/act-golden-small (made by LeRobot's own code; see its README.md). Every
 * tensor of expected.safetensors is compared with the rule and tolerance the fixture's README
 * gives for it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type BatchViews, createTrainer, type FloatTensor } from "../../src/train/addon.js";
import {
  ACT_FIXTURE_MODEL,
  type ActFixture,
  loadActFixture,
  observationsOf,
} from "../helpers/act-fixture.js";

interface Rule {
  category: string;
  /** The error measure and its limit for one tensor. */
  check(x: Float32Array, ref: Float32Array): { error: number; limit: number };
  why: string;
}

const maxAbs = (values: Float32Array) => values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxAbsDiff = (x: Float32Array, ref: Float32Array) =>
  ref.reduce((m, r, i) => Math.max(m, Math.abs((x[i] as number) - r)), 0);
const l2 = (values: ArrayLike<number>) =>
  Math.sqrt(Array.from(values).reduce((s, v) => s + v * v, 0));
const l2Diff = (x: Float32Array, ref: Float32Array) =>
  l2(Array.from(ref, (r, i) => (x[i] as number) - r));
const scalar = (values: Float32Array) => values[0] as number;

const FORWARD: Rule = {
  category: "forward",
  check: (x, ref) => ({ error: maxAbsDiff(x, ref), limit: 1e-4 * Math.max(1, maxAbs(ref)) }),
  why: "float32 forward values: two correct float32 implementations differ by ~1e-6 (README)",
};
const LOSS: Rule = {
  category: "loss",
  check: (x, ref) => ({
    error: Math.abs(scalar(x) - scalar(ref)),
    limit: 1e-5 * Math.max(1, Math.abs(scalar(ref))),
  }),
  why: "scalar losses are means over many values: float32 rounding stays below ~4e-7",
};
const GRAD_NORM_TOTAL: Rule = {
  category: "grad_norm_total",
  check: (x, ref) => ({ error: Math.abs(scalar(x) - scalar(ref)), limit: 1e-4 * scalar(ref) }),
  why: "the total norm is dominated by non-backbone gradients, stable to ~5e-7 relative",
};
const GRAD: Rule = {
  category: "grad",
  check: (x, ref) => ({ error: l2Diff(x, ref), limit: 1e-3 * l2(ref) }),
  why: "non-backbone gradients: float32 backward differs by ~2.5e-6 relative (L2)",
};
const GRAD_BACKBONE: Rule = {
  category: "grad_backbone",
  check: (x, ref) => ({ error: l2Diff(x, ref), limit: 5e-2 * l2(ref) }),
  why:
    "a ReLU input within ~1e-6 of 0 may flip sign between float32 implementations " +
    "and move resnet gradients by up to ~1e-2 relative",
};
const GRAD_NORM_BACKBONE: Rule = {
  category: "grad_norm_backbone",
  check: (x, ref) => ({ error: Math.abs(scalar(x) - scalar(ref)), limit: 5e-2 * scalar(ref) }),
  why: "backbone gradient norms share the ReLU-kink sensitivity of backbone gradients",
};
const GRAD_NORM: Rule = {
  category: "grad_norm",
  check: (x, ref) => ({
    error: Math.abs(scalar(x) - scalar(ref)),
    limit: 1e-3 * scalar(ref) + 1e-6,
  }),
  why: "gradient norms; the absolute 1e-6 covers norms that are 0 by construction (decoder self-attention)",
};

/** The fixture README's rule for a tensor of expected.safetensors. */
function ruleFor(name: string): Rule {
  if (["train.l1_loss", "train.kld_loss", "train.loss"].includes(name)) return LOSS;
  if (name === "train.grad_norm_total") return GRAD_NORM_TOTAL;
  if (name === "train.grad.model.backbone.conv1.weight") return GRAD_BACKBONE;
  if (name.startsWith("train.grad.")) {
    assert.ok(!name.startsWith("train.grad.model.backbone."), `no rule for ${name}`);
    return GRAD;
  }
  if (name.startsWith("train.grad_norm.model.backbone.")) return GRAD_NORM_BACKBONE;
  if (name.startsWith("train.grad_norm.")) return GRAD_NORM;
  return FORWARD;
}

/** (B, S, A) -> (n, B, A): what n consecutive select_action calls return after a reset. */
function selectActionSteps(chunk: FloatTensor, nActionSteps: number): FloatTensor {
  const [batch, chunkSize, actionDim] = chunk.shape as [number, number, number];
  const steps = new Float32Array(nActionSteps * batch * actionDim);
  for (let t = 0; t < nActionSteps; t++) {
    for (let b = 0; b < batch; b++) {
      for (let a = 0; a < actionDim; a++) {
        steps[(t * batch + b) * actionDim + a] = chunk.data[
          (b * chunkSize + t) * actionDim + a
        ] as number;
      }
    }
  }
  return { data: steps, shape: [nActionSteps, batch, actionDim] };
}

async function loadedTrainer(fixture: ActFixture, act = {}) {
  const trainer = createTrainer({
    ...fixture.trainerConfig,
    act: { ...fixture.trainerConfig.act, ...act },
  });
  await trainer.loadSafetensors(ACT_FIXTURE_MODEL);
  return trainer;
}

const gradientNames = (fixture: ActFixture) =>
  [...fixture.expected.keys()]
    .filter((name) => name.startsWith("train.grad."))
    .map((name) => name.slice("train.grad.".length));

describe("ACT golden parity with LeRobot v0.3.3 (act-golden-small)", () => {
  test("reproduces every tensor of expected.safetensors within the fixture's tolerances", async (t) => {
    const fixture = await loadActFixture();
    const trainer = await loadedTrainer(fixture);

    // Training tensors with LeRobot's own VAE noise (the batch's vae_eps) and dropout off, as
    // the reference was computed; inference tensors in evaluation mode (latent 0).
    const traced = await trainer.trace(fixture.batch, {
      dropout: false,
      gradients: gradientNames(fixture),
    });
    const ours = new Map<string, FloatTensor>(Object.entries(traced));
    // The public inference path gives the unnormalised chunk and, from it, the actions that
    // n_action_steps select_action calls return (no temporal ensembling in this config).
    const chunk = await trainer.predict(observationsOf(fixture.batch));
    ours.set("inference.actions", chunk);
    ours.set(
      "inference.select_action_steps",
      selectActionSteps(chunk, fixture.config.n_action_steps as number),
    );

    const worst = new Map<string, { name: string; error: number; limit: number }>();
    const failures: string[] = [];
    let compared = 0;
    for (const [name, ref] of fixture.expected) {
      const x = ours.get(name);
      assert.ok(x, `the addon produced no '${name}'`);
      assert.deepEqual(x.shape, ref.shape, `shape of ${name}`);
      const rule = ruleFor(name);
      const { error, limit } = rule.check(x.data, ref.data);
      if (!(error <= limit)) failures.push(`${name}: error ${error} > ${limit} (${rule.why})`);
      const seen = worst.get(rule.category);
      if (!seen || error / limit > seen.error / seen.limit) {
        worst.set(rule.category, { name, error, limit });
      }
      compared += 1;
    }
    for (const [category, { name, error, limit }] of worst) {
      t.diagnostic(
        `${category}: worst ${error.toExponential(2)} (limit ${limit.toExponential(2)}) at ${name}`,
      );
    }

    assert.deepEqual(failures, []);
    // 21 named tensors + 105 per-parameter gradient norms, and never zero of them.
    assert.equal(compared, fixture.expected.size);
    assert.ok(compared >= 126, `only ${compared} tensors in expected.safetensors`);
  });

  test("computes the trainable parameter set LeRobot reports gradients for, no more", async () => {
    const fixture = await loadActFixture();
    const trainer = await loadedTrainer(fixture);
    const traced = await trainer.trace(fixture.batch);
    const names = (keys: Iterable<string>) =>
      [...keys].filter((name) => name.startsWith("train.grad_norm.")).sort();
    assert.deepEqual(names(Object.keys(traced)), names(fixture.expected.keys()));
    const trained = trainer.paramGroups.flatMap((group) => group.parameters).sort();
    assert.deepEqual(
      trained.map((name) => `train.grad_norm.${name}`),
      names(fixture.expected.keys()),
    );
  });

  test("ignores the values of padded actions bit for bit", async () => {
    const fixture = await loadActFixture();
    const trainer = await loadedTrainer(fixture);
    const pad = fixture.batch.action_is_pad!.data;
    const action = Float32Array.from(fixture.batch.action!.data);
    const actionDim = fixture.batch.action!.shape[2] as number;
    let replaced = 0;
    pad.forEach((isPad, step) => {
      if (!isPad) return;
      action.fill(123, step * actionDim, (step + 1) * actionDim);
      replaced += 1;
    });
    assert.ok(replaced > 0, "the fixture batch pads no action");

    const batch: BatchViews = {
      ...fixture.batch,
      action: { ...fixture.batch.action!, data: action },
    };
    const original = await trainer.trace(fixture.batch);
    const altered = await trainer.trace(batch);
    for (const name of ["train.loss", "train.l1_loss", "train.kld_loss", "train.grad_norm_total"]) {
      assert.deepEqual(altered[name]?.data, original[name]?.data, name);
    }
  });

  test("a training step with dropout 0 minimises LeRobot's loss and reports its gradient norm", async () => {
    const fixture = await loadActFixture();
    const trainer = await loadedTrainer(fixture, { dropout: 0 });
    const result = await trainer.step(fixture.batch); // vae_eps in the batch fixes the noise
    const expected = (name: string) => scalar(fixture.expected.get(name)!.data);

    // Same rules as above: losses to 1e-5 relative, the total gradient norm to 1e-4 relative.
    assert.ok(Math.abs(result.loss - expected("train.loss")) <= 1e-5 * expected("train.loss"));
    assert.ok(Math.abs(result.l1Loss - expected("train.l1_loss")) <= 1e-5);
    assert.ok(Math.abs((result.kldLoss ?? Number.NaN) - expected("train.kld_loss")) <= 1e-5 * 2);
    assert.ok(
      Math.abs(result.gradNorm - expected("train.grad_norm_total")) <=
        1e-4 * expected("train.grad_norm_total"),
      `gradNorm ${result.gradNorm}`,
    );
    assert.equal(result.step, 1);
  });
});
