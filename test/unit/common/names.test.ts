import { describe, expect, it } from "vitest";
import { isGrafanaUid } from "../../../modules/common/grafana-names";
import { isDnsLabel, isDnsSubdomain, isLabelKey, isLabelValue, labelKeyProblem } from "../../../modules/common/kubernetes-names";

// The one set of name rules every module, the stack config and the CLI use. The Kubernetes ones
// follow apimachinery's validation (IsDNS1123Label, IsDNS1123Subdomain, IsQualifiedName,
// IsValidLabelValue); the Grafana uid follows Grafana's short-uid rule with its 40-character cap.
describe("names", () => {
  it("can accept DNS-1123 labels and refuse what apimachinery refuses", () => {
    expect(["trivy-system", "a", "a".repeat(63)].every((name) => isDnsLabel(name))).toBe(true);
    expect(["Trivy", "-a", "a-", "a.b", "", "a".repeat(64)].some((name) => isDnsLabel(name))).toBe(false);
    expect(isDnsLabel("a".repeat(54), 53)).toBe(false);
  });

  it("can accept DNS-1123 subdomains and refuse empty labels and over-long names", () => {
    expect(["example.com", "registry-creds", "a.b.c"].every((name) => isDnsSubdomain(name))).toBe(true);
    expect(["a..b", ".a", "a.", "A.b", `${"a".repeat(250)}.com`].some((name) => isDnsSubdomain(name))).toBe(false);
  });

  it("can accept qualified label keys and say what is wrong with the others", () => {
    expect(["app", "app.kubernetes.io/name", "grafana_dashboard", "example.com/skip-scan"].every((key) => isLabelKey(key))).toBe(true);
    expect(labelKeyProblem("Example.com/x")).toMatch(/prefix/);
    expect(labelKeyProblem(`x/${"a".repeat(64)}`)).toMatch(/1 to 63/);
    expect(labelKeyProblem("-app")).toMatch(/starting and ending/);
  });

  it("can accept label values up to 63 characters, empty included, and refuse longer or badly bounded ones", () => {
    expect(["", "true", "kube-prometheus-stack", "a".repeat(63)].every((value) => isLabelValue(value))).toBe(true);
    expect(["a".repeat(64), "-x", "x_", "a b", 1].some((value) => isLabelValue(value))).toBe(false);
  });

  it("can accept Grafana uids of 1 to 40 letters, digits, '-' and '_' only", () => {
    expect(["prometheus", "ycwPj724k", "trivy_e2e-1", "a".repeat(40)].every((uid) => isGrafanaUid(uid))).toBe(true);
    expect(["", "a".repeat(41), "uid with space", "a/b", "a.b"].some((uid) => isGrafanaUid(uid))).toBe(false);
  });
});
