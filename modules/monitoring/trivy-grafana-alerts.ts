import { Fn, TerraformLocal, Token } from "cdktf";
import { Construct } from "constructs";
import { ContactPoint, type ContactPointEmail, type ContactPointSlack, type ContactPointWebhook } from "../../.gen/providers/grafana/contact-point";
import { Folder } from "../../.gen/providers/grafana/folder";
import { NotificationPolicy } from "../../.gen/providers/grafana/notification-policy";
import type { GrafanaProvider } from "../../.gen/providers/grafana/provider";
import { RuleGroup, type RuleGroupRule } from "../../.gen/providers/grafana/rule-group";
import { terraformLiteral } from "../common";
import type { ITrivyOperator } from "../trivy-operator/operator-ref";
import { durationSeconds, trivyAlertRules, type TrivyAlertRule, type TrivyAlertRulesOptions } from "./alert-rules";

/** Slack integration; `url` (incoming webhook) or `token` (bot) must come from a sensitive variable. */
export interface SlackContactOptions {
  /**
   * Incoming-webhook URL; its path is the credential.
   * @default - none; set url or token
   */
  readonly url?: string;
  /**
   * Bot token (with `recipient`).
   * @default - none; set url or token
   */
  readonly token?: string;
  /**
   * Channel or user to post to (bot token only).
   * @default - the webhook's channel
   */
  readonly recipient?: string;
}

/** Generic webhook integration. */
export interface WebhookContactOptions {
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

/** Email integration (Grafana's SMTP settings are used). */
export interface EmailContactOptions {
  readonly addresses: readonly string[];
}

export interface TrivyGrafanaAlertsProps {
  /** uid of the Prometheus datasource that scrapes the operator. */
  readonly datasourceUid: string;
  /**
   * Title of a folder created for the rule group. Ignored when folderUid names an existing folder.
   * @default "Trivy Operator alerts"
   */
  readonly folderTitle?: string;
  /**
   * uid of an existing folder for the rule group (e.g. the dashboard's).
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
  /**
   * Slack integration of the contact point.
   * @default - none
   */
  readonly slack?: SlackContactOptions;
  /**
   * Webhook integration of the contact point.
   * @default - none
   */
  readonly webhook?: WebhookContactOptions;
  /**
   * Email integration of the contact point.
   * @default - none
   */
  readonly email?: EmailContactOptions;
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
   * The operator the alerts watch: its namespace and `scannerReportTTL` replace those of
   * `alertRules`, so the rules cannot watch another namespace or a scan-job window that disagrees with the TTL.
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
    validateTrivyGrafanaAlertsProps(props);
    this.rules = trivyAlertRules(
      props.operator ? { ...props.alertRules, operatorNamespace: props.operator.namespace, scannerReportTTL: props.operator.scannerReportTTL } : props.alertRules,
    );
    const provider = props.grafanaProvider;

    const webhook: ContactPointWebhook[] = props.webhook
      ? [
          {
            url: props.webhook.url,
            authorizationCredentials: props.webhook.authorizationCredentials,
            authorizationScheme: props.webhook.authorizationCredentials !== undefined ? (props.webhook.authorizationScheme ?? "Bearer") : undefined,
          },
        ]
      : [];
    const slack: ContactPointSlack[] = props.slack ? [{ url: props.slack.url, token: props.slack.token, recipient: props.slack.recipient }] : [];
    const email: ContactPointEmail[] = props.email ? [{ addresses: [...props.email.addresses] }] : [];
    this.contactPoint = new ContactPoint(this, "contact-point", {
      name: props.contactPointName ?? "trivy-security",
      webhook: webhook.length > 0 ? webhook : undefined,
      slack: slack.length > 0 ? slack : undefined,
      email: email.length > 0 ? email : undefined,
      provider,
    });

    if (props.folderUid === undefined) {
      this.folder = new Folder(this, "folder", { title: props.folderTitle ?? "Trivy Operator alerts", provider });
    }

