import { describe, expect, it } from "vitest";
import { cidrContains, mustParseCidr, parseCidr } from "../../../modules/network-policy/cidr";

describe("parseCidr |", () => {
  it("can accept IPv4 and IPv6 blocks", () => {
    expect(parseCidr("10.0.0.0/8")).toMatchObject({ ok: true, cidr: { version: 4, prefixLength: 8 } });
    expect(parseCidr("fd00::/8")).toMatchObject({ ok: true, cidr: { version: 6, prefixLength: 8 } });
    expect(parseCidr("::ffff:10.0.0.1/128")).toMatchObject({ ok: true, cidr: { version: 6 } });
  });

  it("can suggest /32 or /128 for a bare address", () => {
    expect(parseCidr("10.96.0.1")).toEqual({ ok: false, problem: 'it has no prefix length; did you mean "10.96.0.1/32"?' });
    expect(parseCidr("fd00::1")).toMatchObject({ ok: false, problem: expect.stringContaining('"fd00::1/128"') });
  });

  it("can suggest the network address when host bits are set", () => {
    expect(parseCidr("10.1.2.3/8")).toMatchObject({ ok: false, problem: expect.stringContaining('did you mean "10.0.0.0/8"') });
    expect(parseCidr("fd00::1/64")).toMatchObject({ ok: false, problem: expect.stringContaining('did you mean "fd00::/64"') });
  });

  it("can reject bad prefixes and addresses", () => {
    expect(parseCidr("10.0.0.0/33")).toMatchObject({ ok: false, problem: "the prefix length must be 0-32" });
    expect(parseCidr("300.0.0.0/8")).toMatchObject({ ok: false });
    expect(parseCidr("mirror.gcr.io")).toMatchObject({ ok: false });
  });

  it("can tell which block contains which", () => {
    expect(cidrContains(mustParseCidr("0.0.0.0/0"), mustParseCidr("10.0.0.0/8"))).toBe(true);
    expect(cidrContains(mustParseCidr("10.0.0.0/8"), mustParseCidr("10.20.0.0/16"))).toBe(true);
    expect(cidrContains(mustParseCidr("10.20.0.0/16"), mustParseCidr("10.0.0.0/8"))).toBe(false);
    expect(cidrContains(mustParseCidr("172.16.0.0/12"), mustParseCidr("172.32.0.0/16"))).toBe(false);
    expect(cidrContains(mustParseCidr("::/0"), mustParseCidr("10.0.0.0/8"))).toBe(false);
  });
});
