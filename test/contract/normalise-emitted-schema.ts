/**
 * Rewrites a JSON Schema emitted by zod into the spelling the OpenAPI spec uses. Each rule
 * changes how a constraint is written, not what it allows, with one narrow exception (the
 * safe-integer bounds, below); anything else is left for the diff to report.
 */

type Schema = Record<string, unknown>;

/**
 * zod bounds every integer that has no bound of its own by ±(2^53 − 1): a JavaScript number
 * holds no larger integer exactly, so no JavaScript reader of the spec can accept one anyway.
 * In this spec such integers occur only in what we write (StartTrainingResponse.training_id,
 * ValidationError.loc), never in a request we parse. Only these exact values are dropped.
 */
const SAFE_INTEGER_BOUNDS = { minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };

/** Keywords whose value is a map of subschemas, a subschema, or a list of subschemas. */
const SCHEMA_MAPS = ["properties", "$defs"];
const SCHEMA_VALUES = ["items", "additionalProperties"];
const SCHEMA_LISTS = ["anyOf", "oneOf", "allOf"];

/** The dialect OpenAPI 3.1 gives a schema that names none (`jsonSchemaDialect`'s default). */
const OPENAPI_DIALECT = "https://json-schema.org/draft/2020-12/schema";

/**
 * Normalises one component as emitted under `#/components/schemas/<name>`. The root's
 * `$schema` and `$id` are dropped once checked: a `$schema` of OpenAPI's default dialect says
 * what the document already says, and an `$id` equal to the component's own pointer names it
 * as its key does.
 */
export function normaliseComponent(name: string, emitted: Schema): Schema {
  const { $schema, $id, ...body } = emitted;
  if ($schema !== OPENAPI_DIALECT) {
    throw new Error(`component ${name} was emitted for dialect ${String($schema)}`);
  }
  if ($id !== `#/components/schemas/${name}`) {
    throw new Error(`component ${name} was emitted with $id ${String($id)}`);
  }
  return normaliseSchema(body);
}

export function normaliseSchema(schema: Schema): Schema {
  const result: Schema = { ...schema };

  // `type: [a, b]` and `anyOf: [{type: a}, {type: b}]` are the same constraint in every draft;
  // zod writes the first, pydantic the second.
  if (Array.isArray(result.type) && result.anyOf === undefined) {
    result.anyOf = result.type.map((type) => ({ type }));
    delete result.type;
  }

  // The empty schema accepts every value, exactly as `true` does.
  if (isEmptyObject(result.additionalProperties)) {
    result.additionalProperties = true;
  }

  if (result.type === "integer") {
    for (const [keyword, bound] of Object.entries(SAFE_INTEGER_BOUNDS)) {
      if (result[keyword] === bound) {
        delete result[keyword];
      }
    }
  }

  return normaliseChildren(result);
}

function normaliseChildren(schema: Schema): Schema {
  for (const keyword of SCHEMA_MAPS) {
    const map = schema[keyword];
    if (isSchema(map)) {
      schema[keyword] = Object.fromEntries(
        Object.entries(map).map(([key, child]) => [
          key,
          isSchema(child) ? normaliseSchema(child) : child,
        ]),
      );
    }
  }
  for (const keyword of SCHEMA_VALUES) {
    const child = schema[keyword];
    if (isSchema(child)) {
      schema[keyword] = normaliseSchema(child);
    }
  }
  for (const keyword of SCHEMA_LISTS) {
    const list = schema[keyword];
    if (Array.isArray(list)) {
      schema[keyword] = list.map((child) => (isSchema(child) ? normaliseSchema(child) : child));
    }
  }
  return schema;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEmptyObject(value: unknown): boolean {
  return isSchema(value) && Object.keys(value).length === 0;
}
