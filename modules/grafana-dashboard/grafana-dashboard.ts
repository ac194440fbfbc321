import * as fs from "node:fs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { DataHttp } from "@cdktf/provider-http/lib/data-http";
import { Fn, TerraformLocal, TerraformOutput, Token, type TerraformProvider } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import { Dashboard } from "../../.gen/providers/grafana/dashboard";
import { Folder } from "../../.gen/providers/grafana/folder";
import type { GrafanaProvider } from "../../.gen/providers/grafana/provider";
import { catalogDashboard, dashboardDownloadUrl, TRIVY_OPERATOR_DASHBOARD } from "../../dashboards/catalog";
import type { CoversAll } from "../common/covers-all";
import { isGrafanaUid } from "../common/grafana-names";
import { DNS_LABEL, isDnsSubdomain, isLabelKey } from "../common/kubernetes-names";
import { terraformLiteral } from "../common/terraform-literal";
import { ValidationError, type ValidationProblem } from "../common/validation-error";
import { grafanaChartDashboardValues, type GrafanaChartDashboardValues } from "./helm-values";
import { DashboardBindingError, fixTrivyQueries, parseDashboardJson, prepareDashboard } from "./prepare-dashboard";
import { bindDashboardExpression, conditionString, fullyBoundCondition } from "./terraform-binding";

/**
 * How the dashboard reaches Grafana:
 * - `grafana-api`: `grafana_dashboard` (+ `grafana_folder`) through the Grafana provider, for any
 *   Grafana the stack can reach (managed or in-cluster).
 * - `sidecar`: a ConfigMap the kube-prometheus-stack Grafana sidecar picks up by label.
 * - `helm-values`: no resources; a stack output with the Grafana chart's `dashboardProviders` +
 *   `dashboards` values, for users who manage their Grafana release elsewhere.
 */
export type DashboardDelivery = GrafanaDashboardProps["delivery"];

/** Every delivery, for callers that check untyped input (a stack config) before building props. */
export const DASHBOARD_DELIVERIES = ["grafana-api", "sidecar", "helm-values"] as const satisfies readonly DashboardDelivery[];
const DELIVERIES_COMPLETE: CoversAll<DashboardDelivery, typeof DASHBOARD_DELIVERIES> = true;
void DELIVERIES_COMPLETE;
const DELIVERIES: readonly string[] = DASHBOARD_DELIVERIES;

/** What every delivery shares: which dashboard, which datasource, which folder. */
export interface GrafanaDashboardCommonProps {
  /**
   * uid of the Prometheus datasource every datasource input is bound to. Give this or
   * `datasourceName`, not both; a uid survives datasource renames.
   * @default - none; required unless datasourceName is set
   */
  readonly datasourceUid?: string;
  /**
   * Name of the Prometheus datasource (e.g. `Prometheus`, the kube-prometheus-stack default).
   * @default - none; required unless datasourceUid is set
   */
  readonly datasourceName?: string;

  /**
   * grafana.com dashboard id.
   * @default 17813 - "Trivy Operator Dashboard", see dashboards/catalog.ts
   */
  readonly gnetId?: number;
  /**
   * Pinned revision of the dashboard.
   * @default - the catalog's revision; required for dashboards outside the catalog
   */
  readonly revision?: number;
  /**
   * Names of the Prometheus inputs (`${DS_PROMETHEUS}` …) bound to the datasource.
   * @default - the catalog's inputs, else ["DS_PROMETHEUS"]
   */
  readonly datasourceInputs?: readonly string[];

  /**
   * Folder title. `grafana-api` creates the folder; `sidecar` sets the folder annotation;
   * `helm-values` sets the dashboard provider's folder.
   * @default - the General folder
   */
  readonly folderTitle?: string;
  /**
   * Folder uid. With `folderTitle` it is the created folder's uid; alone (`grafana-api`) it
   * names an existing folder.
   * @default - Grafana generates one
   */
  readonly folderUid?: string;
}

