import * as path from "node:path";
import { v5 as uuidv5 } from "uuid";
import { ROLE_DEFINITION_IDS } from "../azure/model";
import { loadManifestFile } from "../manifest/load";
import type { Manifest } from "../manifest/schema";
import { stackSettings, type Settings } from "../settings";
import { expectedState, type Expectation } from "./expected";
import type { AccessState } from "./observed";

/** Test support: the sample stacks' expectations, and "deployed" copies of them with other ids. */

const ROOT = path.resolve(__dirname, "..", "..");
/** Far in the past: review dates are the audit's notices, never a reason to refuse the manifest. */
export const NO_REVIEW_CUTOFF = new Date(Date.UTC(1970, 0, 1));

export function sampleStack(stack: "test" | "prod"): { settings: Settings; manifest: Manifest } {
  const settings = stackSettings(stack, ROOT);
  const loaded = loadManifestFile(path.join(ROOT, "stacks", `${stack}.yaml`), { today: NO_REVIEW_CUTOFF });
  if (!loaded.ok)
    throw new Error(`sample manifest ${stack} is invalid: ${loaded.errors.map((e) => e.message).join("; ")}`);
  return { settings, manifest: loaded.manifest };
}

export function sampleExpectation(stack: "test" | "prod", platformPrincipals: string[] = []): Expectation {
  const { settings, manifest } = sampleStack(stack);
  return expectedState(stack, settings, manifest, undefined, platformPrincipals);
}

const DEPLOYED_NAMESPACE = "0c1e6a52-7f0b-4f55-9d3c-2a8e6b4f1d77";

/** The id the "cloud" gave an object whose expected (placeholder) id is `placeholder`. */
export function deployedId(placeholder: string): string {
  return uuidv5(placeholder.toLowerCase(), DEPLOYED_NAMESPACE);
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** GUIDs that are not assigned at deployment: the sample stacks' (zero) tenant and subscription, built-in roles. */
const KEPT = new Set(["00000000-0000-0000-0000-000000000000", ...Object.values(ROLE_DEFINITION_IDS)]);

/**
 * The expected document as a cloud would hold it: every id the deployment assigns replaced by another GUID
 * (subscription and tenant ids, which come from settings, are kept), as a deep copy to plant changes into.
 */
export function deployed(expectation: Expectation): AccessState {
  const text = JSON.stringify(expectation.state).replace(GUID, (g) => (KEPT.has(g) ? g : deployedId(g)));
  return JSON.parse(text) as AccessState;
}
