/**
 * Binds an exported Grafana dashboard ("Export for sharing externally", or a grafana.com download)
 * to concrete datasources, offline. Used by the `dashboard` CLI command and by the
 * `GrafanaDashboard` construct when the JSON comes from a local file.
 */

import { isPlainObject } from "../common/plain-object";
import { lowerSeverity, titleSeverity } from "../common/severity";

/** A dashboard model as JSON: an object with at least `title` and `panels` (or legacy `rows`). */
export type DashboardModel = Record<string, unknown>;

/** The Prometheus datasource to bind to: by uid (preferred, stable) or by name. Exactly one. */
export interface DatasourceTarget {
  /**
   * Datasource uid, e.g. `prometheus`.
   * @default - none; required unless name is set
   */
  readonly uid?: string;
  /**
   * Datasource name as shown in Grafana, e.g. `Prometheus`; Grafana resolves references by uid or name.
   * @default - none; required unless uid is set
   */
  readonly name?: string;
}

export interface PrepareDashboardOptions {
  /** Every Prometheus input and every Prometheus datasource reference is bound to this datasource. */
  readonly datasource: DatasourceTarget;
  /**
   * Plugin id of the datasource above; inputs and references of this type are bound to it.
   * @default "prometheus"
   */
  readonly datasourceType?: string;
  /**
   * Placeholder names bound to `datasource` even when the file does not declare them in
   * `__inputs` (hand-edited exports often drop `__inputs` but keep `${DS_PROMETHEUS}`).
   * @default ["DS_PROMETHEUS"]
   */
  readonly datasourceInputs?: readonly string[];
  /**
   * Explicit values for other inputs: the uid of a non-Prometheus datasource input (`DS_LOKI`),
   * or a constant (`VAR_CLUSTER`). They win over the defaults in `__inputs`.
   * @default - none
   */
  readonly inputs?: Readonly<Record<string, string>>;
}

/** The input could not be turned into an import-ready dashboard; the message is one line for the user. */
export class DashboardBindingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DashboardBindingError";
  }
}

/** Export-only keys Grafana's import consumes; the HTTP API and file provisioning do not understand them. */
export const EXPORT_ONLY_KEYS: readonly string[] = ["__inputs", "__requires", "__elements"];

/** Datasource references that point at Grafana itself, not at a datasource to bind. */
const BUILT_IN_DATASOURCE_UIDS = new Set(["grafana", "-- Grafana --", "-- Mixed --", "-- Dashboard --", "__expr__"]);
const BUILT_IN_DATASOURCE_TYPES = new Set(["datasource", "grafana", "__expr__"]);
/** `${name}`, `${name:format}`. */
/**
 * `${DS_PROMETHEUS}`, `${VAR_CLUSTER:text}`. Names may hold spaces and any other character but `}` and
 * `:`: Grafana's exporter names a datasource input `"DS_" + name.replace(" ", "_").toUpperCase()`,
 * which replaces only the first space (`${DS_JSON_API KUBE BENCH}` for "JSON API kube bench").
 */
const PLACEHOLDER = /\$\{([^{}:]+?)(?::[^}]*)?\}/g;
/** Placeholders Grafana's exporter creates for inputs (`DS_*` datasources, `VAR_*` constants). */
const EXPORT_PLACEHOLDER_NAME = /^(DS|VAR)_/;
/** `$var`, `${var}`, `[[var]]`: a reference to a dashboard variable, resolved by Grafana at view time. */
const VARIABLE_REFERENCE = /^(\$\{?[A-Za-z0-9_]+(:[^}]*)?\}?|\[\[[A-Za-z0-9_]+\]\])$/;

