/**
 * A recursive comparison of two JSON values that names the path of each difference, e.g.
 * "TrainingParamsAct.properties.batch_size.anyOf[0].maximum: expected 150, got 128".
 * It reports both directions: a key only in `expected` and a key only in `actual`.
 */
export function diffJson(expected: unknown, actual: unknown, path: string): string[] {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return diffArrays(expected, actual, path);
  }
  if (isObject(expected) && isObject(actual)) {
    return diffObjects(expected, actual, path);
  }
  if (Object.is(expected, actual)) {
    return [];
  }
  return [`${path}: expected ${show(expected)}, got ${show(actual)}`];
}

function diffArrays(expected: unknown[], actual: unknown[], path: string): string[] {
  const differences: string[] = [];
  const length = Math.max(expected.length, actual.length);

  for (let index = 0; index < length; index += 1) {
    const at = `${path}[${index}]`;
    if (index >= actual.length) {
      differences.push(`${at}: expected ${show(expected[index])}, got nothing`);
    } else if (index >= expected.length) {
      differences.push(`${at}: expected nothing, got ${show(actual[index])}`);
    } else {
      differences.push(...diffJson(expected[index], actual[index], at));
    }
  }
  return differences;
}

function diffObjects(
  expected: Record<string, unknown>,
  actual: Record<string, unknown>,
  path: string,
): string[] {
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);

  return [...keys].flatMap((key) => {
    const at = `${path}.${key}`;
    if (!(key in actual)) {
      return [`${at}: expected ${show(expected[key])}, got nothing`];
    }
    if (!(key in expected)) {
      return [`${at}: expected nothing, got ${show(actual[key])}`];
    }
    return diffJson(expected[key], actual[key], at);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
