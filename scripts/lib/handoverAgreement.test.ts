import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadManifestFile } from "../../infra/manifest/load";
import type { Manifest } from "../../infra/manifest/schema";
import {
  parseStackOutputs,
  partnerFacts,
  type PartnerFacts,
  type PartnerOutputEntry,
} from "../../infra/partnerFacts";
import { handover } from "../handover";
import { decodeToken, explainToken } from "./explain";
import { startLocalIssuer, type LocalIssuer } from "./explainTestIssuer";
import { runProgramOffline, type OfflineRunResult, type RecordedResource } from "./offlineRun";

/**
 * One source of truth: what `handover` tells a partner and what `explain` accepts must be exactly what the
 * program deploys. The real program (infra/index.ts) runs offline on the sample stack; its federated credentials,
 * IAM roles and stack outputs are compared with partnerFacts, and tokens built from the facts pass `explain`.
 */

let run: OfflineRunResult;
let manifest: Manifest;
let outputs: Record<string, PartnerOutputEntry>;
let issuer: LocalIssuer;
let dir: string;

beforeAll(async () => {
  run = await runProgramOffline({ stack: "test" });
  const loaded = loadManifestFile("stacks/test.yaml");
  if (!loaded.ok) throw new Error("stacks/test.yaml must be valid");
  manifest = loaded.manifest;
  // Exactly what `pulumi stack output --json` would print, read back the way --outputs reads it.
  outputs = parseStackOutputs(JSON.stringify(run.outputs), "outputs.json");
  issuer = await startLocalIssuer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "handover-agreement-"));
});
afterAll(async () => {
  await issuer.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const factsOf = () =>
  manifest.partners
    .filter((p) => p.status !== "offboarded")
    .map((p) => partnerFacts(run.settings, p, outputs[p.orgNumber]));
const ofType = (type: string): RecordedResource[] => run.resources.filter((r) => r.type === type);

describe("partner facts agree with the deployed program", () => {
  it("the program's stack outputs contradict no partner's facts, and give every Azure partner a client id", () => {
    const all = factsOf();
    expect(all.map((f) => f.orgNumber)).toEqual([
      "917422575",
      "910000012",
      "921345674",
      "934567811",
      "812345672",
    ]);
    expect(all.flatMap((f) => f.mismatches)).toEqual([]);
    for (const f of all.filter((x) => x.azure !== null))
      expect(f.azure!.clientId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("every federated identity credential is exactly the issuer, subject and audience the facts hand over", () => {
    const creds = ofType("azure-native:managedidentity:FederatedIdentityCredential");
    const enabled = factsOf().filter((f) => f.azure?.exchangeEnabled === true);
    expect(creds.map((c) => c.inputs.resourceName).sort()).toEqual(
      enabled.map((f) => f.azure!.identityName).sort(),
    );
    for (const f of enabled) {
      const cred = creds.find((c) => c.inputs.resourceName === f.azure!.identityName)!;
      expect(cred.inputs).toMatchObject({
        federatedIdentityCredentialResourceName: f.azure!.federatedCredentialName,
        issuer: f.issuer,
        subject: f.subject,
        audiences: [f.audience],
      });
    }
  });

  it("every IAM role has the ARN, provider and sub/aud conditions the facts hand over", () => {
    const roles = ofType("aws:iam/role:Role");
    const enabled = factsOf().filter((f) => f.aws?.exchangeEnabled === true);
    expect(
      roles
        .map((r) => `arn:aws:iam::000000000000:role${String(r.inputs.path)}${String(r.inputs.name)}`)
        .sort(),
    ).toEqual(enabled.map((f) => f.aws!.roleArn).sort());
    for (const f of enabled) {
      const role = roles.find((r) => r.inputs.name === f.aws!.roleName)!;
      const trust = JSON.parse(String(role.inputs.assumeRolePolicy)) as {
        Statement: {
          Principal: { Federated: string };
          Condition: { StringEquals: Record<string, string> };
        }[];
      };
      expect(trust.Statement[0]!.Principal.Federated).toBe(f.aws!.providerArn);
      expect(trust.Statement[0]!.Condition.StringEquals).toEqual({
        "test.sky.maskinporten.no:sub": f.subject,
        "test.sky.maskinporten.no:aud": f.audience,
      });
    }
  });

  it("a token built from each active partner's facts passes explain on every provisioned cloud", async () => {
    const active = factsOf().filter((f: PartnerFacts) => f.status === "active");
    for (const f of active) {
      const raw = await issuer.mint(f.orgNumber, {
        iss: f.issuer,
        sub: f.subject,
        aud: f.audience,
        scope: f.scope,
        consumer: { authority: "iso6523-actorid-upis", ID: f.consumerId },
      });
      const e = explainToken({
        settings: run.settings,
        manifest,
        manifestFile: "stacks/test.yaml",
        outputs,
        token: decodeToken(raw),
        now: new Date(),
      });
      expect([f.orgNumber, e.ok, e.exchanges.map((x) => x.cloud)]).toEqual([
        f.orgNumber,
        true,
        [...(f.azure ? ["azure"] : []), ...(f.aws ? ["aws"] : [])],
      ]);
    }
  });

  it("handover with the program's outputs prints the deployed client ids (exit 0)", async () => {
    const file = path.join(dir, "outputs.json");
    fs.writeFileSync(file, JSON.stringify(run.outputs));
    const printed: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await handover(["--stack", "test", "--outputs", file, "--org", "910000012"])).toBe(0);
    } finally {
      vi.restoreAllMocks();
    }
    expect(printed.join("")).toContain(
      `| Client id (log in with this) | \`${outputs["910000012"]!.azure!.clientId}\` |`,
    );
  });
});
