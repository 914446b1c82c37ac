import assert from "node:assert/strict";
import { RequestValidationError, type ValidationError } from "../../src/contract/index.js";

/** Runs `parse`, which must throw a RequestValidationError, and returns the error's detail. */
export function detailOf(parse: () => unknown): readonly ValidationError[] {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof RequestValidationError, `threw ${String(error)}`);
    return error.detail;
  }
  assert.fail("expected a RequestValidationError, but the input was accepted");
}
