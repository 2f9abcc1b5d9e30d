// The source line under a diagnostic with a caret under its column (clang/esbuild style):
//   22 |     r.to(order),
//      |          ^^^^^
// Columns are 1-based; endColumn (same line only) is exclusive. Tabs before the column are kept so the caret lines
// up in any tab width.

export interface FramePaint {
  gutter(s: string): string;
  caret(s: string): string;
}

const PLAIN: FramePaint = { gutter: (s) => s, caret: (s) => s };

export function codeFrame(
  sourceText: string,
  line: number,
  column: number,
  endColumn?: number,
  paint: FramePaint = PLAIN,
): string | undefined {
  const lines = sourceText.split("\n");
  if (line < 1 || line > lines.length) return undefined;
  const text = lines[line - 1]!.replace(/\r$/, "");
  const col = Math.min(Math.max(column, 1), text.length + 1);
  const width = endColumn !== undefined && endColumn > col ? Math.min(endColumn, text.length + 1) - col : 1;
  const pad = [...text.slice(0, col - 1)].map((c) => (c === "\t" ? "\t" : " ")).join("");
  const num = String(line);
  const blank = " ".repeat(num.length);
  return (
    `${paint.gutter(` ${num} |`)} ${text}\n` +
    `${paint.gutter(` ${blank} |`)} ${pad}${paint.caret("^".repeat(Math.max(1, width)))}`
  );
}
