export {
  TRIVY_ALERT_NAMES,
  TRIVY_SEVERITIES,
  trivyAlertRules,
  type TrivyAlertName,
  type TrivyAlertRule,
  type TrivyAlertRulesOptions,
  type TrivySeverity,
} from "./alert-rules";
export {
  TrivyOperatorMonitoring,
  type OperatorAlertRulesOptions,
  type TrivyOperatorMonitoringOptions,
  type TrivyOperatorMonitoringProps,
} from "./trivy-operator-monitoring";
export {
  TrivyGrafanaAlerts,
  type EmailContactPoint,
  type SlackBotContactPoint,
  type SlackWebhookContactPoint,
  type TrivyAlertsContactPoint,
  type TrivyGrafanaAlertsProps,
  type WebhookContactPoint,
} from "./trivy-grafana-alerts";
