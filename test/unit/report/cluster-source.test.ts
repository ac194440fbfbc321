import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../../cli/io";
import { runReportCommand } from "../../../cli/report/command";
import { KINDS_WITHOUT_FINDINGS, REPORT_KINDS } from "../../../cli/report/kinds";
import { readClusterReports, type ReportLister } from "../../../cli/report/sources/cluster";
import type { ReportSummary } from "../../../cli/report/summary";
import { captureIo } from "./helpers";

/** The shapes @kubernetes/client-node 1.4.0 throws: ApiException (numeric code) and node-fetch FetchError (string code). */
const apiException = (code: number, message: string) =>
  Object.assign(new Error(`HTTP-Code: ${code}`), { code, body: { kind: "Status", message } });
const fetchError = () =>
  Object.assign(
    new Error(
      "request to https://127.0.0.1:1/apis/aquasecurity.github.io/v1alpha1/vulnerabilityreports failed, reason: connect ECONNREFUSED 127.0.0.1:1",
    ),
    { code: "ECONNREFUSED", type: "system" },
  );

const report = (name: string, namespace: string, severity: string) => ({
  apiVersion: "aquasecurity.github.io/v1alpha1",
  kind: "VulnerabilityReport",
  metadata: { name, namespace, labels: { "trivy-operator.resource.kind": "ReplicaSet", "trivy-operator.resource.name": name } },
  report: {
    artifact: { repository: "library/nginx", tag: "1.25" },
    registry: { server: "index.docker.io" },
    updateTimestamp: "2024-04-30T12:00:00Z",
    vulnerabilities: [{ vulnerabilityID: `CVE-${name}`, severity, resource: "openssl", fixedVersion: "" }],
  },
});

describe("CRD coverage", () => {
  it("knows every CRD kind of chart 0.34.0, with its plural and scope", () => {
    const crds = readdirSync(resolve(__dirname, "../../fixtures/crds")).filter((file) => file.endsWith(".yaml"));
    expect(crds).toHaveLength(12);
    for (const file of crds) {
      const crd = parse(readFileSync(join(resolve(__dirname, "../../fixtures/crds"), file), "utf8")) as {
        spec: { names: { kind: string; plural: string }; scope: string };
      };
      const known = REPORT_KINDS.find((kind) => kind.kind === crd.spec.names.kind);
      if (known)
        expect({ plural: known.plural, namespaced: known.namespaced }).toEqual({
          plural: crd.spec.names.plural,
          namespaced: crd.spec.scope === "Namespaced",
        });
      else expect(KINDS_WITHOUT_FINDINGS.has(crd.spec.names.kind)).toBe(true);
    }
  });
});

