import { TerraformVariable, Token } from "cdktf";
import { describe, expect, it } from "vitest";
import { dbRepositoryCredentialSettings, helmSetEscape } from "../../../modules/trivy-operator/db-credentials";
import { TrivyOperator, type TrivyOperatorProps } from "../../../modules/trivy-operator/trivy-operator";
import { buildTrivyOperatorValues } from "../../../modules/trivy-operator/values";
import { onlyResourceOfType, synthesize } from "../../helpers/synth";

// Stands in for a real password: it must never reach the synthesized JSON.
const SENTINEL = "SENTINEL-db-password-not-a-real-secret";
// An unresolved token, as a TerraformVariable's stringValue is, for checks that run before synth.
const PASSWORD_TOKEN = Token.asString({ resolve: () => "${var.p}" });

interface HelmSet {
  readonly name: string;
  readonly value: string;
  readonly type?: string;
}

function synthWithPasswordVariable(props: (password: string) => TrivyOperatorProps) {
  const { parsed, json } = synthesize((stack) => {
    const password = new TerraformVariable(stack, "trivy_db_password_eu_1", { type: "string", sensitive: true });
    new TrivyOperator(stack, "trivy-operator", props(password.stringValue));
  });
  return { release: onlyResourceOfType(parsed, "helm_release"), json, parsed };
}

