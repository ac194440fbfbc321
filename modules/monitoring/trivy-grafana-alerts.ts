import { Fn, TerraformLocal, Token } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import { parsePrometheusDuration } from "../common/duration";
import {
  ContactPoint,
  type ContactPointEmail,
  type ContactPointSlack,
  type ContactPointWebhook,
} from "../../.gen/providers/grafana/contact-point";
import { Folder } from "../../.gen/providers/grafana/folder";
import { NotificationPolicy } from "../../.gen/providers/grafana/notification-policy";
import type { GrafanaProvider } from "../../.gen/providers/grafana/provider";
import { RuleGroup, type RuleGroupRule } from "../../.gen/providers/grafana/rule-group";
import { isGrafanaUid, terraformLiteral } from "../common";
import { canonicalJson } from "../common/canonical-json";
import { ValidationError, type ValidationProblem } from "../common/validation-error";
import type { ITrivyOperator } from "../trivy-operator/operator-ref";
import { trivyAlertRules, type TrivyAlertRule, type TrivyAlertRulesOptions } from "./alert-rules";

/** Slack through an incoming webhook; its URL is the credential and must come from a sensitive variable. */
export interface SlackWebhookContactPoint {
  readonly type: "slack";
  /** Incoming-webhook URL (its channel is the one the webhook was made for). */
  readonly url: string;
  readonly token?: never;
  readonly recipient?: never;
}

/** Slack through a bot token, which must come from a sensitive variable. */
export interface SlackBotContactPoint {
  readonly type: "slack";
  /** Bot token. */
  readonly token: string;
  /** Channel or user to post to. */
  readonly recipient: string;
  readonly url?: never;
}

/** Generic webhook. */
export interface WebhookContactPoint {
  readonly type: "webhook";
  /** Endpoint URL. Put credentials in `authorizationCredentials`, not into the URL. */
  readonly url: string;
  /**
   * `Authorization` header credentials; must come from a sensitive variable.
   * @default - no Authorization header
   */
  readonly authorizationCredentials?: string;
  /**
   * `Authorization` scheme.
   * @default "Bearer"
   */
  readonly authorizationScheme?: string;
}

/** Email (Grafana's SMTP settings are used). */
export interface EmailContactPoint {
  readonly type: "email";
  readonly addresses: readonly string[];
}

/** Where the alerts go: one integration per contact point, chosen by `type`. */
export type TrivyAlertsContactPoint = SlackWebhookContactPoint | SlackBotContactPoint | WebhookContactPoint | EmailContactPoint;

export interface TrivyGrafanaAlertsProps {
  /** uid of the Prometheus datasource that scrapes the operator. */
  readonly datasourceUid: string;
  /**
   * Title of a folder created for the rule group. Give this or `folderUid`, not both.
   * @default "Trivy Operator alerts"
   */
  readonly folderTitle?: string;
  /**
   * uid of an existing folder for the rule group (e.g. the dashboard's); then no folder is created.
   * @default - a folder titled folderTitle is created
   */
  readonly folderUid?: string;
  /** @default "trivy-operator" */
  readonly ruleGroupName?: string;
  /**
   * Evaluation interval of the group.
   * @default 60
   */
  readonly intervalSeconds?: number;
  /**
   * The same alert options as the PrometheusRule.
   * @default - see TrivyAlertRulesOptions
   */
  readonly alertRules?: TrivyAlertRulesOptions;
  /** @default "trivy-security" */
  readonly contactPointName?: string;
  /** The contact point the rules notify. */
  readonly contactPoint: TrivyAlertsContactPoint;
  /**
   * Route through a `grafana_notification_policy` instead of per-rule notification settings.
   * That resource owns the organisation's WHOLE policy tree and replaces routes made elsewhere,
   * so it is opt-in.
   * @default false - each rule names the contact point itself (Grafana ≥ 10.4 simplified routing)
   */
  readonly notificationPolicy?: boolean;
  /**
   * Grafana provider to use, when the stack talks to several Grafanas.
   * @default - the stack's default grafana provider
   */
  readonly grafanaProvider?: GrafanaProvider;
  /**
   * The operator the alerts watch: its namespace, `scannerReportTTL` and `scanJobsInSameNamespace`
   * replace those of `alertRules`, so the rules cannot watch another namespace or a scan-job window
   * that disagrees with the TTL.
   * @default - `alertRules.operatorNamespace` and `alertRules.scannerReportTTL` (or their defaults)
   */
  readonly operator?: ITrivyOperator;
}

