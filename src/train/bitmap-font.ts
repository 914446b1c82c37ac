/**
 * A 3×5 pixel font for the labels of plots: digits, the signs numbers are written with, and the
 * few letters axis titles need. Each glyph is five rows of three cells, `#` for ink.
 */
const GLYPHS: Record<string, string[]> = {
  "0": ["###", "#.#", "#.#", "#.#", "###"],
  "1": [".#.", "##.", ".#.", ".#.", "###"],
  "2": ["###", "..#", "###", "#..", "###"],
  "3": ["###", "..#", ".##", "..#", "###"],
  "4": ["#.#", "#.#", "###", "..#", "..#"],
  "5": ["###", "#..", "###", "..#", "###"],
  "6": ["###", "#..", "###", "#.#", "###"],
  "7": ["###", "..#", ".#.", ".#.", ".#."],
  "8": ["###", "#.#", "###", "#.#", "###"],
  "9": ["###", "#.#", "###", "..#", "###"],
  ".": ["...", "...", "...", "...", ".#."],
  "-": ["...", "...", "###", "...", "..."],
  "+": ["...", ".#.", "###", ".#.", "..."],
  e: ["...", "###", "#.#", "##.", "###"],
  k: ["#..", "#.#", "##.", "#.#", "#.#"],
  l: ["##.", ".#.", ".#.", ".#.", "###"],
  o: ["...", "###", "#.#", "#.#", "###"],
  p: ["...", "###", "#.#", "###", "#.."],
  s: ["...", "###", "##.", "..#", "###"],
  t: [".#.", "###", ".#.", ".#.", ".##"],
  g: ["...", "###", "#.#", "###", "..#"],
  " ": ["...", "...", "...", "...", "..."],
};

export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;
/** Cells between two glyphs. */
export const GLYPH_SPACING = 1;

/** Width of `text` in font cells. */
export function textWidth(text: string): number {
  return text.length === 0 ? 0 : text.length * (GLYPH_WIDTH + GLYPH_SPACING) - GLYPH_SPACING;
}

/**
 * Calls `ink(x, y)` for every inked cell of `text`, (0, 0) being its top-left corner.
 *
 * @throws RangeError for a character the font lacks, so a label never silently loses one.
 */
export function forEachInkedCell(text: string, ink: (x: number, y: number) => void): void {
  let left = 0;
  for (const character of text) {
    const glyph = GLYPHS[character];
    if (glyph === undefined) {
      throw new RangeError(`the plot font has no glyph for '${character}' in '${text}'`);
    }
    glyph.forEach((row, y) => {
      for (let x = 0; x < GLYPH_WIDTH; x++) if (row[x] === "#") ink(left + x, y);
    });
    left += GLYPH_WIDTH + GLYPH_SPACING;
  }
}
