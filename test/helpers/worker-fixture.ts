/**
 * What a worker test needs around the worker: a private corner of the real broker, the local
 * Hub holding a small LeRobot dataset and granting a token write access, a home folder, the
 * environment that points a worker at all of them, and a way to submit small ACT jobs.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildJobMessage, parseTrainingRequest } from "../../src/contract/index.js";
import { writeSampleDataset } from "../../src/dataset/sample/write-sample-dataset.js";
import { publishJob } from "../../src/queue/publish-job.js";
import { openTestBroker, type TestBroker } from "./broker.js";
import { HubServer } from "./hub-server.js";

export const WORKER_TOKEN = "hf_workertokenthatmustneverleak";
export const USER_SECRET = "hf_usertokenthatmustneverleak";

/** ACT small enough for a step in a fraction of a second on a CPU. */
const SMALL_ACT = {
  dim_model: 32,
  n_heads: 2,
  dim_feedforward: 64,
  n_encoder_layers: 1,
  n_vae_encoder_layers: 1,
  chunk_size: 10,
  n_action_steps: 10,
  latent_dim: 4,
  pretrained_backbone_weights: null,
};

export interface WorkerFixture {
  broker: TestBroker;
  hub: HubServer;
  home: string;
  env: NodeJS.ProcessEnv;
  /** Publishes job `id` (model `lab/reach-act-<id>`) as `robotrain submit` would. */
  submit(id: number, steps: number, saveFreq: number): Promise<void>;
  cleanup(): Promise<void>;
}

export async function openWorkerFixture(deliveryLimit = 3): Promise<WorkerFixture> {
  const broker = await openTestBroker(deliveryLimit);
  const hub = await HubServer.start();
  hub.grantWrite(WORKER_TOKEN, ["lab"]);
  const home = await mkdtemp(join(tmpdir(), "robotrain-worker-"));
  const dataset = join(home, "reach");
  await writeSampleDataset({ output: dataset, episodes: 4, framesPerEpisode: 30, version: "v2.1" });
  await hub.addRepo({ type: "dataset", id: "lab/reach", folder: dataset });

  const env = {
    ...broker.env,
    ROBOTRAIN_HOME: join(home, "worker"),
    HF_ENDPOINT: hub.url,
    HF_TOKEN: WORKER_TOKEN,
    HF_HUB_CACHE: join(home, "hf"),
    ROBOTRAIN_MIN_FREE_GB: "0",
    ROBOTRAIN_PROGRESS_EVERY_STEPS: "1",
    ROBOTRAIN_RETRY_DELAY_SECONDS: "0.1",
    ROBOTRAIN_METRICS_PORT: "127.0.0.1:0",
  };

  const submit = async (id: number, steps: number, saveFreq: number) => {
    const request = parseTrainingRequest({
      model_type: "ACT",
      dataset_name: "lab/reach",
      model_name: `lab/reach-act-${id}`,
      training_params: { ...SMALL_ACT, steps, batch_size: 4, save_freq: saveFreq },
      wandb_api_key: USER_SECRET,
    });
    const job = buildJobMessage(request, { trainingId: id });
    await publishJob({ connection: broker.connection, config: broker.config, job });
  };

  const cleanup = async () => {
    await broker.cleanup();
    await hub.close();
    await rm(home, { recursive: true, force: true });
  };
  return { broker, hub, home, env, submit, cleanup };
}
