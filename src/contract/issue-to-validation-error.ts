import { z } from "zod";
import type { Loc, ValidationError, ValidationOutcome } from "./validation-error.js";

type Described = Pick<ValidationError, "msg" | "type">;

/**
 * Parses `input` with `schema` and reports a failure as the entries of a FastAPI 422 answer,
 * with pydantic v2's messages and error types, so that clients written against the old service
 * read our errors unchanged. Each `loc` is `locPrefix` followed by the path inside `input`.
 */
export function checkSchema<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  locPrefix: Loc,
): ValidationOutcome<z.output<Schema>> {
  // With the input in each issue, a missing field (undefined) is told apart from a null one.
  // Inputs are only read here, never copied into an entry: they may be tokens.
  const parsed = schema.safeParse(input, { reportInput: true });
  if (parsed.success) {
    return { ok: true, value: parsed.data };
  }
  return { ok: false, detail: toValidationErrors(parsed.error.issues, schema, locPrefix) };
}

/**
 * `schema` is the schema that produced the issues: zod reports a string given to an integer
 * field as "expected number", and only the schema tells that pydantic would say "integer".
 */
function toValidationErrors(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  locPrefix: Loc,
): ValidationError[] {
  const entries = issues.flatMap((issue) => toEntries(issue, schema, locPrefix));

  // pydantic stops at the first failing constraint of a field, while zod runs them all (a huge
  // integer fails both the safe-integer range and the field's own maximum): keep the first.
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = JSON.stringify(entry.loc);
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}

function toEntries(issue: z.core.$ZodIssue, schema: z.ZodType, locPrefix: Loc): ValidationError[] {
  const path = issue.path.map((key) => (typeof key === "symbol" ? String(key.description) : key));
  const loc = [...locPrefix, ...path];

  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      loc: [...loc, key],
      msg: "Extra inputs are not permitted",
      type: "extra_forbidden",
    }));
  }
  return [{ loc, ...describe(issue, () => isIntegerAt(schema, path)) }];
}

function describe(issue: z.core.$ZodIssue, isIntegerField: () => boolean): Described {
  const missing = issue.input === undefined;
  switch (issue.code) {
    case "invalid_type":
      return missing ? FIELD_REQUIRED : describeType(issue, isIntegerField);
    case "invalid_value":
      return missing ? FIELD_REQUIRED : describeChoice(issue.values);
    case "too_small":
      return describeLowerBound(issue) ?? valueError(issue);
    case "too_big":
      return describeUpperBound(issue) ?? valueError(issue);
    case "invalid_format":
      return issue.format === "regex" && issue.pattern !== undefined
        ? { msg: `String should match pattern '${issue.pattern}'`, type: "string_pattern_mismatch" }
        : valueError(issue);
    default:
      return valueError(issue);
  }
}

const FIELD_REQUIRED: Described = { msg: "Field required", type: "missing" };

function valueError(issue: z.core.$ZodIssue): Described {
  return { msg: `Value error, ${issue.message}`, type: "value_error" };
}

function describeType(
  issue: z.core.$ZodIssueInvalidType,
  isIntegerField: () => boolean,
): Described {
  switch (issue.expected) {
    case "int":
      // zod expects "int" only of a number that is not an integer.
      return {
        msg: "Input should be a valid integer, got a number with a fractional part",
        type: "int_from_float",
      };
    case "number":
      return isIntegerField()
        ? { msg: "Input should be a valid integer", type: "int_type" }
        : { msg: "Input should be a valid number", type: "float_type" };
    case "string":
      return { msg: "Input should be a valid string", type: "string_type" };
    case "boolean":
      return { msg: "Input should be a valid boolean", type: "bool_type" };
    case "array":
      return { msg: "Input should be a valid list", type: "list_type" };
    case "object":
      return {
        msg: "Input should be a valid dictionary or object to extract fields from",
        type: "model_attributes_type",
      };
    case "record":
      return { msg: "Input should be a valid dictionary", type: "dict_type" };
    case "null":
      return { msg: "Input should be None", type: "none_required" };
    default:
      return valueError(issue);
  }
}

function describeChoice(values: readonly unknown[]): Described {
  const quoted = values.map((value) => (typeof value === "string" ? `'${value}'` : String(value)));
  if (quoted.length === 1) {
    return { msg: `Input should be ${quoted[0]}`, type: "literal_error" };
  }
  const listed = `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
  return { msg: `Input should be ${listed}`, type: "enum" };
}

function describeLowerBound(issue: z.core.$ZodIssueTooSmall): Described | undefined {
  const bound = String(issue.minimum);
  switch (issue.origin) {
    case "number":
    case "int":
      return issue.inclusive
        ? { msg: `Input should be greater than or equal to ${bound}`, type: "greater_than_equal" }
        : { msg: `Input should be greater than ${bound}`, type: "greater_than" };
    case "string":
      return {
        msg: `String should have at least ${bound} ${plural(bound, "character")}`,
        type: "string_too_short",
      };
    case "array":
      return { msg: listLengthMessage("at least", bound, issue.input), type: "too_short" };
    default:
      return undefined;
  }
}

function describeUpperBound(issue: z.core.$ZodIssueTooBig): Described | undefined {
  const bound = String(issue.maximum);
  switch (issue.origin) {
    case "number":
    case "int":
      return issue.inclusive
        ? { msg: `Input should be less than or equal to ${bound}`, type: "less_than_equal" }
        : { msg: `Input should be less than ${bound}`, type: "less_than" };
    case "string":
      return {
        msg: `String should have at most ${bound} ${plural(bound, "character")}`,
        type: "string_too_long",
      };
    case "array":
      return { msg: listLengthMessage("at most", bound, issue.input), type: "too_long" };
    default:
      return undefined;
  }
}

function plural(count: string, noun: string): string {
  return count === "1" ? noun : `${noun}s`;
}

function listLengthMessage(limit: "at least" | "at most", bound: string, input: unknown): string {
  const length = Array.isArray(input) ? String(input.length) : "?";
  const items = `${bound} ${plural(bound, "item")}`;
  return `List should have ${limit} ${items} after validation, not ${length}`;
}

/** Whether the field at `path` under `schema` is an integer, looking through wrappers. */
function isIntegerAt(schema: z.core.$ZodType, path: readonly (string | number)[]): boolean {
  let node: z.core.$ZodType | undefined = schema;
  for (const key of path) {
    node = childOf(unwrap(node), key);
    if (node === undefined) {
      return false;
    }
  }
  const field = unwrap(node);
  return field instanceof z.ZodNumber && field.isInt;
}

function childOf(node: z.core.$ZodType, key: string | number): z.core.$ZodType | undefined {
  if (node instanceof z.ZodObject) {
    return node.shape[key];
  }
  if (node instanceof z.ZodArray) {
    return node.element;
  }
  if (node instanceof z.ZodRecord) {
    return node.valueType;
  }
  return undefined;
}

function unwrap(node: z.core.$ZodType): z.core.$ZodType {
  if (
    node instanceof z.ZodOptional ||
    node instanceof z.ZodNullable ||
    node instanceof z.ZodDefault
  ) {
    return unwrap(node.unwrap());
  }
  if (node instanceof z.ZodPipe) {
    return unwrap(node.in);
  }
  return node;
}
