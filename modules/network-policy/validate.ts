import { Token } from "cdktf";
import type { IConstruct } from "constructs";
import { ValidationError, type ValidationProblem } from "../common/validation-error";
import { DNS_LABEL, LABEL_NAME, labelKeyProblem } from "../common/kubernetes-names";
import { parseCidr, type ParsedCidr } from "./cidr";
import { DEFAULT_NETWORK_POLICY_FLAVOR, NETWORK_POLICY_FLAVORS, type TrivyNetworkPolicySpec } from "./props";

/** Suffix of the Helm release that carries Calico/Cilium policies. */
export const BUNDLE_SUFFIX = "-netpol";

const HOST_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Checks the props before anything is rendered and throws one ValidationError listing every
 * problem, each naming the field, the value and what is allowed, so a bad config is fixed in one go.
 */
export function validateTrivyNetworkPolicyProps(props: TrivyNetworkPolicySpec, scope?: IConstruct): void {
  const problems = trivyNetworkPolicyProblems(props);
  if (problems.length > 0) throw new ValidationError("trivy network policy", problems, scope);
}

type Problems = ValidationProblem[];

/** The problems `validateTrivyNetworkPolicyProps` would report, as data (empty when valid). */
export function trivyNetworkPolicyProblems(props: TrivyNetworkPolicySpec): ValidationProblem[] {
  const problems: Problems = [];
  const fail = (path: string, value: unknown, expected: string): void => {
    problems.push({ path, value, expected });
  };
  const flavor = props.flavor ?? DEFAULT_NETWORK_POLICY_FLAVOR;
  if (!NETWORK_POLICY_FLAVORS.includes(flavor)) {
    return [{ path: "flavor", value: flavor, expected: `use one of ${NETWORK_POLICY_FLAVORS.map((f) => `"${f}"`).join(", ")}` }];
  }
  // Calico and Cilium objects travel as JSON inside a Helm release, where a token cannot resolve.
  const tokensAllowed = flavor === "kubernetes" || flavor === "none";

  const literal = (field: string, value: string): boolean => {
    if (!Token.isUnresolved(value)) return true;
    if (!tokensAllowed)
      fail(field, "<token>", `a Terraform token; the ${flavor} flavor embeds it in a manifest and needs a literal string`);
    return false;
  };

  // The namespace only reaches the Helm release and resource metadata, where tokens resolve.
  if (!Token.isUnresolved(props.namespace)) checkDnsLabel(problems, "namespace", props.namespace, 63);
  if (literal("releaseName", props.releaseName)) {
    checkDnsLabel(problems, "releaseName", props.releaseName, 53);
    if ((flavor === "calico" || flavor === "cilium") && props.releaseName.length > 53 - BUNDLE_SUFFIX.length) {
      fail(
        "releaseName",
        props.releaseName,
        `too long for the ${flavor} flavor: the policies ship as Helm release "<releaseName>${BUNDLE_SUFFIX}", which must fit Helm's 53 characters, so use at most ${53 - BUNDLE_SUFFIX.length}`,
      );
    }
  }

  checkCidrs(problems, "apiServerCidrs", props.apiServerCidrs);
  checkPorts(problems, "apiServerPorts", props.apiServerPorts);
  checkPorts(problems, "registryPorts", props.registryPorts);
  checkCidrs(problems, "registryCidrs", props.registryCidrs);
  checkCidrs(problems, "privateRegistryCidrs", props.privateRegistryCidrs, { allowEmpty: true });
  checkCidrs(problems, "registryExcludedCidrs", props.registryExcludedCidrs, { allowEmpty: true });
  props.registryHosts?.forEach((host, i) => {
    const problem = hostProblem(host);
    if (problem) fail(`registryHosts[${i}]`, host, problem);
  });
  if (props.checksBundleHosts !== undefined && props.checksBundleHosts.length === 0) {
    fail("checksBundleHosts", [], "name the checks bundle registry (policiesBundle.registry), or leave it unset for mirror.gcr.io");
  }
  props.checksBundleHosts?.forEach((host, i) => {
    const problem = hostProblem(host);
    if (problem) fail(`checksBundleHosts[${i}]`, host, problem);
  });

  if (props.dns) {
    const { namespace, podLabels, ports, nodeLocalDns } = props.dns;
    if (namespace !== undefined && literal("dns.namespace", namespace)) checkDnsLabel(problems, "dns.namespace", namespace, 63);
    if (podLabels !== undefined) checkSelectorLabels(problems, "dns.podLabels", podLabels);
    checkPorts(problems, "dns.ports", ports);
    if (nodeLocalDns) {
      if (nodeLocalDns.address !== undefined) {
        const parsed = parseCidr(nodeLocalDns.address.includes("/") ? nodeLocalDns.address : `${nodeLocalDns.address}/32`);
        if (nodeLocalDns.address.includes("/") || !parsed.ok) {
          fail("dns.nodeLocalDns.address", nodeLocalDns.address, "use a single IPv4 address such as 169.254.20.10 (no prefix length)");
        }
      }
      if (nodeLocalDns.podLabels !== undefined) checkSelectorLabels(problems, "dns.nodeLocalDns.podLabels", nodeLocalDns.podLabels);
      checkPorts(problems, "dns.nodeLocalDns.ports", nodeLocalDns.ports);
    }
  }

  if (props.metrics) {
    const { prometheusNamespace, prometheusPodLabels } = props.metrics;
    if (literal("metrics.prometheusNamespace", prometheusNamespace)) {
      checkDnsLabel(problems, "metrics.prometheusNamespace", prometheusNamespace, 63);
    }
    checkSelectorLabels(problems, "metrics.prometheusPodLabels", prometheusPodLabels);
  }

  // Options a flavor cannot honour fail instead of being ignored: an ignored FQDN list would
  // silently leave 443 open to the whole internet.
  if (props.registryHosts && props.registryHosts.length > 0 && flavor !== "cilium" && flavor !== "none") {
    fail(
      "registryHosts",
      props.registryHosts,
      `only supported by the cilium flavor (toFQDNs); the ${flavor} flavor filters by address: use registryCidrs instead`,
    );
  }
  if (props.apiServerCidrs !== undefined && flavor !== "kubernetes" && flavor !== "none") {
    fail(
      "apiServerCidrs",
      props.apiServerCidrs,
      `only used by the kubernetes flavor; the ${flavor} flavor selects the API server itself (${flavor === "calico" ? "by the default/kubernetes Service" : "by the kube-apiserver entity"}): remove it`,
    );
  }
  return problems;
}

