/**
 * Rewrites one parquet file of a generated dataset, column by column: how tests make the bad
 * datasets the reader must refuse.
 */
import { readFile, writeFile } from "node:fs/promises";
import { Table, type Vector } from "apache-arrow";
import { readParquetTable, writeParquetTable } from "../../src/dataset/parquet.js";

export async function rewriteParquet(
  path: string,
  change: (table: Table) => Record<string, Vector>,
): Promise<void> {
  const table = readParquetTable(await readFile(path));
  const columns: Record<string, Vector> = {};
  for (const field of table.schema.fields)
    columns[field.name] = table.getChild(field.name) as Vector;
  await writeFile(path, writeParquetTable(new Table({ ...columns, ...change(table) })));
}
