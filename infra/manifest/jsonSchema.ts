import { z } from "zod";
import { ManifestSchema } from "./schema";

/**
 * JSON Schema of the manifest (stacks/manifest.schema.json) for editor completion, generated from the zod
 * schema so the two cannot drift (a test fails when the checked-in file is stale). Fields whose zod form is
 * a transform (org number, review date) get their input shape here; the zod schema stays the authority.
 */
export function manifestJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ManifestSchema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  const partner = (schema as { properties: { partners: { items: { properties: Record<string, unknown> } } } })
    .properties.partners.items;
  partner.properties.orgNumber = {
    type: "string",
    pattern: "^[0-9]{9}$",
    description: "Norwegian organization number: a quoted string of 9 digits with a valid MOD11 check digit.",
  };
  partner.properties.reviewBy = {
    type: "string",
    format: "date",
    description:
      "Date by which the access must be reviewed (YYYY-MM-DD): a warning 30 days ahead, an error once past.",
  };
  return {
    ...schema,
    $id: "https://skyporten-onboarding/manifest.schema.json",
    title: "Skyporten onboarding manifest",
  };
}

export function manifestJsonSchemaText(): string {
  return `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
}
