import { Fn, Token } from "cdktf";
import { isPlainObject } from "../common/plain-object";
import { terraformLiteral } from "../common/terraform-literal";
import { checkChartValuePaths } from "./chart-value-paths";
import { ValidationError, type ValidationProblem } from "../common/validation-error";

/**
 * Credentials of a private or authenticated vulnerability-DB registry (a mirror of
 * `aquasec/trivy-db` and `aquasec/trivy-java-db`). The chart writes them into Secret
 * `trivy-operator-trivy-config` under two pairs of keys, because two different readers use them:
 * - scan jobs: `trivy.dbRepositoryUsername` / `trivy.dbRepositoryPassword` (chart
 *   `templates/secrets/trivy.yaml`), mapped to `TRIVY_USERNAME`/`TRIVY_PASSWORD` of a
 *   `trivy registry login` init container (trivy-operator v0.32.0 `pkg/plugins/trivy/image.go`
 *   `GetPodSpecForStandaloneMode`/`initContainerEnvVar`); in ClientServer mode they still download
 *   the Java DB themselves with that login.
 * - the built-in Trivy server: `TRIVY_USERNAME`/`TRIVY_PASSWORD`, rendered from
 *   `trivy.serverUser` / `trivy.serverPassword` only (same template), read by `trivy server` at
 *   start-up; without them it pulls the DB anonymously, gets 401 and exits.
 */
export interface DbRepositoryCredentials {
  /** Registry user name; a literal or a token. */
  readonly username: string;
  /**
   * Registry password or token. Must be a token, e.g. the `stringValue` of a stack-level
   * `TerraformVariable({ sensitive: true })` set through `TF_VAR_…`: a literal would be written
   * into code and `cdk.tf.json`.
   */
  readonly password: string;
}

/** One `set` / `set_sensitive` entry of helm_release (helm provider 3.x). */
export interface HelmSetValue {
  readonly name: string;
  readonly value: string;
  readonly type: "string";
}

export const DB_REPOSITORY_USERNAME_PATH = "trivy.dbRepositoryUsername";
export const DB_REPOSITORY_PASSWORD_PATH = "trivy.dbRepositoryPassword";
/** What the built-in Trivy server's `TRIVY_USERNAME`/`TRIVY_PASSWORD` are rendered from (chart `templates/secrets/trivy.yaml`). */
export const SERVER_USER_PATH = "trivy.serverUser";
export const SERVER_PASSWORD_PATH = "trivy.serverPassword";

// Registry user names are printable and have no spaces (Docker Hub, Harbor robot accounts
// `robot$name`, ECR `AWS`, service-account JSON keys `_json_key`).
const REGISTRY_USERNAME = /^[\x21-\x7e]{1,256}$/;

/**
 * Every problem of `dbRepositoryCredentials` (empty when valid). The password must be an unresolved
 * token (a sensitive TerraformVariable's value); it is never echoed.
 */
export function dbRepositoryCredentialsProblems(credentials: unknown, field = "dbRepositoryCredentials"): ValidationProblem[] {
  if (credentials === undefined) return [];
  if (!isPlainObject(credentials)) {
    return [
      {
        path: field,
        value: Array.isArray(credentials) ? "(a list)" : `(a ${typeof credentials})`,
        expected: "use an object with username and password",
      },
    ];
  }
  const problems: ValidationProblem[] = [];
  const { username, password } = credentials;
  if (typeof username !== "string" || (!Token.isUnresolved(username) && !REGISTRY_USERNAME.test(username))) {
    problems.push({
      path: `${field}.username`,
      value: username,
      expected: "use a registry user name of 1-256 printable characters without spaces",
    });
  }
  if (typeof password !== "string" || !Token.isUnresolved(password)) {
    // The value is deliberately not echoed: it is a secret.
    const why =
      "pass the value of a sensitive TerraformVariable (set through TF_VAR_…) so the password never appears in code or cdk.tf.json";
    problems.push(
      typeof password === "string"
        ? { path: `${field}.password`, value: "(a literal string, not shown)", expected: why }
        : {
            path: `${field}.password`,
            value: password === null || password === undefined ? password : `(a ${typeof password}, not shown)`,
            expected: `required: ${why}`,
          },
    );
  }
  return problems;
}

/** Throws one ValidationError listing every problem of the credentials (see dbRepositoryCredentialsProblems). */
export function validateDbRepositoryCredentials(credentials: unknown, field = "dbRepositoryCredentials"): void {
  const problems = dbRepositoryCredentialsProblems(credentials, field);
  if (problems.length > 0) throw new ValidationError("trivy operator", problems);
}

/**
 * Escapes a value for Helm's `--set` parser, which the provider feeds `name=value` to: an
 * unescaped comma would start a new assignment and silently cut the password short.
 */
export function helmSetEscape(value: string): string {
  // Fn arguments land in the HCL expression unescaped, so each backslash is written twice for HCL.
  if (Token.isUnresolved(value)) return Fn.replace(Fn.replace(value, "\\\\", "\\\\\\\\"), ",", "\\\\,");
  return terraformLiteral(value.replace(/\\/g, "\\\\").replace(/,/g, "\\,"));
}

/**
 * The helm_release entries for `credentials`: user names as plain `set` (visible in plans),
 * passwords as `set_sensitive` so Terraform redacts them. With the built-in Trivy server the same
 * credentials also go to `trivy.serverUser`/`trivy.serverPassword`, the only values its DB
 * download reads. Every path is checked against the pinned chart like every other value.
 */
export function dbRepositoryCredentialSettings(
  credentials: DbRepositoryCredentials,
  chartVersion: string,
  { builtInTrivyServer = false }: { readonly builtInTrivyServer?: boolean } = {},
): { readonly set: readonly HelmSetValue[]; readonly setSensitive: readonly HelmSetValue[] } {
  validateDbRepositoryCredentials(credentials);
  // Placeholders, not the values: the check only needs the paths (the chart types them null/"" = any string).
  checkChartValuePaths(
    {
      trivy: {
        dbRepositoryUsername: "username",
        dbRepositoryPassword: "password",
        ...(builtInTrivyServer ? { serverUser: "username", serverPassword: "password" } : {}),
      },
    },
    chartVersion,
  );
  const username = helmSetEscape(credentials.username);
  const password = helmSetEscape(credentials.password);
  const userPaths = builtInTrivyServer ? [DB_REPOSITORY_USERNAME_PATH, SERVER_USER_PATH] : [DB_REPOSITORY_USERNAME_PATH];
  const passwordPaths = builtInTrivyServer ? [DB_REPOSITORY_PASSWORD_PATH, SERVER_PASSWORD_PATH] : [DB_REPOSITORY_PASSWORD_PATH];
  return {
    set: userPaths.map((name) => ({ name, value: username, type: "string" as const })),
    setSensitive: passwordPaths.map((name) => ({ name, value: password, type: "string" as const })),
  };
}
