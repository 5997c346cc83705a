import { describe, expect, it } from "vitest";
import { ManifestSchema, type Manifest } from "../../../infra/manifest/schema";
import { canaryGrants } from "./grants";

const CANARY = { orgNumber: "991825827", clientId: "canary-client", keyId: "kid-1" };

/** A manifest parsed by the real schema (cross-entry rules are not the point here). */
const manifest = (partners: unknown[]): Manifest =>
  ManifestSchema.parse({ containers: [{ name: "outbound" }], buckets: [{ name: "bkt" }], partners });

describe("canaryGrants: which grants the canary exercises, or what is missing", () => {
  const path = { container: "outbound", path: "canary", access: "read-write" };
  const prefix = { bucket: "bkt", prefix: "canary/", access: "read-write" };

  it("an active partner with a writable path grant and, with AWS on, a writable prefix; read-write preferred", () => {
    const m = manifest([
      {
        orgNumber: "991825827",
        name: "Platform",
        azure: [
          { container: "outbound", access: "read-write" },
          { ...path, access: "write", path: "drop" },
          path,
        ],
        aws: [{ ...prefix, access: "write", prefix: "drop/" }, prefix],
      },
    ]);
    const r = canaryGrants(CANARY, m, "stacks/test.yaml", true);
    expect(r.ok && r.grants.azure).toEqual(path);
    expect(r.ok && r.grants.aws).toEqual(prefix);
    expect(canaryGrants(CANARY, m, "stacks/test.yaml", false)).toMatchObject({
      ok: true,
      grants: { aws: null },
    });
  });

  it.each([
    [
      [],
      'canary.orgNumber 991825827 is not a partner in stacks/test.yaml: add a partner entry with orgNumber: "991825827" to stacks/test.yaml (reviewed in a pull request like any partner), then pulumi up',
    ],
    [
      [{ orgNumber: "991825827", name: "P", status: "suspended", azure: [path], aws: [prefix] }],
      "the canary organization 991825827 is suspended in stacks/test.yaml: set status: active, then pulumi up",
    ],
  ])("refuses an organization that is no active partner", (partners, message) => {
    expect(canaryGrants(CANARY, manifest(partners), "stacks/test.yaml", true)).toEqual({
      ok: false,
      problems: [message],
    });
  });

  it("names every missing grant at once", () => {
    const r = canaryGrants(
      CANARY,
      manifest([
        { orgNumber: "991825827", name: "P", azure: [{ container: "outbound", access: "read-write" }] },
      ]),
      "stacks/test.yaml",
      true,
    );
    expect(r).toEqual({
      ok: false,
      problems: [
        'the canary organization 991825827 has no Azure path grant in stacks/test.yaml: add one, e.g. "- container: <container>, path: skyporten-canary, access: read-write"',
        'the canary organization 991825827 has no AWS prefix in stacks/test.yaml and this stack\'s AWS variant is on: add one, e.g. "- bucket: <bucket>, prefix: skyporten-canary/, access: read-write"',
      ],
    });
    const readOnly = canaryGrants(
      CANARY,
      manifest([
        {
          orgNumber: "991825827",
          name: "P",
          azure: [{ ...path, access: "read" }],
          aws: [{ ...prefix, access: "read" }],
        },
      ]),
      "m.yaml",
      true,
    );
    expect(readOnly).toEqual({
      ok: false,
      problems: [
        "the canary organization 991825827 has only read access on its Azure paths in m.yaml: the canary writes a file, give one path access: read-write",
        "the canary organization 991825827 has only read access on its AWS prefixes in m.yaml: the canary writes an object, give one prefix access: read-write",
      ],
    });
  });
});
