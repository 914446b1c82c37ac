/**
 * The job contract: the `POST /training/start` API of the spec in `../shared/spec/`, the job
 * message that carries a job on the queue, and the errors a bad one gets.
 */
export {
  ACT_POLICY_KEYS,
  ActPolicyParams,
  actPolicyParams,
  actPolicyParamsErrors,
} from "./act-policy-params.js";
export {
  EXTRA_PARAMS_KEYS,
  knownParamsKeys,
  type OpenParamsModelType,
} from "./foreign-params-keys.js";
export {
  HUB_REPO_ID_PART_MAX_LENGTH,
  hubRepoIdProblem,
  hubRepoIdString,
  isHubRepoId,
} from "./hub-repo-id.js";
export { checkSchema } from "./issue-to-validation-error.js";
export {
  type BuildJobMessageOptions,
  buildJobMessage,
  JobMessage,
  parseJobMessage,
} from "./job-message.js";
export {
  JOB_MESSAGE_SCHEMA_PATH,
  jobMessageJsonSchema,
  jobMessageSchemaText,
} from "./job-message-schema.js";
export {
  DEFAULT_MODEL_NAMESPACE,
  MODEL_NAME_MAX_LENGTH,
  type RandomIndex,
  type ResolveModelNameOptions,
  randomSuffix,
  resolveModelName,
} from "./model-name.js";
export {
  OPENAPI_SCHEMAS_POINTER,
  openApiComponentSchemas,
  openApiComponents,
} from "./openapi-components.js";
export { parseTrainingParams } from "./parse-training-params.js";
export {
  type ParsedTrainingRequest,
  parseTrainingRequest,
  type WithTrainingParams,
} from "./parse-training-request.js";
export {
  DEFAULT_HUB_ENDPOINT,
  StartTrainingResponse,
  startTrainingResponse,
} from "./start-training-response.js";
export { TrainingParamsAct } from "./training-params-act.js";
export { TrainingParamsActWithBbox } from "./training-params-act-bbox.js";
export { TrainingParamsCustom } from "./training-params-custom.js";
export { TrainingParamsGr00T } from "./training-params-gr00t.js";
export {
  MODELED_MODEL_TYPES,
  type ModeledModelType,
  paramsModelName,
  TRAINING_PARAMS_MODELS,
  type TrainingParams,
  type TrainingParamsFor,
} from "./training-params-models.js";
export { TrainingParamsPi0 } from "./training-params-pi0.js";
export {
  MODEL_TYPES,
  ModelType,
  TrainingRequest,
  type TrainingRequestBody,
} from "./training-request.js";
export {
  BODY_LOC,
  HTTPValidationError,
  type Loc,
  RequestValidationError,
  unwrapOutcome,
  ValidationError,
  type ValidationOutcome,
} from "./validation-error.js";
