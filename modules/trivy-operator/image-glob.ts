/**
 * The operator skips a container when `filepath.Match(pattern, image)` is true for one of the
 * `excludeImages` patterns (trivy-operator v0.32.0 `pkg/plugins/trivy/plugin.go` `ExcludeImage`,
 * called per container from `image.go` `GetPodSpecForImageScan`). A malformed pattern returns an
 * error there, which `ExcludeImage` treats as "no match": it silently excludes nothing.
 *
 * This is a matcher with the rules of Go's `filepath.Match` on Linux (separator `/`, `\` escapes),
 * so synth can check patterns the way the operator will apply them:
 * - `*` matches any run of characters except `/`; `?` one character except `/`;
 * - `[abc]`, `[a-z]`, `[^a-z]` match one character (not `/` unless listed); `\x` matches `x`;
 * - the pattern must match the whole image string as written in the pod spec (`c.Image`: no
 *   `docker.io/library/` is added to `nginx:1.25`), tag or digest included.
 */

/** A pattern `filepath.Match` rejects with `ErrBadPattern`. */
export class MalformedGlobError extends Error {}

interface Chunk {
  /** Whether a `*` (one or more) precedes the chunk. */
  readonly star: boolean;
  readonly text: string;
}

/** Splits a pattern into runs of `*` followed by the literal/class text up to the next `*` outside `[...]`. */
function chunks(pattern: string): Chunk[] {
  const result: Chunk[] = [];
  let rest = pattern;
  while (rest.length > 0) {
    let star = false;
    while (rest.startsWith("*")) {
      rest = rest.slice(1);
      star = true;
    }
    let inClass = false;
    let end = 0;
    for (; end < rest.length; end++) {
      const char = rest[end];
      if (char === "\\") {
        if (end + 1 < rest.length) end++;
      } else if (char === "[") {
        inClass = true;
      } else if (char === "]") {
        inClass = false;
      } else if (char === "*" && !inClass) {
        break;
      }
    }
    result.push({ star, text: rest.slice(0, end) });
    rest = rest.slice(end);
  }
  return result;
}

/** One class bound: a character, or `\`-escaped character. Returns it and the rest of the chunk. */
function classBound(chunk: readonly string[], at: number): [char: string, next: number] {
  let index = at;
  const first = chunk[index];
  if (first === undefined || first === "-" || first === "]") throw new MalformedGlobError("bad character class");
  if (first === "\\") {
    index++;
    if (chunk[index] === undefined) throw new MalformedGlobError("bad escape in character class");
  }
  const char = chunk[index]!;
  index++;
  if (index >= chunk.length) throw new MalformedGlobError("unterminated character class");
  return [char, index];
}

/**
 * Matches one chunk (no unbracketed `*`) at the start of `name`. Returns the unmatched rest of
 * `name`, or undefined. The whole chunk is always scanned, so a malformed tail throws even after a
 * mismatch, as in Go.
 */
function matchChunk(chunkText: string, name: readonly string[], from: number): number | undefined {
  const chunk = [...chunkText];
  let position = from;
  let failed = false;
  let index = 0;
  while (index < chunk.length) {
    if (!failed && position >= name.length) failed = true;
    const token = chunk[index]!;
    if (token === "[") {
      const char = failed ? "" : name[position++]!;
      index++;
      let negated = false;
      if (chunk[index] === "^") {
        negated = true;
        index++;
      }
      let matched = false;
      let ranges = 0;
      for (;;) {
        if (chunk[index] === "]" && ranges > 0) {
          index++;
          break;
        }
        const [low, afterLow] = classBound(chunk, index);
        let high = low;
        index = afterLow;
        if (chunk[index] === "-") {
          const [upper, afterHigh] = classBound(chunk, index + 1);
          high = upper;
          index = afterHigh;
        }
        if (!failed && low <= char && char <= high) matched = true;
        ranges++;
      }
      if (matched === negated) failed = true;
    } else if (token === "?") {
      if (!failed) {
        if (name[position] === "/") failed = true;
        position++;
      }
      index++;
    } else {
      let literal = token;
      if (token === "\\") {
        index++;
        if (index >= chunk.length) throw new MalformedGlobError("trailing backslash");
        literal = chunk[index]!;
      }
      if (!failed) {
        if (name[position] !== literal) failed = true;
        position++;
      }
      index++;
    }
  }
  return failed ? undefined : position;
}