/**
 * The Trivy alerts as Grafana-managed alert rules, for teams that alert from Grafana instead of
 * Prometheus/Alertmanager: a folder, a rule group built from the same rule list as the
 * PrometheusRule, and a contact point (Slack, webhook and/or email).
 *
 * Credentials are plain string props that the stack fills from `TerraformVariable({ sensitive: true })`
 * (TF_VAR_…); literal secrets are rejected so they can never reach code or `cdk.tf.json`.
 */
export class TrivyGrafanaAlerts extends Construct {
  public readonly rules: readonly TrivyAlertRule[];
  public readonly folder?: Folder;
  public readonly ruleGroup: RuleGroup;
  public readonly contactPoint: ContactPoint;
  public readonly notificationPolicyResource?: NotificationPolicy;

  constructor(scope: Construct, id: string, props: TrivyGrafanaAlertsProps) {
    super(scope, id);
    validateTrivyGrafanaAlertsProps(props, this);
    this.rules = trivyAlertRules(
      props.operator
        ? {
            ...props.alertRules,
            operatorNamespace: props.operator.namespace,
            scannerReportTTL: props.operator.scannerReportTTL,
            scanJobsInSameNamespace: props.operator.scanJobsInSameNamespace,
          }
        : props.alertRules,
    );
    const provider = props.grafanaProvider;

    this.contactPoint = new ContactPoint(this, "contact-point", {
      name: props.contactPointName ?? "trivy-security",
      ...contactPointIntegration(props.contactPoint),
      provider,
    });

    if (props.folderUid === undefined) {
      this.folder = new Folder(this, "folder", { title: props.folderTitle ?? "Trivy Operator alerts", provider });
    }

    const queryModel = (rule: TrivyAlertRule) => ({
      refId: "A",
      expr: rule.expr,
      instant: true,
      datasource: { type: "prometheus", uid: props.datasourceUid },
    });
    // A datasource uid that is a token goes through a local: CDKTF does not escape quotes inside
    // Fn.* arguments, and jsonencode there renders it. A literal uid needs neither: the model is
    // written as the very string jsonencode would render (terraformJsonEncode), which spares every
    // rule two function tokens and the stack a local, a tenth of synthesizing a 200-cluster fleet.
    const queryModels = Token.isUnresolved(props.datasourceUid)
      ? new TerraformLocal(
          this,
          "query-models",
          Object.fromEntries(this.rules.map((rule) => [rule.alert, { ...queryModel(rule), expr: literalText(rule.expr) }])),
        )
      : undefined;
    const modelOf = (rule: TrivyAlertRule): string =>
      queryModels === undefined
        ? terraformLiteral(terraformJsonEncode(queryModel(rule)))
        : Fn.jsonencode(Fn.lookup(queryModels.asAnyMap, rule.alert));
    // The PromQL already filters to series above the threshold; C only turns "a series exists" into firing.
    const conditionModel = terraformLiteral(
      JSON.stringify({
        refId: "C",
        type: "threshold",
        expression: "A",
        datasource: { type: "__expr__", uid: "__expr__" },
        conditions: [{ evaluator: { type: "gt", params: [0] } }],
      }),
    );

    const intervalSeconds = props.intervalSeconds ?? 60;
    const rule: RuleGroupRule[] = this.rules.map((alertRule) => ({
      name: alertRule.alert,
      condition: "C",
      for: alertRule.for,
      // Prometheus' keep_firing_for, in both of Grafana's cases: the query result drops under the
      // threshold (Recovering for keepFiringFor) or, as here, the filtered series goes missing
      // (resolved after that many missing evaluations: the one at the gap's start plus the gap).
      keepFiringFor: alertRule.keepFiringFor,
      missingSeriesEvalsToResolve: missingSeriesEvalsToResolve(alertRule.keepFiringFor, intervalSeconds),
      // No series = nothing above threshold (and absent() returns nothing while the operator is up).
      noDataState: "OK",
      execErrState: "Error",
      labels: Object.fromEntries(Object.entries(alertRule.labels).map(([key, value]) => [key, literalText(value)])),
      annotations: {
        // Grafana's `$value` is a string of every query; the rule's single number is `$values.A.Value`.
        summary: literalText(toGrafanaTemplate(alertRule.annotations.summary)),
        description: literalText(toGrafanaTemplate(alertRule.annotations.description)),
      },
      data: [
        {
          refId: "A",
          datasourceUid: props.datasourceUid,
          relativeTimeRange: { from: 600, to: 0 },
          model: modelOf(alertRule),
        },
        { refId: "C", datasourceUid: "__expr__", relativeTimeRange: { from: 0, to: 0 }, model: conditionModel },
      ],
      notificationSettings: props.notificationPolicy
        ? undefined
        : { contactPoint: this.contactPoint.name, groupBy: ["alertname", "namespace"] },
    }));

    this.ruleGroup = new RuleGroup(this, "rule-group", {
      name: props.ruleGroupName ?? "trivy-operator",
      folderUid: this.folder?.uid ?? props.folderUid!,
      intervalSeconds,
      rule,
      provider,
    });

    if (props.notificationPolicy) {
      this.notificationPolicyResource = new NotificationPolicy(this, "notification-policy", {
        contactPoint: this.contactPoint.name,
        groupBy: ["alertname", "namespace"],
        provider,
      });
    }
  }
}

