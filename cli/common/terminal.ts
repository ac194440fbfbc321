/**
 * Report text (advisory titles, image names, file names) is third-party input. On a terminal an
 * ESC starts a control sequence (clear the screen, move the cursor, set the window title), and
 * bidirectional overrides reorder what is shown ("Trojan Source"). Human-readable output carries
 * none of them: line breaks and tabs become spaces, every other C0/C1 control, DEL and the bidi
 * embedding/override/isolate characters are removed.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function terminalText(text: string): string {
  return text.replace(/\r\n|[\r\n\t]/g, " ").replace(CONTROL, "");
}

/** Like terminalText, but keeps line breaks and tabs (for formats that quote them, such as CSV). */
export function withoutControlCharacters(text: string): string {
  return text.replace(CONTROL, "");
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;

/** Columns a string takes on a terminal: East Asian wide and fullwidth characters and emoji take 2, combining marks 0. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    if (ZERO_WIDTH.test(character)) continue;
    width += isWide(code) ? 2 : 1;
  }
  return width;
}

/** East Asian Width W/F blocks (Unicode 15 EastAsianWidth.txt, main ranges) and the emoji blocks. */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xa960 && code <= 0xa97f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe10 && code <= 0xfe19) ||
    (code >= 0xfe30 && code <= 0xfe6f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x1fa70 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

/** Pads to a display width (padEnd/padStart count UTF-16 units, which misaligns wide characters). */
export function padDisplay(text: string, width: number, align: "left" | "right"): string {
  const padding = " ".repeat(Math.max(0, width - displayWidth(text)));
  return align === "left" ? text + padding : padding + text;
}