describe("dbRepositoryCredentials", () => {
  it("can send the password through set_sensitive as a variable reference, never in values", () => {
    // GIVEN a private DB mirror whose password comes from a sensitive variable
    const { release, json } = synthWithPasswordVariable((password) => ({
      dbRegistry: "registry.example.com",
      dbRepository: "mirrors/trivy-db",
      dbRepositoryCredentials: { username: "trivy-puller", password },
    }));

    // THEN the password is a set_sensitive entry that references the variable
    const setSensitive = release.set_sensitive as HelmSet[];
    expect(setSensitive).toHaveLength(1);
    expect(setSensitive[0]).toMatchObject({ name: "trivy.dbRepositoryPassword", type: "string" });
    expect(setSensitive[0]!.value).toMatch(/^\$\{replace\(replace\(var\.trivy_db_password_eu_1,/);
    // AND the user name is a plain set entry, visible in plans
    expect(release.set).toEqual([{ name: "trivy.dbRepositoryUsername", value: "trivy-puller", type: "string" }]);
    // AND neither credential is in the values YAML
    expect((release.values as string[])[0]).not.toContain("dbRepositoryPassword");
    expect((release.values as string[])[0]).not.toContain("dbRepositoryUsername");
    expect(json).not.toContain(SENTINEL);
  });

  it("can reach the built-in Trivy server through trivy.serverUser/serverPassword as well as the scan jobs", () => {
    // Upstream fact (chart 0.34.0 templates/secrets/trivy.yaml): with operator.builtInTrivyServer the
    // server's TRIVY_USERNAME/TRIVY_PASSWORD are rendered from trivy.serverUser/serverPassword only;
    // trivy.dbRepositoryUsername/Password reach only scan jobs (trivy-operator v0.32.0
    // pkg/plugins/trivy/image.go initContainerEnvVar), which in ClientServer mode still log in for the Java DB.
    const { release, json } = synthWithPasswordVariable((password) => ({
      builtInTrivyServer: true,
      dbRegistry: "registry.example.com",
      dbRepositoryCredentials: { username: "trivy-puller", password },
    }));
    expect(release.set).toEqual([
      { name: "trivy.dbRepositoryUsername", value: "trivy-puller", type: "string" },
      { name: "trivy.serverUser", value: "trivy-puller", type: "string" },
    ]);
    const setSensitive = release.set_sensitive as HelmSet[];
    expect(setSensitive.map((entry) => entry.name)).toEqual(["trivy.dbRepositoryPassword", "trivy.serverPassword"]);
    for (const entry of setSensitive) expect(entry.value).toMatch(/^\$\{replace\(replace\(var\.trivy_db_password_eu_1,/);
    expect((release.values as string[])[0]).not.toContain("serverPassword");
    expect(json).not.toContain(SENTINEL);
  });

  it("can roll the built-in server when the password's variable changes, hashing its reference and never its value", () => {
    const hashWith = (variableName: string): string | undefined => {
      let hash: string | undefined;
      synthesize((stack) => {
        const password = new TerraformVariable(stack, variableName, { type: "string", sensitive: true });
        hash = new TrivyOperator(stack, "trivy-operator", {
          builtInTrivyServer: true,
          dbRepositoryCredentials: { username: "u", password: password.stringValue },
        }).serverConfigHash;
      });
      return hash;
    };
    expect(hashWith("trivy_db_password_eu_1")).toMatch(/^[0-9a-f]{64}$/);
    // Stable across synths (token placeholders would not be), different for another variable.
    expect(hashWith("trivy_db_password_eu_1")).toBe(hashWith("trivy_db_password_eu_1"));
    expect(hashWith("trivy_db_password_eu_2")).not.toBe(hashWith("trivy_db_password_eu_1"));
  });

  it("can leave trivy.serverUser/serverPassword out in Standalone mode, where no server reads them", () => {
    const { release } = synthWithPasswordVariable((password) => ({ dbRepositoryCredentials: { username: "trivy-puller", password } }));
    expect((release.set as HelmSet[]).map((entry) => entry.name)).toEqual(["trivy.dbRepositoryUsername"]);
    expect((release.set_sensitive as HelmSet[]).map((entry) => entry.name)).toEqual(["trivy.dbRepositoryPassword"]);
  });

  it("fails when extraValues also names the server user the credentials set", () => {
    expect(() =>
      synthWithPasswordVariable((password) => ({
        builtInTrivyServer: true,
        dbRepositoryCredentials: { username: "u", password },
        extraValues: { trivy: { serverUser: "other" } },
      })),
    ).toThrow(
      'extraValues.trivy.serverUser "other" is invalid: must not be set together with dbRepositoryCredentials and builtInTrivyServer: the module sends dbRepositoryCredentials.username there',
    );
  });

  it("can send dbRepositoryInsecure to the built-in server's own switch, operator.builtInServerRegistryInsecure", () => {
    // Upstream fact (chart 0.34.0 templates/configmaps/trivy.yaml): the server's TRIVY_INSECURE is
    // rendered from operator.builtInServerRegistryInsecure, never from trivy.dbRepositoryInsecure.
    const values = buildTrivyOperatorValues({ builtInTrivyServer: true, dbRepositoryInsecure: true });
    expect((values.operator as Record<string, unknown>).builtInServerRegistryInsecure).toBe(true);
    expect(
      (buildTrivyOperatorValues({ dbRepositoryInsecure: true }).operator as Record<string, unknown>).builtInServerRegistryInsecure,
    ).toBeUndefined();
  });

  it("can leave set and set_sensitive out without credentials", () => {
    const { release } = synthWithPasswordVariable(() => ({}));
    expect(release.set).toBeUndefined();
    expect(release.set_sensitive).toBeUndefined();
  });

  it("fails when the password is a literal, without echoing it", () => {
    let message = "";
    try {
      synthesize(
        (stack) =>
          new TrivyOperator(stack, "trivy-operator", { dbRepositoryCredentials: { username: "trivy-puller", password: SENTINEL } }),
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('dbRepositoryCredentials.password "(a literal string, not shown)" is invalid');
    expect(message).toContain("TF_VAR_");
    expect(message).not.toContain(SENTINEL);
  });

  it.each<[string, unknown, string]>([
    [
      "an empty user name",
      { username: "", password: PASSWORD_TOKEN },
      'dbRepositoryCredentials.username "" is invalid: use a registry user name of 1-256 printable characters without spaces',
    ],
    [
      "a user name with a space",
      { username: "trivy puller", password: PASSWORD_TOKEN },
      'dbRepositoryCredentials.username "trivy puller" is invalid',
    ],
    [
      "a missing password",
      { username: "trivy-puller" },
      "dbRepositoryCredentials.password undefined is invalid: required: pass the value of a sensitive TerraformVariable (set through TF_VAR_…) so the password never appears in code or cdk.tf.json",
    ],
    ["a list", [], 'dbRepositoryCredentials "(a list)" is invalid: use an object with username and password'],
  ])("fails when given %s", (_name, credentials, message) => {
    expect(() =>
      synthesize(
        (stack) =>
          new TrivyOperator(stack, "trivy-operator", {
            dbRepositoryCredentials: credentials as TrivyOperatorProps["dbRepositoryCredentials"],
          }),
      ),
    ).toThrow(message);
  });

  it("fails when the chart's Secret is switched off, which would drop the credentials", () => {
    expect(() =>
      synthWithPasswordVariable((password) => ({
        dbRepositoryCredentials: { username: "u", password },
        extraValues: { trivy: { existingSecret: true } },
      })),
    ).toThrow(
      "extraValues.trivy.existingSecret true is invalid: must not be set with dbRepositoryCredentials, which needs the chart's own Secret",
    );
  });

  it.each([
    ["trivy.dbRepositoryPassword", { trivy: { dbRepositoryPassword: SENTINEL } }, "use dbRepositoryCredentials"],
    ["trivy.githubToken", { trivy: { githubToken: SENTINEL } }, "trivy.existingSecret: true"],
    ["policiesBundle.registryPassword", { policiesBundle: { registryPassword: SENTINEL } }, "policiesBundle.existingSecret: true"],
    // chart 0.34.0 templates/secrets/trivy.yaml renders TRIVY_PASSWORD of the built-in server from it.
    ["trivy.serverPassword", { trivy: { serverPassword: SENTINEL } }, "use dbRepositoryCredentials"],
    ["trivy.serverCustomHeaders", { trivy: { serverCustomHeaders: `Authorization=${SENTINEL}` } }, "trivy.existingSecret: true"],
    // templates/configmaps/trivy-operator-config.yaml: these land in a ConfigMap.
    [
      "operator.webhookBroadcastURL",
      { operator: { webhookBroadcastURL: `https://hooks.example.com/${SENTINEL}` } },
      "operator.valuesFromSecret",
    ],
    [
      "operator.webhookBroadcastCustomHeaders",
      { operator: { webhookBroadcastCustomHeaders: `Authorization:${SENTINEL}` } },
      "OPERATOR_WEBHOOK_BROADCAST_CUSTOM_HEADERS",
    ],
  ])("fails when extraValues carries the secret %s, without echoing it", (path, extraValues, instead) => {
    let message = "";
    try {
      buildTrivyOperatorValues({ extraValues });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      `extraValues.${path} "(a secret, not shown)" is invalid: must not be set: the secret would be written into cdk.tf.json`,
    );
    expect(message).toContain(instead);
    expect(message).not.toContain(SENTINEL);
  });
});

describe("proxy URLs in extraValues", () => {
  it.each(["trivy.httpProxy", "trivy.httpsProxy", "operator.httpProxy", "operator.httpsProxy"])(
    "fails when %s carries user:password@, without echoing it",
    (path) => {
      const [top, key] = path.split(".") as [string, string];
      const extraValues = { [top]: { [key]: `http://proxy-user:${SENTINEL}@proxy.example.com:3128` } };
      let message = "";
      try {
        buildTrivyOperatorValues({ extraValues });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain(`extraValues.${path} "(a URL with credentials, not shown)" is invalid: must not carry user:password@`);
      expect(message).not.toContain(SENTINEL);
    },
  );

  it("can take a proxy URL without credentials", () => {
    const values = buildTrivyOperatorValues({ extraValues: { trivy: { httpsProxy: "http://proxy.example.com:3128" } } });
    expect((values.trivy as Record<string, unknown>).httpsProxy).toBe("http://proxy.example.com:3128");
  });
});

describe("helmSetEscape", () => {
  it("can escape commas and backslashes that Helm's --set parser would split on", () => {
    expect(helmSetEscape("a,b\\c")).toBe("a\\,b\\\\c");
  });

  it("can keep ${ in a literal user name from becoming Terraform interpolation", () => {
    expect(helmSetEscape("robot${x}")).toBe("robot$${x}");
  });

  it("can escape a token inside Terraform, with backslashes doubled for HCL", () => {
    const { parsed } = synthesize((stack) => {
      const variable = new TerraformVariable(stack, "p", { type: "string", sensitive: true });
      new TerraformVariable(stack, "escaped", { type: "string", default: helmSetEscape(variable.stringValue) });
    });
    // Decoded from JSON: replace(replace(var.p, "\\", "\\\\"), ",", "\\,") — one backslash doubled, comma escaped.
    expect(parsed.variable?.escaped?.default).toBe('${replace(replace(var.p, "\\\\", "\\\\\\\\"), ",", "\\\\,")}');
  });
});

describe("dbRepositoryCredentialSettings", () => {
  it("fails when the pinned chart has no such value paths", () => {
    expect(() => dbRepositoryCredentialSettings({ username: "u", password: PASSWORD_TOKEN }, "0.99.0")).toThrow(
      "chartVersion must be one of 0.34.0",
    );
  });
});
