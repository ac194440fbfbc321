import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TerraformVariable } from "cdktf";
import { afterAll, describe, expect, it } from "vitest";
import { TrivyGrafanaAlerts, type TrivyGrafanaAlertsProps } from "../../../modules/monitoring";
import { terraformJsonEncode } from "../../../modules/monitoring/trivy-grafana-alerts";
import { onlyResourceOfType, synthesize } from "../../helpers/synth";
import { runTerraform, terraformAvailability } from "../../helpers/terraform";

/**
 * With a literal datasource uid, TrivyGrafanaAlerts writes each query model as the JSON string
 * Terraform's `jsonencode` would render, instead of `${jsonencode(lookup(local.models, …))}`. Grafana
 * (and the provider's state) see a string, so the two must be equal byte for byte: proven with the
 * real terraform binary on a providerless config that holds both forms, taken from two synthesized
 * stacks (a literal uid, and the same uid as a variable, which keeps the local).
 */
const terraform = terraformAvailability();
if (!terraform.available) console.warn(`skipping the query model evaluation: ${terraform.reason}`);

const DATASOURCE = "prometheus-eu-1";
const alertProps = (datasourceUid: string): TrivyGrafanaAlertsProps => ({
  datasourceUid,
  contactPoint: { type: "email", addresses: ["security@example.com"] },
  // Thresholds and severities whose PromQL carries `>`, `=~` and `|`: what jsonencode escapes.
  alertRules: { criticalVulnerabilitiesThreshold: 2, exposedSecretSeverities: ["Critical", "High", "Medium"] },
});

interface Rule {
  name: string;
  data: Array<{ model: string }>;
}
const rulesOf = (parsed: Parameters<typeof onlyResourceOfType>[0]): Rule[] =>
  (onlyResourceOfType(parsed, "grafana_rule_group") as { rule: Rule[] }).rule;

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe("terraformJsonEncode", () => {
  it("sorts keys at every level and escapes what Go's encoder escapes", () => {
    expect(terraformJsonEncode({ b: 1, a: { d: [true, null], c: "x > 1 & y < 2\u2028" } })).toBe(
      '{"a":{"c":"x \\u003e 1 \\u0026 y \\u003c 2\\u2028","d":[true,null]},"b":1}',
    );
  });
});

describe.skipIf(!terraform.available)("Grafana query models, evaluated by terraform |", () => {
  it("renders every literal model exactly as jsonencode of the query-model local", () => {
    const literal = rulesOf(synthesize((stack) => new TrivyGrafanaAlerts(stack, "alerts", alertProps(DATASOURCE))).parsed);
    const viaLocal = synthesize((stack) => {
      const uid = new TerraformVariable(stack, "datasource_uid", { type: "string", default: DATASOURCE });
      new TrivyGrafanaAlerts(stack, "alerts", alertProps(uid.stringValue));
    }).parsed;
    const localRules = rulesOf(viaLocal);
    expect(literal.map((rule) => rule.name)).toEqual(localRules.map((rule) => rule.name));

    // Both forms as locals of one providerless config: the variable and the local the token form reads.
    const config = {
      variable: viaLocal.variable,
      locals: {
        ...viaLocal.locals,
        ...Object.fromEntries(literal.map((rule, index) => [`literal_${index}`, rule.data[0]!.model])),
        ...Object.fromEntries(localRules.map((rule, index) => [`via_local_${index}`, rule.data[0]!.model])),
      },
      output: Object.fromEntries(
        literal.flatMap((_rule, index) => [
          [`literal_${index}`, { value: `\${local.literal_${index}}` }],
          [`via_local_${index}`, { value: `\${local.via_local_${index}}` }],
        ]),
      ),
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "query-model-"));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, "empty.tfrc"), "");
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config, null, 2));
    runTerraform(dir, ["init", "-backend=false", "-input=false", "-no-color"]);
    runTerraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color"]);
    const outputs = JSON.parse(runTerraform(dir, ["output", "-json"])) as Record<string, { value: string }>;

    literal.forEach((rule, index) => {
      const viaJsonencode = outputs[`via_local_${index}`]!.value;
      expect(outputs[`literal_${index}`]!.value, rule.name).toBe(viaJsonencode);
      expect(JSON.parse(viaJsonencode)).toMatchObject({ refId: "A", datasource: { uid: DATASOURCE } });
    });
    // The escapes were exercised, not just plain ASCII.
    expect(outputs.literal_0!.value).toContain("\\u003e 2");
  });
});