/** `filepath.Match(pattern, name)` on Linux. Throws `MalformedGlobError` where Go returns `ErrBadPattern`. */
export function filepathMatch(pattern: string, name: string): boolean {
  const characters = [...name];
  const parts = chunks(pattern);
  let position = 0;
  for (const [index, part] of parts.entries()) {
    const last = index === parts.length - 1;
    // A trailing `*` matches the rest unless the rest holds a `/`.
    if (part.star && part.text === "") return !characters.slice(position).includes("/");
    const here = matchChunk(part.text, characters, position);
    if (here !== undefined && (here === characters.length || !last)) {
      position = here;
      continue;
    }
    let advanced = false;
    if (part.star) {
      // Let the star eat one more character at a time, never a `/`.
      for (let skip = position; skip < characters.length && characters[skip] !== "/"; skip++) {
        const next = matchChunk(part.text, characters, skip + 1);
        if (next === undefined || (last && next < characters.length)) continue;
        position = next;
        advanced = true;
        break;
      }
    }
    if (advanced) continue;
    // No match: Go still reports a malformed rest of the pattern.
    for (const rest of parts.slice(index + 1)) matchChunk(rest.text, [], 0);
    return false;
  }
  return position === characters.length;
}

/** Why `pattern` can never work, or undefined when `filepath.Match` accepts it. */
export function malformedGlobProblem(pattern: string): string | undefined {
  try {
    filepathMatch(pattern, "");
    return undefined;
  } catch (error) {
    if (error instanceof MalformedGlobError) return error.message;
    throw error;
  }
}

/**
 * Patterns that look meant to cover deeper repositories than they do. For each `*` that stands for a
 * whole path segment (followed by `/` or ending the pattern after a `/`), the same pattern with that
 * segment replaced by two (`a/b`) is an image the author most likely meant too; when no pattern in the
 * list matches it (and the pattern is not itself the deeper variant of another one in the list), the
 * list excludes less than it appears to. Returns one explanation per pattern.
 */
export function excludeImagesDepthWarnings(patterns: readonly string[]): string[] {
  const warnings: string[] = [];
  for (const [index, pattern] of patterns.entries()) {
    if (malformedGlobProblem(pattern) !== undefined) continue;
    const segments = pattern.split("/");
    for (const [segmentIndex, segment] of segments.entries()) {
      if (segment !== "*" || segmentIndex === 0) continue;
      const deeper = [...segments.slice(0, segmentIndex), "example", "nested", ...segments.slice(segmentIndex + 1)].join("/");
      const example = deeper.replaceAll("*", "x");
      // `a/*/*` next to `a/*` shows the author counts levels: the deepest one is a choice, not a slip.
      const shallower = [...segments.slice(0, segmentIndex), ...segments.slice(segmentIndex + 1)].join("/");
      if (!patterns.some((other) => filepathMatch(other, example)) && !patterns.includes(shallower)) {
        const deeperPattern = [...segments.slice(0, segmentIndex), "*", "*", ...segments.slice(segmentIndex + 1)].join("/");
        warnings.push(
          `excludeImages[${index}] ${JSON.stringify(pattern)} does not match ${JSON.stringify(example)}: the operator uses Go's filepath.Match, where "*" never crosses "/" (trivy-operator plugin.go ExcludeImage); add ${JSON.stringify(deeperPattern)} for each deeper level you mean to exclude`,
        );
        break;
      }
    }
  }
  return warnings;
}
