/**
 * Markdown tables for performance reports (inpage/testing's reporter and this repository's
 * benches): numbers rounded for reading, rows of mixed columns split into tables.
 */

/** One row of a table: column name → value. */
export type Row = Record<string, string | number>;

/** A number with 2 significant decimals under 10, 1 under 100, none above. */
export function cell(value: string | number): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value;
}

/** Render rows as a Markdown table (the columns: every key, in first-seen order). */
export function markdownTable(rows: readonly Row[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const lines = [`| ${columns.join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${columns.map((c) => cell(row[c] ?? '').replaceAll('|', '\\|')).join(' | ')} |`);
  return lines.join('\n');
}

/**
 * Consecutive rows with the same columns, as separate tables: a report that mixes row
 * kinds reads as several narrow tables instead of one wide, mostly empty one.
 */
export function tablesOf(rows: readonly Row[]): Row[][] {
  const groups: Row[][] = [];
  let signature: string | undefined;
  for (const row of rows) {
    const next = Object.keys(row).join('\u0000');
    const last = groups.at(-1);
    if (last !== undefined && next === signature) last.push(row);
    else groups.push([row]);
    signature = next;
  }
  return groups;
}
