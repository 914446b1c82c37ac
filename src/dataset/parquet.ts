/**
 * Parquet through Apache Arrow: parquet-wasm decodes and encodes the files, apache-arrow holds
 * the tables. Fixed-size float lists come out as one contiguous Float32Array per column, copied
 * chunk by chunk, never row by row.
 */
import {
  Field,
  FixedSizeList,
  Float32,
  makeData,
  makeVector,
  type Table,
  tableFromIPC,
  tableToIPC,
  type Vector,
} from "apache-arrow";
import * as parquet from "parquet-wasm";

export function readParquetTable(bytes: Uint8Array): Table {
  return tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
}

export function writeParquetTable(table: Table): Uint8Array {
  const properties = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.SNAPPY)
    .build();
  return parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, "stream")), properties);
}

/** A column of `rows` float lists of length `width`, over `values` (rows, width) without copy. */
export function fixedSizeListVector(values: Float32Array, width: number): Vector {
  const rows = values.length / width;
  const child = makeData({ type: new Float32(), length: values.length, data: values });
  const type = new FixedSizeList(width, new Field("item", new Float32(), true));
  return makeVector(makeData({ type, length: rows, nullCount: 0, child }));
}

export class ColumnShapeError extends Error {
  readonly column: string;
  /** The first offending row, where one row is to blame. */
  readonly row: number | undefined;

  constructor(column: string, message: string, row?: number) {
    super(`column '${column}': ${message}`);
    this.name = "ColumnShapeError";
    this.column = column;
    this.row = row;
  }
}

/** The first row of `chunk` that is null, for error messages. */
function firstNullRow(chunk: { length: number; getValid(index: number): boolean }): number {
  for (let row = 0; row < chunk.length; row++) if (!chunk.getValid(row)) return row;
  return -1;
}

/**
 * A float list column as contiguous (rows, width) float32. Accepts fixed-size and variable lists
 * (whose every row must then hold `width` values), of float32 or float64, and refuses nulls.
 */
export function floatListColumn(table: Table, name: string, width: number): Float32Array {
  const column = table.getChild(name);
  if (!column) throw new ColumnShapeError(name, "missing");
  const out = new Float32Array(table.numRows * width);
  let row = 0;
  for (const chunk of column.data) {
    if (chunk.nullCount > 0) {
      const first = row + firstNullRow(chunk);
      throw new ColumnShapeError(name, `row ${first} is null`, first);
    }
    const child = chunk.children[0];
    if (!child) throw new ColumnShapeError(name, `is ${chunk.type}, not a list of floats`);
    if (child.nullCount > 0) {
      const first = row + Math.floor(firstNullRow(child) / width);
      throw new ColumnShapeError(name, `row ${first} holds a null value`, first);
    }
    const values = child.values as Float32Array | Float64Array;
    if (!(values instanceof Float32Array || values instanceof Float64Array)) {
      throw new ColumnShapeError(name, `holds ${child.type}, not float32 or float64`);
    }

    const { first, count } = listSpan(chunk, name, width);
    out.set(values.subarray(first, first + count), row * width);
    row += chunk.length;
  }
  return out;
}

/**
 * Where a list chunk's values start in its child's `values`, checking that every row holds
 * `width`. Arrow slices a fixed-size list's child with it; a variable list keeps its child whole
 * and slices the offsets.
 */
function listSpan(
  chunk: Table["data"][number]["children"][number],
  name: string,
  width: number,
): { first: number; count: number } {
  if (chunk.type instanceof FixedSizeList) {
    if (chunk.type.listSize !== width) {
      throw new ColumnShapeError(
        name,
        `rows hold ${chunk.type.listSize} values, expected ${width}`,
      );
    }
    return { first: 0, count: chunk.length * width };
  }
  const offsets = chunk.valueOffsets as Int32Array | undefined;
  if (!offsets) throw new ColumnShapeError(name, `is ${chunk.type}, not a list`);
  for (let row = 0; row < chunk.length; row++) {
    const length = (offsets[row + 1] as number) - (offsets[row] as number);
    if (length !== width) {
      throw new ColumnShapeError(name, `row ${row} holds ${length} values, expected ${width}`, row);
    }
  }
  return { first: offsets[0] as number, count: chunk.length * width };
}

/** A scalar numeric column (int or float, any width) as float64, e.g. `timestamp`. */
export function numberColumn(table: Table, name: string): Float64Array {
  const column = table.getChild(name);
  if (!column) throw new ColumnShapeError(name, "missing");
  if (column.nullCount > 0) throw new ColumnShapeError(name, `${column.nullCount} null rows`);
  const out = new Float64Array(table.numRows);
  let row = 0;
  for (const chunk of column.data) {
    const values = chunk.values as ArrayLike<number | bigint>;
    // A sliced chunk's `values` already start at its first row.
    if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
      for (let i = 0; i < chunk.length; i++) out[row + i] = Number(values[i]);
    } else if (ArrayBuffer.isView(values)) {
      out.set((values as Float64Array).subarray(0, chunk.length), row);
    } else {
      throw new ColumnShapeError(name, `is ${chunk.type}, not numeric`);
    }
    row += chunk.length;
  }
  return out;
}
