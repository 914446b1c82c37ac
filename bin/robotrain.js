#!/usr/bin/env node
// The compiled command lives in dist/; `npm ci` (or `npm run build`) writes it.
import("../dist/src/main.js").catch((error) => {
  if (
    error?.code === "ERR_MODULE_NOT_FOUND" &&
    String(error.message).includes("dist/src/main.js")
  ) {
    process.stderr.write("robotrain: dist/ is missing; build it with `npm run build`\n");
  } else {
    process.stderr.write(`robotrain: ${error?.stack ?? error}\n`);
  }
  process.exitCode = 1;
});
