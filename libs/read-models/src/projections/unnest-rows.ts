import { sql, type RawBuilder } from 'kysely';

/** PostgreSQL types the columns of a row set are sent as (arrays of them). */
export type ColumnArrayType =
  | 'text'
  | 'bpchar'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'bool'
  | 'timestamptz'
  | 'date'
  | 'jsonb'
  | 'bytea';

/** The PostgreSQL type of every column of a row set; the order of the keys is the columns' order. */
export type RowSetColumns<Row> = { readonly [Column in keyof Row & string]-?: ColumnArrayType };

/**
 * `SELECT * FROM unnest($1::<type>[], $2::<type>[], …) AS rows(<columns>)`: `rows` sent as one
 * array parameter per column. A statement over it has the same text and one parameter per column
 * whatever the number of rows (no parameter limit, one plan), which is how a projection writes a
 * batch with one statement per table.
 */
export function unnestRows<Row extends object>(
  columns: RowSetColumns<Row>,
  rows: readonly Row[],
): RawBuilder<Row> {
  const names = columnNames(columns);
  const arrays = names.map((name) => {
    const type = columns[name];
    // A JSON value that is an array would otherwise be sent as a nested PostgreSQL array.
    const values =
      type === 'jsonb'
        ? rows.map((row) => (row[name] == null ? null : JSON.stringify(row[name])))
        : rows.map((row) => row[name] ?? null);
    return sql`${values}::${sql.raw(type)}[]`;
  });
  return sql<Row>`SELECT * FROM unnest(${sql.join(arrays)}) AS rows(${sql.join(names.map((name) => sql.id(name)))})`;
}

/** The columns of a row set, in order: the column list of an INSERT over `unnestRows`. */
export function columnNames<Row>(columns: RowSetColumns<Row>): (keyof Row & string)[] {
  return Object.keys(columns) as (keyof Row & string)[];
}

/** `<column> = ANY($1::<type>[])`'s right-hand side: one parameter for every key of a batch. */
export function anyOf<Value>(values: readonly Value[], type: ColumnArrayType): RawBuilder<Value> {
  return sql<Value>`any(${[...values]}::${sql.raw(type)}[])`;
}

/**
 * `<column> = excluded.<column>` for every column of a row set but `key`: the SET of an upsert
 * that replaces the stored row with the proposed one.
 */
export function excludedColumns<Row>(
  columns: RowSetColumns<Row>,
  key: keyof Row & string,
): Record<string, RawBuilder<unknown>> {
  return Object.fromEntries(
    columnNames(columns)
      .filter((column) => column !== key)
      .map((column) => [column, sql.ref(`excluded.${column}`)]),
  );
}