/** Parses exported dashboard text; JSON syntax errors become one clear line. */
export function parseDashboardJson(text: string, sourceName = "input"): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DashboardBindingError(`${sourceName} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Returns the dashboard ready for the Grafana HTTP API, file provisioning or the sidecar:
 * - every `${DS_…}`/`${VAR_…}` input bound (Prometheus inputs to `options.datasource`),
 * - every Prometheus datasource reference (`{type: "prometheus", uid}` or a legacy string) and
 *   every Prometheus datasource variable pointed at `options.datasource`,
 * - `__inputs`, `__requires`, `__elements` removed and `id` nulled (Grafana assigns ids per instance),
 * - everything else (title, uid, panels, `$namespace`, `${__interval}`, `%` in legends) untouched.
 * Throws DashboardBindingError for input that is not a dashboard or a placeholder it cannot bind.
 */
export function prepareDashboard(input: unknown, options: PrepareDashboardOptions): DashboardModel {
  const target = resolveTarget(options.datasource);
  const datasourceType = options.datasourceType ?? "prometheus";
  const dashboard = asDashboard(input);
  const bindings = inputBindings(dashboard, target, datasourceType, options);

  const bound = bindValue(dashboard, "", { bindings, target, datasourceType }) as DashboardModel;
  for (const key of EXPORT_ONLY_KEYS) delete bound[key];
  bound.id = null;
  return bound;
}

function resolveTarget(datasource: DatasourceTarget): string {
  const given = [datasource.uid, datasource.name].filter((value) => value !== undefined);
  if (given.length !== 1 || given[0] === "") {
    throw new DashboardBindingError(`datasource must have exactly one non-empty uid or name (got ${JSON.stringify(datasource)})`);
  }
  return given[0]!;
}

function asDashboard(input: unknown): DashboardModel {
  // `GET /api/dashboards/uid/<uid>` wraps the model as `{ dashboard, meta }`; accept that too.
  const candidate = isPlainObject(input) && isPlainObject(input.dashboard) && !("panels" in input) ? input.dashboard : input;
  if (
    !isPlainObject(candidate) ||
    typeof candidate.title !== "string" ||
    !(Array.isArray(candidate.panels) || Array.isArray(candidate.rows))
  ) {
    const shape = Array.isArray(input)
      ? "an array"
      : isPlainObject(input)
        ? `an object with keys ${Object.keys(input).slice(0, 5).join(", ") || "(none)"}`
        : typeof input;
    throw new DashboardBindingError(`not a Grafana dashboard: expected an object with a "title" and a "panels" list, got ${shape}`);
  }
  return candidate;
}

interface DashboardInput {
  readonly name: string;
  readonly type?: string;
  readonly pluginId?: string;
  readonly value?: unknown;
}

function declaredInputs(dashboard: DashboardModel): DashboardInput[] {
  const raw = dashboard.__inputs;
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new DashboardBindingError(`"__inputs" must be a list, got ${typeof raw}`);
  return raw.filter(isPlainObject).filter((entry): entry is Record<string, unknown> & DashboardInput => typeof entry.name === "string");
}

function inputBindings(
  dashboard: DashboardModel,
  target: string,
  datasourceType: string,
  options: PrepareDashboardOptions,
): Map<string, string> {
  const bindings = new Map<string, string>();
  for (const name of options.datasourceInputs ?? ["DS_PROMETHEUS"]) bindings.set(name, target);
  for (const input of declaredInputs(dashboard)) {
    const explicit = options.inputs?.[input.name];
    if (explicit !== undefined) {
      bindings.set(input.name, explicit);
    } else if (input.type === "datasource" && input.pluginId === datasourceType) {
      bindings.set(input.name, target);
    } else if (input.type === "datasource") {
      throw new DashboardBindingError(
        `cannot bind placeholder \${${input.name}}: it is a "${String(input.pluginId)}" datasource, not ${datasourceType}; give its uid with --input ${input.name}=<uid>`,
      );
    } else if (input.type === "constant" && typeof input.value === "string") {
      bindings.set(input.name, input.value);
    } else if (input.type === "constant") {
      throw new DashboardBindingError(
        `cannot bind placeholder \${${input.name}}: the constant has no default value; give one with --input ${input.name}=<value>`,
      );
    }
  }
  for (const [name, value] of Object.entries(options.inputs ?? {})) bindings.set(name, value);
  return bindings;
}

interface BindContext {
  readonly bindings: ReadonlyMap<string, string>;
  readonly target: string;
  readonly datasourceType: string;
}

function bindValue(value: unknown, path: string, context: BindContext): unknown {
  if (typeof value === "string") return bindString(value, path, context);
  if (Array.isArray(value)) return value.map((item, index) => bindValue(item, `${path}[${index}]`, context));
  if (!isPlainObject(value)) return value;

  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childPath = path === "" ? key : `${path}.${key}`;
    if (path === "" && EXPORT_ONLY_KEYS.includes(key)) continue;
    result[key] = key === "datasource" ? bindDatasourceReference(child, childPath, context) : bindValue(child, childPath, context);
  }
  if (result.type === "datasource" && result.query === context.datasourceType) {
    // A datasource variable: preselect ours so panels using `${datasource}` work on first load.
    result.current = { selected: true, text: context.target, value: context.target };
  }
  return result;
}

function bindString(text: string, path: string, context: BindContext): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const bound = context.bindings.get(name);
    if (bound !== undefined) return bound;
    if (EXPORT_PLACEHOLDER_NAME.test(name)) {
      throw new DashboardBindingError(
        `cannot bind placeholder ${whole} at ${path}: it is not a declared input; declare it in "__inputs" or give its value with --input ${name}=<value>`,
      );
    }
    return whole; // a dashboard variable such as ${namespace} or ${__interval}
  });
}

function bindDatasourceReference(reference: unknown, path: string, context: BindContext): unknown {
  if (typeof reference === "string") {
    // Placeholders first: bound ones take their value, unbound `${DS_…}` ones fail with the path.
    if (isWholePlaceholder(reference, context)) return bindString(reference, path, context);
    if (VARIABLE_REFERENCE.test(reference) || BUILT_IN_DATASOURCE_UIDS.has(reference)) return reference;
    // A legacy reference by the exporter's datasource name: bind it like a placeholder.
    return context.target;
  }
  if (!isPlainObject(reference)) return bindValue(reference, path, context);

  const bound = bindValue(reference, path, context) as Record<string, unknown>;
  const uid = reference.uid;
  if (typeof uid !== "string" || isWholePlaceholder(uid, context)) return bound;
  if (VARIABLE_REFERENCE.test(uid) || BUILT_IN_DATASOURCE_UIDS.has(uid)) return bound;
  const type = typeof reference.type === "string" ? reference.type : undefined;
  if (type !== undefined && (BUILT_IN_DATASOURCE_TYPES.has(type) || type !== context.datasourceType)) return bound;
  // A concrete uid of the exporting instance ("Export" without "share externally"): rebind.
  return { ...bound, uid: context.target };
}

/** `${DS_PROMETHEUS}` alone: an input placeholder (bound, or one the exporter created). */
function isWholePlaceholder(text: string, context: BindContext): boolean {
  const match = /^\$\{([^{}:]+)\}$/.exec(text);
  return match !== null && (context.bindings.has(match[1]!) || EXPORT_PLACEHOLDER_NAME.test(match[1]!));
}

/** Every `${DS_…}`/`${VAR_…}` placeholder left anywhere in the value (empty when fully bound). */
export function unboundPlaceholders(value: unknown): string[] {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (typeof node === "string") {
      for (const match of node.matchAll(PLACEHOLDER)) if (EXPORT_PLACEHOLDER_NAME.test(match[1]!)) found.add(match[0]);
    } else if (Array.isArray(node)) node.forEach(visit);
    else if (isPlainObject(node)) Object.values(node).forEach(visit);
  };
  visit(value);
  return [...found].sort();
}

/**
 * Trivy families whose `severity` label never takes `Unknown`: trivy-operator v0.32.0
 * `pkg/metrics/collector.go` `buildMetricDescriptors` gives exposed secrets, config audits, RBAC
 * and infra assessments Critical..Low only (vulnerabilities alone have Unknown).
 */
const FAMILIES_WITHOUT_UNKNOWN = new Set([
  "trivy_image_exposedsecrets",
  "trivy_resource_configaudits",
  "trivy_role_rbacassessments",
  "trivy_clusterrole_clusterrbacassessments",
  "trivy_resource_infraassessments",
]);
/** `trivy_…{…}`: a Trivy vector selector and its matchers (label values never contain `}` here). */
const TRIVY_SELECTOR = /\b(trivy_[a-z_]+)\{([^}]*)\}/g;
const SEVERITY_MATCHER = /\bseverity\s*(=~|!~|!=|=)\s*"([^"]*)"/g;

/** What fixTrivyQueries changed, one line per query, for the caller to report. */
export interface TrivyQueryFixes {
  readonly dashboard: DashboardModel;
  readonly changes: readonly string[];
}

/**
 * Makes a dashboard's Prometheus queries match what trivy-operator emits, for the delivery paths
 * that hold the JSON at synth time (`sourceFile`):
 * - upper-case severity values in a Trivy selector (`severity="CRITICAL"`) become the Title case
 *   the collector emits (`pkg/metrics/types.go` `SeverityCritical`: `Critical`);
 * - a target that selects `severity="Unknown"` from a family without Unknown can never return
 *   data: it is hidden (`hide: true`, Grafana's "disable query"), not deleted.
 * Everything else is left as it is. Pure: returns a new model.
 */
export function fixTrivyQueries(dashboard: DashboardModel): TrivyQueryFixes {
  const changes: string[] = [];
  const fixPanels = (panels: unknown): unknown =>
    Array.isArray(panels)
      ? (panels as unknown[]).map((panel): unknown => {
          if (!isPlainObject(panel)) return panel;
          const fixed: Record<string, unknown> = { ...panel };
          const where = `panel ${textOf(panel.id)} "${textOf(panel.title)}"`;
          if (Array.isArray(panel.targets)) fixed.targets = (panel.targets as unknown[]).map((target) => fixTarget(target, where, changes));
          if (Array.isArray(panel.panels)) fixed.panels = fixPanels(panel.panels);
          return fixed;
        })
      : panels;
  const result: DashboardModel = { ...dashboard, panels: fixPanels(dashboard.panels) };
  if (Array.isArray(dashboard.rows))
    result.rows = (dashboard.rows as unknown[]).map((row) => (isPlainObject(row) ? { ...row, panels: fixPanels(row.panels) } : row));
  if (dashboard.panels === undefined) delete result.panels;
  return { dashboard: result, changes };
}

/** A scalar JSON value as text for a message; anything else as empty. */
function textOf(value: unknown): string {
  return typeof value === "string" || typeof value === "number" ? String(value) : "";
}

function fixTarget(target: unknown, where: string, changes: string[]): unknown {
  if (!isPlainObject(target) || typeof target.expr !== "string") return target;
  const original = target.expr;
  let impossible = false;
  const expr = original.replace(TRIVY_SELECTOR, (_selector, family: string, matchers: string) => {
    const fixedMatchers = matchers.replace(SEVERITY_MATCHER, (_matcher, op: string, value: string) => {
      const titleCase = value
        .split("|")
        .map((alternative) => {
          const severity = /^[A-Z]+$/.test(alternative) ? lowerSeverity(alternative) : undefined;
          return severity === undefined ? alternative : titleSeverity(severity);
        })
        .join("|");
      if (op === "=" && titleCase === "Unknown" && FAMILIES_WITHOUT_UNKNOWN.has(family)) impossible = true;
      return `severity${op}"${titleCase}"`;
    });
    return `${family}{${fixedMatchers}}`;
  });
  const refId = textOf(target.refId) || "?";
  if (impossible && target.hide !== true) {
    changes.push(`${where} query ${refId} hidden: ${original} selects severity "Unknown", which this family never emits`);
    return { ...target, expr, hide: true };
  }
  if (expr !== original) changes.push(`${where} query ${refId}: ${original} -> ${expr} (the operator emits Title-case severities)`);
  return expr === original ? target : { ...target, expr };
}

/** The input names a dashboard declares (`__inputs`) or references as `${DS_…}`/`${VAR_…}`: what `--input NAME=…` may bind. */
export function dashboardInputNames(input: unknown): string[] {
  const dashboard = asDashboard(input);
  const names = new Set(declaredInputs(dashboard).map((entry) => entry.name));
  for (const placeholder of unboundPlaceholders(dashboard)) {
    const name = /^\$\{([^{}:]+)/.exec(placeholder)?.[1];
    if (name !== undefined) names.add(name);
  }
  return [...names].sort();
}
