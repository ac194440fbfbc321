import { Fn, Op, TerraformIterator, Token, type IResolvable } from "cdktf";
import { EXPORT_ONLY_KEYS } from "./prepare-dashboard";

/**
 * The plan-time twin of `prepareDashboard`, as a Terraform expression over the downloaded JSON
 * text: the dashboard is only known once `data "http"` has run, so the binding must happen in
 * Terraform, not in TypeScript.
 *
 *   jsonencode(merge(
 *     { for key, val in jsondecode(replace(<json>, "$${DS_PROMETHEUS}", <uid>)) : key => val if !contains([...], key) },
 *     { id = null }))
 *
 * The `${DS_PROMETHEUS}` search string must reach Terraform as `"$${DS_PROMETHEUS}"`: unescaped,
 * Terraform reads it as a template interpolation of an undeclared `DS_PROMETHEUS`. String
 * arguments of `Fn.*` are already escaped that way by CDKTF, so they are passed as plain text
 * here; escaping them again (terraformLiteral) would yield `$$${…}`, which Terraform reads as
 * `$${…}` and which then never matches. `test/unit/grafana-dashboard/terraform-escaping.test.ts`
 * runs this exact expression through the real terraform binary.
 */
export function bindDashboardExpression(dashboardJson: string, datasource: string, datasourceInputs: readonly string[]): string {
  // Inserted inside JSON strings, so the value is JSON-escaped (a name may contain `"` or `\`).
  // Fn.rawString is right here, unlike for literal JSON values: this `"` is an HCL string inside
  // an expression, where `\"` is the escape Terraform expects.
  const quote = Fn.rawString('"');
  const jsonSafeDatasource = Fn.trimsuffix(Fn.trimprefix(Fn.jsonencode(datasource), quote), quote);
  const replaced = datasourceInputs.reduce<string>((text, input) => Fn.replace(text, `\${${input}}`, jsonSafeDatasource), dashboardJson);
  const exportOnlyKeys = EXPORT_ONLY_KEYS.map((key) => `"${key}"`).join(", ");
  const withoutExportKeys = TerraformIterator.fromMap(Fn.jsondecode(replaced) as Record<string, unknown>).forExpressionForMap(
    "key",
    `val if !contains([${exportOnlyKeys}], key)`,
  );
  return Fn.jsonencode(Fn.merge([withoutExportKeys, { id: null }]));
}

/**
 * True when no `${DS_…}`/`${VAR_…}` placeholder is left: a guard for a pinned revision whose
 * inputs differ from the catalog (the plan fails with a message instead of importing a
 * dashboard whose panels say "datasource not found").
 */
export function fullyBoundCondition(boundJson: string): IResolvable {
  return Op.and(Op.not(Fn.strcontains(boundJson, "${DS_")), Op.not(Fn.strcontains(boundJson, "${VAR_")));
}

/** Terraform needs `condition` as an expression; tokens render as `${...}`. */
export function conditionString(condition: IResolvable): string {
  return Token.asString(condition);
}