/** The deliveries that put the dashboard JSON into Grafana themselves (`grafana-api`, `sidecar`). */
export interface DeliveredDashboardProps extends GrafanaDashboardCommonProps {
  /**
   * Exported dashboard JSON on disk, read at synth time instead of downloading it at plan time
   * (air-gapped clusters).
   * @default - downloaded from grafana.com at plan time
   */
  readonly sourceFile?: string;
  /**
   * Base URL of grafana.com or an internal mirror of its API
   * (`<base>/api/dashboards/<gnetId>/revisions/<revision>/download`).
   * @default "https://grafana.com"
   */
  readonly downloadBaseUrl?: string;
  /**
   * HTTP provider of the plan-time download (without `sourceFile`).
   * @default - the stack's default `http` provider
   */
  readonly httpProvider?: TerraformProvider;
}

/** `grafana_dashboard` (+ `grafana_folder`) through the Grafana provider. */
export interface GrafanaApiDashboardProps extends DeliveredDashboardProps {
  readonly delivery: "grafana-api";
  /**
   * Replace a dashboard with the same uid or title: a dashboard imported by hand earlier would
   * otherwise make the first apply fail.
   * @default true
   */
  readonly overwrite?: boolean;
  /**
   * Grafana provider to use, when the stack talks to several Grafanas.
   * @default - the stack's default grafana provider
   */
  readonly grafanaProvider?: GrafanaProvider;
}

/** A ConfigMap the kube-prometheus-stack Grafana sidecar picks up by label. */
export interface SidecarDashboardProps extends DeliveredDashboardProps {
  readonly delivery: "sidecar";
  /**
   * Kubernetes provider of the ConfigMap, when the stack holds several clusters.
   * `operator.addDashboard()` passes the operator's.
   * @default - the stack's default `kubernetes` provider
   */
  readonly kubernetesProvider?: TerraformProvider;
  /**
   * Namespace of the ConfigMap; the sidecar must watch it
   * (kube-prometheus-stack `grafana.sidecar.dashboards.searchNamespace`).
   * @default "monitoring"
   */
  readonly namespace?: string;
  /**
   * ConfigMap name.
   * @default "trivy-operator-dashboard" for 17813, else "grafana-dashboard-<gnetId>"
   */
  readonly name?: string;
  /**
   * Label the sidecar selects on (kube-prometheus-stack `grafana.sidecar.dashboards.label`).
   * @default "grafana_dashboard"
   */
  readonly sidecarLabel?: string;
  /**
   * Value of that label (`grafana.sidecar.dashboards.labelValue`).
   * @default "1"
   */
  readonly sidecarLabelValue?: string;
  /**
   * Annotation that carries the folder title (`grafana.sidecar.dashboards.folderAnnotation`; the
   * sidecar ignores it unless that value is set).
   * @default "grafana_folder"
   */
  readonly sidecarFolderAnnotation?: string;
}

/**
 * No resources; a stack output with the Grafana chart's `dashboardProviders` + `dashboards`
 * values, for users who manage their Grafana release elsewhere (Grafana itself downloads by gnetId).
 */
export interface HelmValuesDashboardProps extends GrafanaDashboardCommonProps {
  readonly delivery: "helm-values";
  /**
   * Dashboard key in the chart values.
   * @default "trivy-operator-dashboard" for 17813, else "grafana-dashboard-<gnetId>"
   */
  readonly name?: string;
  /**
   * Name of the stack output holding the chart values.
   * @default "grafana_dashboard_helm_values"
   */
  readonly helmValuesOutputName?: string;
  /**
   * Dashboard provider name in the chart values; also the directory under /var/lib/grafana/dashboards.
   * @default "trivy-operator"
   */
  readonly helmProviderName?: string;
}

/**
 * How the dashboard reaches Grafana, one props type per delivery (options of another delivery do
 * not compile):
 * - `grafana-api`: `grafana_dashboard` (+ `grafana_folder`) through the Grafana provider, for any
 *   Grafana the stack can reach (managed or in-cluster).
 * - `sidecar`: a ConfigMap the kube-prometheus-stack Grafana sidecar picks up by label.
 * - `helm-values`: no resources; a stack output with the Grafana chart's values.
 */
