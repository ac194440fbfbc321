/**
 * Makes a string arrive in Terraform exactly as written.
 *
 * Terraform treats every string in `cdk.tf.json` as a template: `${...}` interpolates and `%{...}`
 * is a directive. Dashboard JSON (`${DS_PROMETHEUS}`, `${__interval}`) and alert templates are full
 * of both. Escaping them as `$${` and `%%{` is the only form Terraform reads back verbatim;
 * `Fn.rawString` also backslash-escapes quotes, which Terraform's JSON syntax then keeps as
 * literal backslashes and so corrupts embedded JSON.
 */
export function terraformLiteral(text: string): string {
  // Replacer functions, because "$$" in a replacement string means a single "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}
