/**
 * Where things are, seen from the compiled tests in dist/test/.
 */
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CLI = fileURLToPath(new URL("../../../bin/robotrain.js", import.meta.url));
