import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

// Tests run as dist/test/contract/*.test.js, so the repository root is three folders up.
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The shared folder beside the repository (spec, fixtures), or ROBOTRAIN_SHARED_DIR. */
export const sharedDir = process.env.ROBOTRAIN_SHARED_DIR ?? resolve(repoRoot, "../shared");