function checkDnsLabel(problems: Problems, field: string, value: string, maxLength: number): void {
  if (value.length > maxLength || !DNS_LABEL.test(value)) {
    problems.push({
      path: field,
      value,
      expected: `use a DNS-1123 label: at most ${maxLength} lowercase letters, digits and '-', starting and ending with a letter or digit`,
    });
  }
}

function checkCidrs(
  problems: Problems,
  field: string,
  values: readonly string[] | undefined,
  options: { allowEmpty?: boolean } = {},
): ParsedCidr[] {
  if (values === undefined) return [];
  if (values.length === 0 && !options.allowEmpty) {
    problems.push({ path: field, value: [], expected: "list at least one CIDR, or leave it unset for the default" });
  }
  const parsed: ParsedCidr[] = [];
  values.forEach((value, i) => {
    if (Token.isUnresolved(value)) {
      problems.push({
        path: `${field}[${i}]`,
        value: "<token>",
        expected: "a Terraform token; CIDRs must be literal because except ranges are computed from them",
      });
      return;
    }
    const result = parseCidr(value);
    if (result.ok) parsed.push(result.cidr);
    else problems.push({ path: `${field}[${i}]`, value, expected: `not a valid CIDR: ${result.problem}` });
  });
  return parsed;
}

function checkPorts(problems: Problems, field: string, ports: readonly number[] | undefined): void {
  if (ports === undefined) return;
  if (ports.length === 0) problems.push({ path: field, value: [], expected: "list at least one port, or leave it unset for the default" });
  ports.forEach((port, i) => {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push({ path: `${field}[${i}]`, value: port, expected: "not a port: use an integer from 1 to 65535" });
    }
  });
}

function checkSelectorLabels(problems: Problems, field: string, labels: Readonly<Record<string, string>>): void {
  const entries = Object.entries(labels);
  if (entries.length === 0) {
    problems.push({
      path: field,
      value: {},
      expected: "name at least one label, an empty selector would match every pod of the namespace",
    });
  }
  for (const [key, value] of entries) {
    if (labelKeyProblem(key) !== undefined) {
      problems.push({
        path: `${field} key`,
        value: key,
        expected: "not a label key: use an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.'",
      });
    }
    if (Token.isUnresolved(value)) continue;
    if (value.length > 63 || (value !== "" && !LABEL_NAME.test(value))) {
      problems.push({
        path: `${field}["${key}"]`,
        value,
        expected: "not a label value: use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
      });
    }
  }
}

function hostProblem(host: string): string | undefined {
  if (host.includes("://")) return `a URL: drop the scheme (use "${host.replace(/^[a-z]+:\/\//i, "").split("/")[0]}")`;
  if (host.includes("/")) return `a path: use the host name only ("${host.split("/")[0]}")`;
  const withPort = /^(.+):(\d+)$/.exec(host);
  if (withPort) {
    const port = Number(withPort[2]);
    if (port < 1 || port > 65535) return `port ${withPort[2]} is not a TCP port (1-65535)`;
    return hostProblem(withPort[1]!);
  }
  if (host.includes(":")) return 'a colon: use a host name, optionally with a port ("registry.corp.example:5000")';
  if (host !== host.toLowerCase()) return `upper-case letters: use "${host.toLowerCase()}"`;
  const name = host.startsWith("*.") ? host.slice(2) : host;
  const labels = name.split(".");
  if (name.length > 253 || labels.length < 2 || !labels.every((label) => HOST_LABEL.test(label))) {
    return "not a fully qualified domain name: use dot-separated labels of lowercase letters, digits and '-', optionally starting with '*.' (e.g. mirror.gcr.io, *.docker.io)";
  }
  return undefined;
}
