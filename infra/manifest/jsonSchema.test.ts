import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { SCHEMA_FILE } from "../../scripts/schema";
import { manifestJsonSchema, manifestJsonSchemaText } from "./jsonSchema";

describe("stacks/manifest.schema.json", () => {
  it("is up to date with the zod schema (run `npm run schema` when this fails)", () => {
    expect(SCHEMA_FILE).toBe("stacks/manifest.schema.json");
    expect(fs.readFileSync(SCHEMA_FILE, "utf8")).toBe(manifestJsonSchemaText());
  });

  it.each(["stacks/test.yaml", "stacks/prod.yaml"])("%s points editors at it on its first line", (file) => {
    expect(fs.readFileSync(file, "utf8").split("\n")[0]).toBe(
      "# yaml-language-server: $schema=./manifest.schema.json",
    );
  });

  it("refuses unknown keys at every level, like the loader", () => {
    type Obj = { additionalProperties?: unknown; properties: Record<string, { items: Obj }> };
    const root = manifestJsonSchema() as unknown as Obj;
    const partner = root.properties.partners!.items;
    const levels = [
      root,
      root.properties.containers!.items,
      root.properties.buckets!.items,
      partner,
      partner.properties.azure!.items,
      partner.properties.aws!.items,
    ];
    expect(levels.map((l) => [Object.keys(l.properties), l.additionalProperties])).toEqual([
      [["containers", "buckets", "partners"], false],
      [["name", "adopt", "shared"], false],
      [["name", "adopt", "shared", "kmsKeyArn"], false],
      [["orgNumber", "name", "status", "contact", "reviewBy", "azure", "aws"], false],
      [["container", "access", "path"], false],
      [["bucket", "prefix", "access"], false],
    ]);
  });

  it("gives the input shape of the transformed fields", () => {
    const partner = (
      manifestJsonSchema() as {
        properties: { partners: { items: { properties: Record<string, unknown>; required: string[] } } };
      }
    ).properties.partners.items;
    expect(partner.properties.orgNumber).toEqual({
      type: "string",
      pattern: "^[0-9]{9}$",
      description:
        "Norwegian organization number: a quoted string of 9 digits with a valid MOD11 check digit.",
    });
    expect(partner.properties.reviewBy).toEqual({
      type: "string",
      format: "date",
      description:
        "Date by which the access must be reviewed (YYYY-MM-DD): a warning 30 days ahead, an error once past.",
    });
    expect(partner.required).toEqual(["orgNumber", "name"]);
    expect(partner.properties.status).toEqual({
      default: "active",
      type: "string",
      enum: ["active", "suspended", "offboarded"],
    });
  });
});