/** The one integration block of the contact point, by type. */
function contactPointIntegration(contact: TrivyAlertsContactPoint): {
  slack?: ContactPointSlack[];
  webhook?: ContactPointWebhook[];
  email?: ContactPointEmail[];
} {
  switch (contact.type) {
    case "slack":
      return { slack: [contact.url !== undefined ? { url: contact.url } : { token: contact.token, recipient: contact.recipient }] };
    case "webhook":
      return {
        webhook: [
          {
            url: contact.url,
            authorizationCredentials: contact.authorizationCredentials,
            authorizationScheme: contact.authorizationCredentials !== undefined ? (contact.authorizationScheme ?? "Bearer") : undefined,
          },
        ],
      };
    case "email":
      return { email: [{ addresses: [...contact.addresses] }] };
  }
}

/**
 * Grafana evaluations a missing series waits before it resolves, so that it resolves when
 * Prometheus' keep_firing_for would: 1 (at once) without a grace, else the evaluation that sees
 * the series gone plus one per interval of the grace. Grafana resolves a missing instance at its
 * N-th consecutive missing evaluation (docs: alerting/fundamentals/alert-rule-evaluation/
 * stale-alert-instances, "2 by default").
 */
export function missingSeriesEvalsToResolve(keepFiringFor: string | undefined, intervalSeconds: number): number {
  if (keepFiringFor === undefined) return 1;
  return Math.ceil(parsePrometheusDuration(keepFiringFor)! / 1000 / intervalSeconds) + 1;
}

/**
 * `JSON.stringify` as Terraform's `jsonencode` renders it (cty's JSON marshal through Go's
 * encoding/json): object keys sorted, no spaces, and `<`, `>`, `&`, U+2028 and U+2029 written as
 * `\u003c`-style escapes. For plain data only (strings, numbers, booleans, null, arrays, objects).
 */
