// Aggregation and plain-text rendering of bench results.

/** @param {number[]} xs */
export function median(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * @param {number | undefined} x
 * @param {number} [digits]
 */
export function fmt(x, digits = 1) {
  return x === undefined || x === null || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

/** @param {number} a @param {number} b */
export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? Math.round((a / b) * 1000) / 1000 : null;
}

/**
 * Render rows as a padded text table. Columns are [header, key | (row) => string, align?].
 * @param {Array<Record<string, any>>} rows
 * @param {Array<[string, string | ((r: any) => string), ('l' | 'r')?]>} columns
 */
export function table(rows, columns) {
  const cells = rows.map((r) => columns.map(([, get]) => String(typeof get === 'function' ? get(r) : r[get] ?? '-')));
  const widths = columns.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (/** @type {string[]} */ c) =>
    c.map((v, i) => (columns[i][2] === 'r' ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(columns.map(([h]) => h)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
