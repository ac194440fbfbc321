/** DNS-1123 label (namespace, release and cluster names): lowercase alphanumerics and '-', alphanumeric at both ends. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1123 subdomain: dot-separated DNS-1123 labels (Secret names, label-key prefixes). */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** The name part of a label key (apimachinery IsQualifiedName), and a non-empty label value: alphanumerics, '-', '_' or '.', alphanumeric at both ends. */
export const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** Label-value syntax: empty, or what LABEL_NAME allows (at most 63 characters, checked apart). */
export const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

export function isDnsLabel(value: unknown, maxLength = 63): value is string {
  return typeof value === "string" && value.length <= maxLength && DNS_LABEL.test(value);
}

export function isDnsSubdomain(value: unknown): value is string {
  return typeof value === "string" && value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

/**
 * Why `key` is not a label key (apimachinery IsQualifiedName: an optional DNS-1123 subdomain prefix
 * and '/', then a name of at most 63 characters), or undefined when it is one.
 */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return "its prefix must be a lowercase DNS subdomain of at most 253 characters";
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return "its name must be 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/** A label value: empty, or at most 63 letters, digits, '-', '_' or '.', alphanumeric at both ends. */
export function isLabelValue(value: unknown): value is string {
  return typeof value === "string" && value.length <= 63 && LABEL_VALUE.test(value);
}

export function isLabelKey(value: unknown): value is string {
  return typeof value === "string" && labelKeyProblem(value) === undefined;
}