    // Query models go through a local: JSON string values need no HCL escaping and may contain
    // the datasource uid as a token (CDKTF does not escape quotes inside Fn.* arguments).
    const queryModels = new TerraformLocal(
      this,
      "query-models",
      Object.fromEntries(
        this.rules.map((rule) => [
          rule.alert,
          { refId: "A", expr: literalText(rule.expr), instant: true, datasource: { type: "prometheus", uid: props.datasourceUid } },
        ]),
      ),
    );
    // The PromQL already filters to series above the threshold; C only turns "a series exists" into firing.
    const conditionModel = terraformLiteral(
      JSON.stringify({ refId: "C", type: "threshold", expression: "A", datasource: { type: "__expr__", uid: "__expr__" }, conditions: [{ evaluator: { type: "gt", params: [0] } }] }),
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
          model: Fn.jsonencode(Fn.lookup(queryModels.asAnyMap, alertRule.alert)),
        },
        { refId: "C", datasourceUid: "__expr__", relativeTimeRange: { from: 0, to: 0 }, model: conditionModel },
      ],
      notificationSettings: props.notificationPolicy ? undefined : { contactPoint: this.contactPoint.name, groupBy: ["alertname", "namespace"] },
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

/**
 * Grafana evaluations a missing series waits before it resolves, so that it resolves when
 * Prometheus' keep_firing_for would: 1 (at once) without a grace, else the evaluation that sees
 * the series gone plus one per interval of the grace. Grafana resolves a missing instance at its
 * N-th consecutive missing evaluation (docs: alerting/fundamentals/alert-rule-evaluation/
 * stale-alert-instances, "2 by default").
 */
export function missingSeriesEvalsToResolve(keepFiringFor: string | undefined, intervalSeconds: number): number {
  if (keepFiringFor === undefined) return 1;
  return Math.ceil(durationSeconds(keepFiringFor)! / intervalSeconds) + 1;
}

function literalText(text: string): string {
  return Token.isUnresolved(text) ? text : terraformLiteral(text);
}

function toGrafanaTemplate(text: string): string {
  return text.replaceAll("{{ $value }}", "{{ $values.A.Value }}");
}

/** Secret-bearing fields: a literal here would end up in code and in cdk.tf.json. */
const SECRET_FIELDS = [
  ["slack.url", (props: TrivyGrafanaAlertsProps) => props.slack?.url],
  ["slack.token", (props: TrivyGrafanaAlertsProps) => props.slack?.token],
  ["webhook.authorizationCredentials", (props: TrivyGrafanaAlertsProps) => props.webhook?.authorizationCredentials],
] as const;

export function validateTrivyGrafanaAlertsProps(props: TrivyGrafanaAlertsProps): void {
  const fail = (field: string, value: unknown, allowed: string): never => {
    throw new Error(`trivy grafana alerts ${field} ${JSON.stringify(value)} is invalid: ${allowed}`);
  };
  for (const [field, read] of SECRET_FIELDS) {
    const value = read(props);
    if (value !== undefined && !Token.isUnresolved(value)) {
      // The value is deliberately not echoed: it is a secret.
      throw new Error(
        `trivy grafana alerts ${field} is a literal string: pass the value of a sensitive TerraformVariable (set through TF_VAR_…) so the secret never appears in code or cdk.tf.json`,
      );
    }
  }
  if (!props.slack && !props.webhook && !props.email) fail("contact point", {}, "set at least one of slack, webhook or email");
  if (props.slack && props.slack.url === undefined && props.slack.token === undefined) fail("slack", "{}", "set url (incoming webhook) or token");
  if (props.slack?.token !== undefined && props.slack.recipient === undefined) fail("slack.recipient", undefined, "name the channel or user when using a bot token");
  if (props.webhook && !Token.isUnresolved(props.webhook.url) && !/^https?:\/\/\S+$/.test(props.webhook.url)) fail("webhook.url", props.webhook.url, "use an http(s) URL");
  if (props.email && (props.email.addresses.length === 0 || props.email.addresses.some((address) => !Token.isUnresolved(address) && !/^[^\s@]+@[^\s@]+$/.test(address)))) {
    fail("email.addresses", props.email.addresses, "list at least one email address");
  }
  if (!Token.isUnresolved(props.datasourceUid) && !/^[A-Za-z0-9_-]{1,40}$/.test(props.datasourceUid)) fail("datasourceUid", props.datasourceUid, "use 1-40 letters, digits, '-' or '_'");
  if (props.folderUid !== undefined && !Token.isUnresolved(props.folderUid) && !/^[A-Za-z0-9_-]{1,40}$/.test(props.folderUid)) fail("folderUid", props.folderUid, "use 1-40 letters, digits, '-' or '_'");
  if (props.folderUid !== undefined && props.folderTitle !== undefined) fail("folderTitle", props.folderTitle, "set folderTitle (created) or folderUid (existing), not both");
  if (props.intervalSeconds !== undefined && (!Number.isInteger(props.intervalSeconds) || props.intervalSeconds < 10)) {
    fail("intervalSeconds", props.intervalSeconds, "use a whole number of seconds >= 10 (Grafana's minimum evaluation interval)");
  }
  for (const [field, value] of [["ruleGroupName", props.ruleGroupName], ["contactPointName", props.contactPointName]] as const) {
    if (value !== undefined && value.trim() === "") fail(field, value, "use a non-empty name");
  }
}
