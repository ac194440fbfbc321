import { isPlainObject } from "../common/plain-object";
import { ValidationError, type ValidationProblem } from "../common/validation-error";
import chartValuePaths0340 from "./chart-values/trivy-operator-0.34.0.values-paths.json";

/** Type of a value in the chart's `values.yaml`, as the committed value-path files spell it. */
export type ChartValueType = "string" | "number" | "bool" | "list" | "map" | "null";

export interface ChartValuePath {
  readonly path: string;
  readonly type: ChartValueType;
  readonly default?: unknown;
  readonly keys?: readonly string[];
}

interface ChartValuePathsFile {
  readonly chartVersion: string;
  readonly paths: readonly ChartValuePath[];
}

/** Committed value-path files, by chart version. Add a version here when its file is committed. */
const VALUE_PATH_FILES: Readonly<Record<string, ChartValuePathsFile>> = {
  "0.34.0": chartValuePaths0340 as ChartValuePathsFile,
};

export const SUPPORTED_CHART_VERSIONS: readonly string[] = Object.keys(VALUE_PATH_FILES);

/** Whether value paths are committed for this chart version (what every chart-dependent check needs). */
export function isSupportedChartVersion(chartVersion: string): boolean {
  return Object.hasOwn(VALUE_PATH_FILES, chartVersion);
}

/**
 * Non-empty maps the chart renders verbatim (`toYaml`/`toJson`) into a Kubernetes field, so every
 * field of that Kubernetes type is valid below them even though `values.yaml` lists only a few
 * (e.g. `seccompProfile` in a securityContext). Verified in `deploy/helm/templates/deployment.yaml`,
 * `trivy-server/statefulset.yaml` and `configmaps/operator.yaml` at the pinned commit.
 */
const VERBATIM_KUBERNETES_MAPS: ReadonlySet<string> = new Set([
  "securityContext",
  "trivy.server.securityContext",
  "trivy.server.podSecurityContext",
  "trivy.server.resources",
  "trivyOperator.scanJobPodTemplateContainerSecurityContext",
]);

const cache = new Map<string, ReadonlyMap<string, ChartValuePath>>();

/** The value paths of a chart version; throws when no value-path file is committed for it. */
export function chartValuePaths(chartVersion: string): ReadonlyMap<string, ChartValuePath> {
  const cached = cache.get(chartVersion);
  if (cached) return cached;
  const file = VALUE_PATH_FILES[chartVersion];
  if (!file) {
    throw new Error(
      `chartVersion must be one of ${SUPPORTED_CHART_VERSIONS.join(", ")} (versions whose value paths are committed in modules/trivy-operator/chart-values), got ${JSON.stringify(chartVersion)}`,
    );
  }
  const byPath = new Map(file.paths.map((entry) => [entry.path, entry]));
  cache.set(chartVersion, byPath);
  return byPath;
}

function childPath(parent: string, key: string): string {
  const segment = /^[A-Za-z0-9_-]+$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (parent === "") return segment;
  return segment.startsWith("[") ? `${parent}${segment}` : `${parent}.${segment}`;
}

/** Below these, any content is valid: chart lists, empty maps, null leaves and verbatim maps. */
function acceptsAnyContent(entry: ChartValuePath): boolean {
  return (
    entry.type === "list" ||
    entry.type === "null" ||
    (entry.type === "map" && entry.keys === undefined) ||
    VERBATIM_KUBERNETES_MAPS.has(entry.path)
  );
}

function typeOfValue(value: unknown): ChartValueType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return "number";
  if (typeof value === "string") return "string";
  return "map";
}

function firstLeafPath(value: unknown, path: string): string {
  let node = value;
  let leafPath = path;
  while (isPlainObject(node)) {
    const [first] = Object.keys(node);
    if (first === undefined) break;
    leafPath = childPath(leafPath, first);
    node = node[first];
  }
  return leafPath;
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  // Rows have b.length + 1 cells and j runs 1..b.length, so every index below is in range.
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest known path, or undefined when nothing is close enough to be a plausible typo. */
export function suggestValuePath(unknownPath: string, known: Iterable<string>): string | undefined {
  let best: { path: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(unknownPath.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { path: candidate, distance };
  }
  if (!best) return undefined;
  // A third of the path length catches swapped letters and wrong case without suggesting nonsense.
  return best.distance <= Math.max(2, Math.floor(unknownPath.length / 3)) ? best.path : undefined;
}

/**
 * Every value path that does not exist in the chart version, and every value whose type differs
 * from the chart's default (`"true"` where the chart wants a bool). Helm itself ignores both, which
 * is how typos like `triyvOperator.scanJobTolerations` silently did nothing. `field` names the map
 * (e.g. `extraValues`); values at `hiddenPaths` (secrets) are never echoed.
 */
export function chartValuePathProblems(
  values: Readonly<Record<string, unknown>>,
  chartVersion: string,
  field: string,
  hiddenPaths: ReadonlySet<string> = new Set(),
): ValidationProblem[] {
  const known = chartValuePaths(chartVersion);
  const problems: ValidationProblem[] = [];
  const visit = (node: Readonly<Record<string, unknown>>, parent: string): void => {
    for (const [key, value] of Object.entries(node)) {
      if (value === undefined) continue;
      const path = childPath(parent, key);
      const entry = known.get(path);
      if (!entry) {
        // Name the full path the user wrote, so `triyvOperator.scanJobTolerations` is matched as a whole.
        const fullPath = firstLeafPath(value, path);
        const suggestion = suggestValuePath(fullPath, known.keys());
        problems.push({
          path: field,
          value: fullPath,
          expected: `not a value of trivy-operator chart ${chartVersion}${suggestion ? `; did you mean "${suggestion}"?` : ""}`,
        });
        continue;
      }
      // null unsets a chart default in Helm, which is valid for every path.
      if (value === null || entry.type === "null") continue;
      const actual = typeOfValue(value);
      if (actual !== entry.type) {
        problems.push({
          path: `${field}.${path}`,
          value: hiddenPaths.has(path) ? "(not shown)" : value,
          expected: `use a ${entry.type}, as trivy-operator chart ${chartVersion} does (got a ${actual})`,
        });
        continue;
      }
      if (isPlainObject(value) && !acceptsAnyContent(entry)) visit(value, path);
    }
  };
  visit(values, "");
  return problems;
}

/** Throws one ValidationError listing every problem chartValuePathProblems finds. */
export function checkChartValuePaths(values: Readonly<Record<string, unknown>>, chartVersion: string, field = "chart values"): void {
  const problems = chartValuePathProblems(values, chartVersion, field);
  if (problems.length > 0) throw new ValidationError("trivy operator", problems);
}
