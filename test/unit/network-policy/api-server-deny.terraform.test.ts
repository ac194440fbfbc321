import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SCAN_JOB_LABELS, nativePolicyFor, synthPolicy } from "./helpers";
import { runTerraform, terraformAvailability } from "../../helpers/terraform";

/**
 * The kubernetes flavor keeps scan jobs off the API server by cutting its real endpoint addresses,
 * read at plan time from Endpoints `default/kubernetes`, out of every registry `ipBlock`. The
 * containment check runs in Terraform, so it is proven here with the real terraform binary: the
 * except expressions are taken from the synthesized stack (not retyped), the data source is swapped
 * for a local shaped like it, and a providerless config evaluates them. No provider is downloaded.
 *
 * Upstream fact: Kubernetes rejects an `except` entry that is not a strict subset of the ipBlock's
 * `cidr` (kubernetes pkg/apis/networking/validation/validation.go `ValidateIPBlock`), so an
 * endpoint outside a range must be left out of that range's list, not just appended.
 */
const terraform = terraformAvailability();
const terraformMissing = !terraform.available;
if (terraformMissing) console.warn(`skipping the API server deny evaluation: ${terraform.reason}`);

// What the kubernetes provider's data source holds for a cluster with a private, a kind-style and
// a public API server endpoint, plus an IPv6 one (dual-stack).
const ENDPOINT_SUBSETS = [
  { address: [{ ip: "10.20.0.5" }, { ip: "172.18.0.3" }, { ip: "34.118.0.10" }] },
  { address: [{ ip: "fd00:10::1" }] },
];

describe.skipIf(terraformMissing)("kubernetes flavor API server deny, evaluated by terraform |", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "trivy-api-deny-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("can cut exactly the API server endpoints inside each registry range out of it, and nothing else", () => {
    // GIVEN scan-job egress to public registries and two private registry ranges
    const synth = synthPolicy({ privateRegistryCidrs: ["10.20.0.0/16", "fd00:10::/64"] });
    const dataId = Object.keys(synth.data?.kubernetes_endpoints_v1 ?? {})[0]!;
    expect(synth.data?.kubernetes_endpoints_v1?.[dataId]).toEqual({ metadata: { name: "kubernetes", namespace: "default" } });
    const registryRule = nativePolicyFor(synth, SCAN_JOB_LABELS).spec.egress!.find((rule) =>
      rule.ports?.some((port) => port.port === "443"),
    )!;
    const blocks = registryRule.to!.map((peer) => peer.ip_block as { cidr: string; except: string });
    expect(blocks.map((block) => block.cidr)).toEqual(["0.0.0.0/0", "10.20.0.0/16", "fd00:10::/64"]);

    // WHEN terraform evaluates each except expression with the data source swapped for the fixture
    const source = `data.kubernetes_endpoints_v1.${dataId}.subset`;
    const config = {
      locals: { endpoint_subsets: ENDPOINT_SUBSETS },
      output: Object.fromEntries(
        blocks.map((block, index) => {
          expect(block.except).toContain(source);
          return [`except_${index}`, { value: block.except.replaceAll(source, "local.endpoint_subsets") }];
        }),
      ),
    };
    fs.writeFileSync(path.join(dir, "empty.tfrc"), "");
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config, null, 2));
    runTerraform(dir, ["init", "-backend=false", "-input=false", "-no-color"]);
    runTerraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color"]);
    const outputs = JSON.parse(runTerraform(dir, ["output", "-json"])) as Record<string, { value: string[] }>;

    // THEN the public range loses the private ranges and every IPv4 endpoint, the public one included
    expect(outputs.except_0!.value).toEqual([
      "10.0.0.0/8",
      "172.16.0.0/12",
      "192.168.0.0/16",
      "10.20.0.5/32",
      "172.18.0.3/32",
      "34.118.0.10/32",
    ]);
    // AND a private registry range loses only the endpoint inside it, so the rest of it stays reachable
    expect(outputs.except_1!.value).toEqual(["10.20.0.5/32"]);
    // AND the IPv6 range only the IPv6 endpoint
    expect(outputs.except_2!.value).toEqual(["fd00:10::1/128"]);
  });
});
