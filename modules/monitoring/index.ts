export {
  TRIVY_ALERT_NAMES,
  TRIVY_SEVERITIES,
  trivyAlertRules,
  trivyAlertRulesProblems,
  type TrivyAlertName,
  type TrivyAlertRule,
  type TrivyAlertRulesOptions,
  type TrivySeverity,
} from "./alert-rules";
export {
  TrivyOperatorMonitoring,
  trivyOperatorMonitoringProblems,
  type OperatorAlertRulesOptions,
  type TrivyOperatorMonitoringOptions,
  type TrivyOperatorMonitoringProps,
} from "./trivy-operator-monitoring";
export {
  TrivyGrafanaAlerts,
  trivyGrafanaAlertsProblems,
  type EmailContactPoint,
  type SlackBotContactPoint,
  type SlackWebhookContactPoint,
  type TrivyAlertsContactPoint,
  type TrivyGrafanaAlertsProps,
  type WebhookContactPoint,
} from "./trivy-grafana-alerts";
