/** npm run schema: regenerate stacks/manifest.schema.json from the zod schema. */
import * as fs from "node:fs";
import { manifestJsonSchemaText } from "../infra/manifest/jsonSchema";
import { runMain } from "./lib/cli";

export const SCHEMA_FILE = "stacks/manifest.schema.json";

if (require.main === module) {
  runMain(() => {
    fs.writeFileSync(SCHEMA_FILE, manifestJsonSchemaText());
    process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
    return 0;
  });
}
