import { describe, expect, it } from "vitest";
import { excludeImagesDepthWarnings, filepathMatch, malformedGlobProblem } from "../../../modules/trivy-operator/image-glob";

/**
 * Upstream fact: trivy-operator v0.32.0 pkg/plugins/trivy/plugin.go ExcludeImage skips a container
 * when Go's filepath.Match(pattern, c.Image) is true, and ignores a pattern that returns
 * ErrBadPattern. The expectations below are Go's documented filepath.Match rules on Linux: `*` and
 * `?` never match `/`, `[...]`/`[^...]` classes, `\` escapes, whole-string match.
 */
describe("filepathMatch (Go filepath.Match rules)", () => {
  it.each<[string, string, boolean]>([
    ["mcr.microsoft.com/windows/*", "mcr.microsoft.com/windows/nanoserver:ltsc2022", true],
    // The prod example's miss: `*` does not cross `/`.
    ["mcr.microsoft.com/windows/*", "mcr.microsoft.com/windows/servercore/iis:latest", false],
    ["mcr.microsoft.com/windows/*/*", "mcr.microsoft.com/windows/servercore/iis:latest", true],
    ["mcr.microsoft.com/oss/calico/windows-*", "mcr.microsoft.com/oss/calico/windows-upgrade:v3.26.1", true],
    ["docker.io/*/nginx*", "docker.io/library/nginx:1.25", true],
    // The image is matched as written: no registry or library/ is added.
    ["docker.io/library/nginx*", "nginx:1.25", false],
    ["*", "nginx:1.25", true],
    ["*", "library/nginx:1.25", false],
    ["a*b*c*d", "axxbyyczzd", true],
    ["a*b*c*d", "axxbyyczz/d", false],
    ["*x", "xxx", true],
    ["registry:5000/app?", "registry:5000/app1", true],
    ["registry:5000/app?", "registry:5000/app/", false],
    ["ghcr.io/[a-c]*/tool", "ghcr.io/bob/tool", true],
    ["ghcr.io/[^a-c]*/tool", "ghcr.io/bob/tool", false],
    ["ghcr.io/[^a-c]*/tool", "ghcr.io/dave/tool", true],
    ["a[/]b", "a/b", true],
    ["a\\*b", "a*b", true],
    ["a\\*b", "axb", false],
    ["[\\]a]", "]", true],
    ["[x\\-]", "-", true],
    ["[x\\-]", "z", false],
    ["a?b", "a☺b", true],
    ["nginx:1.2?", "nginx:1.25", true],
    ["nginx:1.2?", "nginx:1.2", false],
  ])("can match %s against %s like Go (%s)", (pattern, name, expected) => {
    expect(filepathMatch(pattern, name)).toBe(expected);
  });

  it.each(["[", "a[", "[^", "[^bc", "[]a]", "[-]", "[x-]", "[-x]", "[a-b-c]", "\\", "a/b["])(
    "can tell that %s is malformed, which the operator would silently ignore",
    (pattern) => {
      expect(malformedGlobProblem(pattern)).toBeDefined();
      // Even when the name already fails to match before the malformed part, as in Go.
      expect(() => filepathMatch(pattern, "zzz")).toThrow();
    },
  );

  it("can accept well-formed patterns", () => {
    expect(malformedGlobProblem("mcr.microsoft.com/windows/*/*")).toBeUndefined();
  });
});

describe("excludeImagesDepthWarnings", () => {
  it("can warn that a trailing /* stops at one level, naming an image it misses and the fix", () => {
    expect(excludeImagesDepthWarnings(["mcr.microsoft.com/windows/*"])).toEqual([
      'excludeImages[0] "mcr.microsoft.com/windows/*" does not match "mcr.microsoft.com/windows/example/nested": the operator uses Go\'s filepath.Match, where "*" never crosses "/" (trivy-operator plugin.go ExcludeImage); add "mcr.microsoft.com/windows/*/*" for each deeper level you mean to exclude',
    ]);
  });

  it("can warn about a * followed by / in the middle", () => {
    expect(excludeImagesDepthWarnings(["registry.example.com/*/app:*"])[0]).toContain(
      'does not match "registry.example.com/example/nested/app:x"',
    );
  });

  it("can stay quiet when the list covers the deeper level, or no segment is a bare *", () => {
    expect(
      excludeImagesDepthWarnings([
        "mcr.microsoft.com/windows/*",
        "mcr.microsoft.com/windows/*/*",
        "mcr.microsoft.com/oss/calico/windows-*",
      ]),
    ).toEqual([]);
  });
});
