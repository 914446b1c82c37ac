import { z } from "zod";

/**
 * Parameters of a `custom` job: a free-form object handed to the custom trainer as it is. The
 * spec defines no model for it, so it is not an OpenAPI component.
 */
export const TrainingParamsCustom = z.record(z.string(), z.unknown());

export type TrainingParamsCustom = z.output<typeof TrainingParamsCustom>;