describe("readClusterReports with a fake API client", () => {
  it("pages with limit/continue through every kind", async () => {
    const calls: string[] = [];
    const lister: ReportLister = {
      async list({ kind, namespace, limit, continueToken }) {
        calls.push(`${kind.plural}:${namespace ?? "*"}:${limit}:${continueToken ?? ""}`);
        if (kind.kind !== "VulnerabilityReport") return { items: [], continueToken: undefined };
        return continueToken
          ? { items: [report("b", "shop", "HIGH")], continueToken: undefined }
          : { items: [report("a", "shop", "CRITICAL")], continueToken: "page-2" };
      },
    };
    const objects: unknown[] = [];
    const result = await readClusterReports(lister, { namespaces: [], pageSize: 1, onObject: (object) => objects.push(object) });
    expect(objects).toHaveLength(2);
    expect(result.problems).toEqual([]);
    expect(calls.slice(0, 2)).toEqual(["vulnerabilityreports:*:1:", "vulnerabilityreports:*:1:page-2"]);
    expect(calls).toHaveLength(REPORT_KINDS.length + 1);
  });

  it("skips a forbidden namespace with a warning and keeps the others", async () => {
    const lister: ReportLister = {
      async list({ kind, namespace }) {
        if (namespace === "secret-team")
          throw apiException(
            403,
            `${kind.plural}.aquasecurity.github.io is forbidden: User "dev" cannot list resource "${kind.plural}" in API group "aquasecurity.github.io" in the namespace "secret-team"`,
          );
        return { items: kind.kind === "VulnerabilityReport" ? [report("a", namespace ?? "", "CRITICAL")] : [], continueToken: undefined };
      },
    };
    const result = await readClusterReports(lister, { namespaces: ["shop", "secret-team"], pageSize: 500, onObject: () => undefined });
    expect(result.objects).toBe(1);
    expect(result.problems[0]).toMatch(/^forbidden to list vulnerabilityreports in namespace "secret-team" \(HTTP 403: .*forbidden/);
    expect(result.problems).toHaveLength(5); // the 5 namespaced kinds
  });

  it("stops a context whose API server is unreachable, and notes missing CRDs", async () => {
    const unreachable = await readClusterReports(
      { list: async () => Promise.reject(fetchError()) },
      { namespaces: [], pageSize: 500, onObject: () => undefined },
    );
    expect(unreachable.problems).toEqual([
      expect.stringMatching(
        /^cannot reach the API server: request to https:\/\/127\.0\.0\.1:1.*ECONNREFUSED.*; nothing read from this context$/,
      ),
    ]);
    const missing = await readClusterReports(
      {
        list: async ({ kind }) =>
          kind.namespaced
            ? { items: [], continueToken: undefined }
            : Promise.reject(apiException(404, "the server could not find the requested resource")),
      },
      { namespaces: [], pageSize: 500, onObject: () => undefined },
    );
    expect(missing.problems).toEqual([]);
    expect(missing.notes[0]).toMatch(/CRDs not installed.*ClusterVulnerabilityReport/);
  });
});

describe("readClusterReports when a continue token expires (HTTP 410)", () => {
  const expired = () => apiException(410, "The provided continue parameter is too old to display a consistent list result.");
  const withUid = (name: string, uid: string | undefined) => {
    const object = report(name, "shop", "HIGH");
    return { ...object, metadata: { ...object.metadata, ...(uid ? { uid } : {}) } };
  };

  /** Vulnerability reports in pages of one; the first `expiries` requests that carry a token get 410. */
  function expiringLister(objects: readonly unknown[], expiries: number): { lister: ReportLister; calls: string[] } {
    const calls: string[] = [];
    let expiriesLeft = expiries;
    const lister: ReportLister = {
      async list({ kind, continueToken }) {
        if (kind.kind !== "VulnerabilityReport") return { items: [], continueToken: undefined };
        calls.push(continueToken ?? "start");
        if (continueToken !== undefined && expiriesLeft > 0) {
          expiriesLeft--;
          throw expired();
        }
        const offset = continueToken === undefined ? 0 : Number(continueToken);
        return { items: objects.slice(offset, offset + 1), continueToken: offset + 1 < objects.length ? String(offset + 1) : undefined };
      },
    };
    return { lister, calls };
  }

  it("restarts the list once and hands on each object once (by uid), with a note and no warning", async () => {
    const objects = [withUid("a", "uid-a"), withUid("b", "uid-b"), withUid("c", "uid-c")];
    const { lister, calls } = expiringLister(objects, 1);
    const handedOn: unknown[] = [];
    const result = await readClusterReports(lister, { namespaces: [], pageSize: 1, onObject: (object) => handedOn.push(object) });
    expect(calls).toEqual(["start", "1", "start", "1", "2"]);
    expect(handedOn).toEqual(objects);
    expect(result.objects).toBe(3);
    expect(result.problems).toEqual([]);
    expect(result.notes).toEqual([
      expect.stringMatching(
        /^vulnerabilityreports across all namespaces: a continue token expired \(HTTP 410\), so the list was read again from the start/,
      ),
    ]);
  });

  it("identifies objects without a uid by namespace and name", async () => {
    const objects = [withUid("a", undefined), withUid("b", undefined)];
    const handedOn: unknown[] = [];
    await readClusterReports(expiringLister(objects, 1).lister, {
      namespaces: [],
      pageSize: 1,
      onObject: (object) => handedOn.push(object),
    });
    expect(handedOn).toEqual(objects);
  });

  it("warns with the count read so far when the restarted list expires again, and does not restart a second time", async () => {
    const objects = [withUid("a", "uid-a"), withUid("b", "uid-b")];
    const { lister, calls } = expiringLister(objects, 2);
    const handedOn: unknown[] = [];
    const result = await readClusterReports(lister, { namespaces: [], pageSize: 1, onObject: (object) => handedOn.push(object) });
    expect(calls).toEqual(["start", "1", "start", "1"]);
    expect(handedOn).toEqual([objects[0]]);
    expect(result.problems).toEqual([
      "listing vulnerabilityreports across all namespaces failed after 1 object(s), again after a restart from the beginning (HTTP 410: The provided continue parameter is too old to display a consistent list result.); the rest of that list was skipped",
    ]);
  });

  it("does not restart on a 410 for the first page (no token to expire)", async () => {
    const calls: string[] = [];
    const lister: ReportLister = {
      async list({ kind, continueToken }) {
        if (kind.kind !== "VulnerabilityReport") return { items: [], continueToken: undefined };
        calls.push(continueToken ?? "start");
        throw expired();
      },
    };
    const result = await readClusterReports(lister, { namespaces: [], pageSize: 1, onObject: () => undefined });
    expect(calls).toEqual(["start"]);
    expect(result.problems).toEqual([expect.stringMatching(/^listing vulnerabilityreports across all namespaces failed \(HTTP 410: /)]);
  });
});

describe("report --context with an injected lister", () => {
  it("reports the reachable context and warns about the unreachable one (exit 3)", async () => {
    const captured = captureIo();
    const code = await runReportCommand(
      ["--context", "prod", "--context", "gone", "--format", "json", "--now", "2024-05-01T00:00:00Z"],
      captured.io,
      async (context) =>
        context === "gone"
          ? { list: async () => Promise.reject(fetchError()) }
          : {
              list: async ({ kind }) => ({
                items: kind.kind === "VulnerabilityReport" ? [report("a", "shop", "CRITICAL"), report("b", "shop", "LOW")] : [],
                continueToken: undefined,
              }),
            },
    );
    const summary = JSON.parse(captured.stdout()) as ReportSummary;
    expect(code).toBe(ExitCode.PARTIAL);
    expect(summary.totals).toEqual({ critical: 1, high: 0, medium: 0, low: 1, unknown: 0 });
    expect(summary.byCluster.map((row) => row.cluster)).toEqual(["prod"]);
    expect(captured.stderr()).toMatch(/^warning: context gone: cannot reach the API server: .*ECONNREFUSED/m);
  });
});