export function terraformJsonEncode(value: unknown): string {
  return canonicalJson(value).replace(/[<>&\u2028\u2029]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function literalText(text: string): string {
  return Token.isUnresolved(text) ? text : terraformLiteral(text);
}

function toGrafanaTemplate(text: string): string {
  return text.replaceAll("{{ $value }}", "{{ $values.A.Value }}");
}

/** Secret-bearing fields of each contact point type: a literal here would end up in code and in cdk.tf.json. */
function contactPointSecrets(contact: TrivyAlertsContactPoint): [string, string | undefined][] {
  switch (contact.type) {
    case "slack":
      return [
        ["contactPoint.url", contact.url],
        ["contactPoint.token", contact.token],
      ];
    case "webhook":
      return [["contactPoint.authorizationCredentials", contact.authorizationCredentials]];
    case "email":
      return [];
  }
}

const CONTACT_POINT_TYPES: readonly string[] = ["slack", "webhook", "email"] satisfies readonly TrivyAlertsContactPoint["type"][];

/**
 * Every reason the props cannot produce working alerts, as data (empty when valid). Secrets are
 * never echoed; tokens are not checked.
 */
export function trivyGrafanaAlertsProblems(props: TrivyGrafanaAlertsProps): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const fail = (path: string, value: unknown, expected: string): void => {
    problems.push({ path, value, expected });
  };
  const contact = props.contactPoint as TrivyAlertsContactPoint | undefined;
  if (contact === undefined || !CONTACT_POINT_TYPES.includes(contact.type)) {
    fail("contactPoint.type", contact?.type, `use one of ${CONTACT_POINT_TYPES.join(", ")}`);
  } else {
    for (const [field, value] of contactPointSecrets(contact)) {
      if (value !== undefined && !Token.isUnresolved(value)) {
        // The value is deliberately not echoed: it is a secret.
        fail(
          field,
          "<literal secret>",
          "a literal string; pass the value of a sensitive TerraformVariable (set through TF_VAR_…) so the secret never appears in code or cdk.tf.json",
        );
      }
    }
    if (contact.type === "slack" && contact.url === undefined && contact.token === undefined)
      fail("contactPoint", "{}", "set url (incoming webhook) or token with recipient");
    if (contact.type === "slack" && contact.token !== undefined && contact.recipient === undefined)
      fail("contactPoint.recipient", undefined, "name the channel or user when using a bot token");
    if (contact.type === "webhook" && !Token.isUnresolved(contact.url) && !/^https?:\/\/\S+$/.test(contact.url))
      fail("contactPoint.url", contact.url, "use an http(s) URL");
    if (
      contact.type === "email" &&
      (contact.addresses.length === 0 ||
        contact.addresses.some((address) => !Token.isUnresolved(address) && !/^[^\s@]+@[^\s@]+$/.test(address)))
    ) {
      fail("contactPoint.addresses", contact.addresses, "list at least one email address");
    }
  }
  if (!Token.isUnresolved(props.datasourceUid) && !isGrafanaUid(props.datasourceUid))
    fail("datasourceUid", props.datasourceUid, "use 1-40 letters, digits, '-' or '_'");
  if (props.folderUid !== undefined && !Token.isUnresolved(props.folderUid) && !isGrafanaUid(props.folderUid))
    fail("folderUid", props.folderUid, "use 1-40 letters, digits, '-' or '_'");
  if (props.folderUid !== undefined && props.folderTitle !== undefined)
    fail("folderTitle", props.folderTitle, "set folderTitle (created) or folderUid (existing), not both");
  if (props.intervalSeconds !== undefined && (!Number.isInteger(props.intervalSeconds) || props.intervalSeconds < 10)) {
    fail("intervalSeconds", props.intervalSeconds, "use a whole number of seconds >= 10 (Grafana's minimum evaluation interval)");
  }
  for (const [field, value] of [
    ["ruleGroupName", props.ruleGroupName],
    ["contactPointName", props.contactPointName],
  ] as const) {
    if (value !== undefined && value.trim() === "") fail(field, value, "use a non-empty name");
  }
  return problems;
}

/** Throws one ValidationError listing every problem of the props (see trivyGrafanaAlertsProblems). */
export function validateTrivyGrafanaAlertsProps(props: TrivyGrafanaAlertsProps, scope?: IConstruct): void {
  const problems = trivyGrafanaAlertsProblems(props);
  if (problems.length > 0) throw new ValidationError("trivy grafana alerts", problems, scope);
}