export type GrafanaDashboardProps = GrafanaApiDashboardProps | SidecarDashboardProps | HelmValuesDashboardProps;

const INPUT_NAME = /^[A-Za-z0-9_.-]+$/;
const TERRAFORM_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * One grafana.com dashboard (default: Trivy Operator, gnetId 17813 revision 2) bound to a
 * Prometheus datasource and delivered one of three ways (see DashboardDelivery).
 *
 * The stack must declare the providers the chosen delivery uses: `http` (downloads), `grafana`
 * (`grafana-api`), `kubernetes` (`sidecar`).
 */
export class GrafanaDashboard extends Construct {
  public readonly delivery: DashboardDelivery;
  public readonly gnetId: number;
  public readonly revision: number;
  /** The bound dashboard JSON (a Terraform expression when downloaded); undefined for `helm-values`. */
  public readonly dashboardJson?: string;
  /** The plan-time download; undefined with `sourceFile` or `helm-values`. */
  public readonly download?: DataHttp;
  public readonly folder?: Folder;
  public readonly dashboard?: Dashboard;
  public readonly configMap?: ConfigMapV1;
  /** Namespace of the ConfigMap (`sidecar` only). */
  public readonly namespace?: string;
  /** The chart values (`helm-values` only), also available as the stack output. */
  public readonly helmValues?: GrafanaChartDashboardValues;
  public readonly helmValuesOutput?: TerraformOutput;

  constructor(scope: Construct, id: string, props: GrafanaDashboardProps) {
    super(scope, id);
    validateGrafanaDashboardProps(props, this);

    this.delivery = props.delivery;
    // The catalog pins revision and inputs; other dashboards must state them.
    this.gnetId = props.gnetId ?? TRIVY_OPERATOR_DASHBOARD.gnetId;
    this.revision = props.revision ?? catalogDashboard(this.gnetId)!.revision;
    switch (props.delivery) {
      case "helm-values":
        ({ values: this.helmValues, output: this.helmValuesOutput } = this.provideHelmValues(props));
        return;
      case "grafana-api": {
        const bound = this.bindDashboard(props);
        this.download = bound.download;
        this.dashboardJson = bound.json;
        if (props.folderTitle !== undefined) {
          this.folder = new Folder(this, "folder", { title: props.folderTitle, uid: props.folderUid, provider: props.grafanaProvider });
        }
        this.dashboard = new Dashboard(this, "dashboard", {
          configJson: bound.json,
          folder: this.folder?.uid ?? props.folderUid,
          overwrite: props.overwrite ?? true,
          message: `trivy-operator-cdktf: grafana.com dashboard ${this.gnetId} revision ${this.revision}`,
          provider: props.grafanaProvider,
          lifecycle: bound.lifecycle,
        });
        return;
      }
      case "sidecar": {
        const bound = this.bindDashboard(props);
        this.download = bound.download;
        this.dashboardJson = bound.json;
        this.namespace = props.namespace ?? "monitoring";
        this.configMap = this.sidecarConfigMap(props, bound.json, bound.lifecycle);
        return;
      }
    }
  }

  /** `helm-values`: the chart values, and the stack output that carries them. */
  private provideHelmValues(props: HelmValuesDashboardProps): { values: GrafanaChartDashboardValues; output: TerraformOutput } {
    const values = grafanaChartDashboardValues({
      gnetId: this.gnetId,
      revision: this.revision,
      datasourceInputs: datasourceInputsOf(props),
      datasource: datasourceOf(props),
      dashboardKey: props.name ?? defaultName(this.gnetId),
      providerName: props.helmProviderName ?? "trivy-operator",
      folderTitle: props.folderTitle ?? "",
      folderUid: props.folderUid,
    });
    const output = new TerraformOutput(this, "helm-values", {
      // JSON is valid YAML: `terraform output -raw <name> > values.json; helm upgrade … -f values.json`.
      value: Fn.jsonencode(values),
      description: `Grafana chart values that provision grafana.com dashboard ${this.gnetId} revision ${this.revision}`,
    });
    output.overrideLogicalId(props.helmValuesOutputName ?? "grafana_dashboard_helm_values");
    return { values, output };
  }

