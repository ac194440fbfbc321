/** A Grafana uid (dashboards, folders, datasources): 1 to 40 letters, digits, '-' or '_' (Grafana's util.IsValidShortUID and its 40-character limit). */
export const GRAFANA_UID = /^[A-Za-z0-9_-]{1,40}$/;

export function isGrafanaUid(value: unknown): value is string {
  return typeof value === "string" && GRAFANA_UID.test(value);
}
