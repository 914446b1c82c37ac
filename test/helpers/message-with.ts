/**
 * A check for `assert.throws` / `assert.rejects`: the error's message holds every fragment, in
 * order. Long expected messages are given in pieces this way, keeping lines short.
 */
import assert from "node:assert/strict";

export function messageWith(...fragments: string[]): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
    let from = 0;
    for (const fragment of fragments) {
      const at = error.message.indexOf(fragment, from);
      assert.ok(at >= 0, `'${error.message}' lacks '${fragment}' (after offset ${from})`);
      from = at + fragment.length;
    }
    return true;
  };
}