  /**
   * The dashboard JSON bound to the datasource: read and bound now from `sourceFile`, else
   * downloaded at plan time and bound in Terraform (with a precondition that nothing stays unbound).
   */
  private bindDashboard(props: GrafanaApiDashboardProps | SidecarDashboardProps): BoundDashboard {
    const datasource = datasourceOf(props);
    const datasourceInputs = datasourceInputsOf(props);
    if (props.sourceFile !== undefined) {
      // Bound now, in TypeScript: the same code as `npm run dashboard`, and errors surface at synth.
      const local = readLocalDashboard(props.sourceFile, datasource, props.datasourceUid !== undefined, datasourceInputs);
      // Validation read the same file a moment ago; it can only fail here if the file changed since.
      if (!local.ok)
        throw new ValidationError("grafana dashboard", [{ path: "sourceFile", value: props.sourceFile, expected: local.problem }], this);
      return { json: terraformLiteral(JSON.stringify(local.dashboard)) };
    }
    const download = new DataHttp(this, "download", {
      provider: props.httpProvider,
      url: dashboardDownloadUrl(this.gnetId, this.revision, props.downloadBaseUrl),
      requestHeaders: { Accept: "application/json" },
      retry: { attempts: 3, minDelayMs: 1000 },
      lifecycle: {
        postcondition: [
          {
            condition: "${self.status_code == 200}",
            errorMessage: `grafana.com did not return dashboard ${this.gnetId} revision ${this.revision}; check the gnetId/revision, or use sourceFile on air-gapped clusters`,
          },
        ],
      },
    });
    // The datasource travels through a local: a JSON string value is the one place where quotes
    // and backslashes in a literal name need no HCL escaping (CDKTF escapes neither inside Fn.*).
    const datasourceLocal = new TerraformLocal(
      this,
      "datasource",
      Token.isUnresolved(datasource) ? datasource : terraformLiteral(datasource),
    );
    const bound = new TerraformLocal(
      this,
      "bound-json",
      bindDashboardExpression(download.responseBody, datasourceLocal.asString, datasourceInputs),
    );
    const unboundMessage = `dashboard ${this.gnetId} revision ${this.revision} has datasource inputs besides ${datasourceInputs.join(", ")}; set datasourceInputs`;
    return {
      json: bound.asString,
      download,
      lifecycle: { precondition: [{ condition: conditionString(fullyBoundCondition(bound.asString)), errorMessage: unboundMessage }] },
    };
  }

  /** `sidecar`: the labelled ConfigMap the Grafana sidecar loads. */
  private sidecarConfigMap(props: SidecarDashboardProps, dashboardJson: string, lifecycle: BoundDashboard["lifecycle"]): ConfigMapV1 {
    const name = props.name ?? defaultName(this.gnetId);
    const annotations: Record<string, string> = {};
    if (props.folderTitle !== undefined) annotations[props.sidecarFolderAnnotation ?? "grafana_folder"] = props.folderTitle;
    return new ConfigMapV1(this, "config-map", {
      provider: props.kubernetesProvider,
      metadata: {
        name,
        namespace: this.namespace,
        labels: {
          [props.sidecarLabel ?? "grafana_dashboard"]: props.sidecarLabelValue ?? "1",
          "app.kubernetes.io/managed-by": "trivy-operator-cdktf",
        },
        annotations: Object.keys(annotations).length > 0 ? annotations : undefined,
      },
      data: { [`${name}.json`]: dashboardJson },
      lifecycle,
    });
  }
}

/** The bound JSON, the download it came from (none with `sourceFile`), and the check that binding was complete. */
interface BoundDashboard {
  readonly json: string;
  readonly download?: DataHttp;
  readonly lifecycle?: { readonly precondition: { readonly condition: string; readonly errorMessage: string }[] };
}

function defaultName(gnetId: number): string {
  return gnetId === TRIVY_OPERATOR_DASHBOARD.gnetId ? "trivy-operator-dashboard" : `grafana-dashboard-${gnetId}`;
}

function datasourceOf(props: GrafanaDashboardCommonProps): string {
  return (props.datasourceUid ?? props.datasourceName)!;
}

/** An exported dashboard read from disk and bound, or why it cannot be. */
type LocalDashboard = { readonly ok: true; readonly dashboard: Record<string, unknown> } | { readonly ok: false; readonly problem: string };

function readLocalDashboard(sourceFile: string, datasource: string, byUid: boolean, datasourceInputs: readonly string[]): LocalDashboard {
  let text: string;
  try {
    text = fs.readFileSync(sourceFile, "utf8");
  } catch (error) {
    return {
      ok: false,
      problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); use a readable exported dashboard JSON file`,
    };
  }
  try {
    const bound = prepareDashboard(parseDashboardJson(text, sourceFile), {
      datasource: byUid ? { uid: datasource } : { name: datasource },
      datasourceInputs,
    });
    // We deliver this JSON ourselves: queries that cannot match what the operator emits are fixed or hidden.
    return { ok: true, dashboard: fixTrivyQueries(bound).dashboard };
  } catch (error) {
    if (error instanceof DashboardBindingError)
      return { ok: false, problem: `use an exported dashboard whose datasource inputs can be bound: ${error.message}` };
    throw error;
  }
}

/** The datasource inputs bound: given, else the catalog's, else Grafana's usual `DS_PROMETHEUS`. */
function datasourceInputsOf(props: GrafanaDashboardCommonProps): readonly string[] {
  return props.datasourceInputs ?? catalogDashboard(props.gnetId ?? TRIVY_OPERATOR_DASHBOARD.gnetId)?.datasourceInputs ?? ["DS_PROMETHEUS"];
}

function literal(value: string | undefined): value is string {
  return value !== undefined && !Token.isUnresolved(value);
}

/** Throws one ValidationError listing every problem of the props (see grafanaDashboardProblems). */
export function validateGrafanaDashboardProps(props: GrafanaDashboardProps, scope?: IConstruct): void {
  const problems = grafanaDashboardProblems(props);
  if (problems.length > 0) throw new ValidationError("grafana dashboard", problems, scope);
}

/**
 * Every reason the props cannot produce a working dashboard, as data (empty when valid). Tokens are
 * not checked; a `sourceFile` is read and bound, so a bad file fails here rather than mid-synth.
 */
export function grafanaDashboardProblems(props: GrafanaDashboardProps): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const fail = (path: string, value: unknown, expected: string): void => {
    problems.push({ path, value, expected });
  };
  if (!DELIVERIES.includes(props.delivery)) fail("delivery", props.delivery, `use one of ${DELIVERIES.join(", ")}`);
  if ((props.datasourceUid === undefined) === (props.datasourceName === undefined)) {
    fail(
      "datasourceUid/datasourceName",
      { datasourceUid: props.datasourceUid, datasourceName: props.datasourceName },
      "set exactly one of them",
    );
  }
  if (literal(props.datasourceUid) && !isGrafanaUid(props.datasourceUid))
    fail("datasourceUid", props.datasourceUid, "use 1-40 letters, digits, '-' or '_'");
  if (literal(props.datasourceName) && props.datasourceName.trim() === "")
    fail("datasourceName", props.datasourceName, "use the datasource's name as shown in Grafana");

  const gnetId = props.gnetId ?? TRIVY_OPERATOR_DASHBOARD.gnetId;
  if (!Number.isInteger(gnetId) || gnetId <= 0)
    fail("gnetId", props.gnetId, "use a positive integer from grafana.com/grafana/dashboards/<gnetId>");
  if (props.revision !== undefined && (!Number.isInteger(props.revision) || props.revision <= 0))
    fail("revision", props.revision, "use a positive integer");
  if (props.revision === undefined && catalogDashboard(gnetId) === undefined) {
    fail("revision", props.revision, `pin a revision for gnetId ${gnetId}, which is not in dashboards/catalog.ts`);
  }
  if (
    props.datasourceInputs !== undefined &&
    (props.datasourceInputs.length === 0 || !props.datasourceInputs.every((input) => INPUT_NAME.test(input)))
  ) {
    fail("datasourceInputs", props.datasourceInputs, "list input names such as DS_PROMETHEUS (letters, digits, '_', '.', '-')");
  }
  if (literal(props.folderUid) && !isGrafanaUid(props.folderUid))
    fail("folderUid", props.folderUid, "use 1-40 letters, digits, '-' or '_'");
  if (literal(props.folderTitle) && props.folderTitle.trim() === "")
    fail("folderTitle", props.folderTitle, "use a non-empty title, or leave it unset for the General folder");
  switch (props.delivery) {
    case "grafana-api":
      deliveredProblems(props, fail);
      break;
    case "sidecar":
      deliveredProblems(props, fail);
      if (props.folderUid !== undefined && props.folderTitle === undefined)
        fail("folderUid", props.folderUid, "needs folderTitle with delivery sidecar");
      if (props.namespace !== undefined && !DNS_LABEL.test(props.namespace))
        fail("namespace", props.namespace, "use a lowercase DNS label");
      nameProblems(props.name, fail);
      for (const field of ["sidecarLabel", "sidecarFolderAnnotation"] as const) {
        const key = props[field];
        if (key !== undefined && !isLabelKey(key)) fail(field, key, "use a Kubernetes label/annotation key such as grafana_dashboard");
      }
      if (props.sidecarLabelValue !== undefined && !/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(props.sidecarLabelValue)) {
        fail("sidecarLabelValue", props.sidecarLabelValue, "use a Kubernetes label value (at most 63 letters, digits, '-', '_', '.')");
      }
      break;
    case "helm-values":
      if (props.folderUid !== undefined && props.folderTitle === undefined)
        fail("folderUid", props.folderUid, "needs folderTitle with delivery helm-values");
      nameProblems(props.name, fail);
      if (props.helmValuesOutputName !== undefined && !TERRAFORM_NAME.test(props.helmValuesOutputName)) {
        fail(
          "helmValuesOutputName",
          props.helmValuesOutputName,
          "use a Terraform output name (letters, digits, '_', '-', not starting with a digit)",
        );
      }
      if (props.helmProviderName !== undefined && !DNS_LABEL.test(props.helmProviderName))
        fail("helmProviderName", props.helmProviderName, "use a lowercase DNS label");
      break;
  }
  if (props.delivery !== "helm-values" && props.sourceFile !== undefined && problems.length === 0) {
    const local = readLocalDashboard(props.sourceFile, datasourceOf(props), props.datasourceUid !== undefined, datasourceInputsOf(props));
    if (!local.ok) fail("sourceFile", props.sourceFile, local.problem);
  }
  return problems;
}

type Fail = (path: string, value: unknown, expected: string) => void;

/** Rules of the deliveries that download or read the dashboard themselves. */
function deliveredProblems(props: DeliveredDashboardProps, fail: Fail): void {
  if (props.downloadBaseUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(props.downloadBaseUrl))
    fail("downloadBaseUrl", props.downloadBaseUrl, "use an http(s) URL such as https://grafana.com");
  if (props.sourceFile !== undefined && props.downloadBaseUrl !== undefined)
    fail("downloadBaseUrl", props.downloadBaseUrl, "has no effect with sourceFile; set one of them");
  if (props.sourceFile !== undefined && props.httpProvider !== undefined)
    fail("httpProvider", "<provider>", "has no effect with sourceFile, which is read at synth time; remove it");
}

function nameProblems(name: string | undefined, fail: Fail): void {
  if (name !== undefined && !isDnsSubdomain(name)) fail("name", name, "use a lowercase DNS subdomain name");
}
