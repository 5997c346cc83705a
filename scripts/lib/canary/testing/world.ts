import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { stringify } from "yaml";
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SCOPE } from "../../explainTestIssuer";
import { startAwsStandIn, type AwsStandIn } from "./awsStandIn";
import {
  AZURITE_ACCOUNT,
  makeCertificate,
  startAzurite,
  type Azurite,
  type TestCertificate,
} from "./azurite";
import { startEntraStandIn, type EntraStandIn } from "./entraStandIn";
import { startGatewayStandIn, type GatewayStandIn } from "./gatewayStandIn";
import { startSkyportenStandIn, type SkyportenStandIn } from "./skyportenStandIn";

/**
 * Everything the canary's end-to-end tests run against, on 127.0.0.1 only: the Skyporten token endpoint (in front
 * of the explain tests' issuer), Entra ID, Azurite behind the gateway stand-in, STS and S3; plus a stack file,
 * manifest and outputs describing one deployed canary organization and a neighbour. `deployed()` puts every
 * stand-in back in the state those files describe; a test then breaks one thing.
 */

export const CANARY_ORG = "991825827";
export const NEIGHBOUR_ORG = "910000012";
export const TENANT = "11111111-2222-4333-8444-555555555555";
export const CLIENT_ID = "c4a7c1e0-0000-4000-8000-00000000ca7a"; // the canary's Maskinporten client
export const KEY_ID = "canary-key-1";
export const AZ_CLIENT = "a2c4e6f8-1111-4222-8333-444455556666"; // the canary identity's client id (stack outputs)
export const AZ_OID = "0b1d2f3a-5555-4666-8777-888899990000";
export const ROLE_ARN = "arn:aws:iam::123456789012:role/skyporten/skyporten-test-991825827";
export const ACCOUNT_AUDIENCE = `https://${AZURITE_ACCOUNT}.blob.core.windows.net`;
export const SUBJECT = `0192:${CANARY_ORG};${TEST_SCOPE}`;

export interface CanaryWorld {
  cert: TestCertificate;
  azurite: Azurite;
  sky: SkyportenStandIn;
  entra: EntraStandIn;
  gateway: GatewayStandIn;
  aws: AwsStandIn;
  dir: string;
  privateKeyPem: string;
  /** Stack files with and without the gateway, the manifest and the outputs. */
  gatewayStack: string;
  directStack: string;
  manifestFile: string;
  outputsFile: string;
  stackFile: (name: string, withGateway: boolean, extra?: Record<string, unknown>) => string;
  /** A token Azurite accepts, for setting up and inspecting containers behind the canary's back. */
  adminToken: () => Promise<string>;
  azuriteRequest: (method: string, pathAndQuery: string, token: string, body?: string) => Promise<{ status: number; body: string }>;
  /** Every stand-in back to the deployed state the files describe. */
  deployed: () => void;
  close: () => Promise<void>;
}

export async function startCanaryWorld(): Promise<CanaryWorld> {
  /** A token Azurite accepts (OAuth basic checks issuer prefix, audience and lifetime), for setting up containers. */
  async function adminToken(): Promise<string> {
    const { privateKey } = await generateKeyPair("RS256");
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: "RS256" })
      .setIssuer(`https://sts.windows.net/${TENANT}/`)
      .setAudience(ACCOUNT_AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
  }

  function azuriteRequest(
    method: string,
    pathAndQuery: string,
    token: string,
    body?: string,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        `${azurite.origin}/${AZURITE_ACCOUNT}/${pathAndQuery}`,
        {
          method,
          ca: cert.cert,
          headers: {
            authorization: `Bearer ${token}`,
            "x-ms-version": "2025-01-05",
            ...(body === undefined
              ? {}
              : { "x-ms-blob-type": "BlockBlob", "content-length": String(Buffer.byteLength(body)) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  function stackFile(name: string, withGateway: boolean, extra: Record<string, unknown> = {}): string {
    const file = path.join(dir, name);
    const config: Record<string, unknown> = {
      "skyporten-onboarding:environment": "test",
      "skyporten-onboarding:issuer": TEST_ISSUER,
      "skyporten-onboarding:scope": TEST_SCOPE,
      "skyporten-onboarding:audience": TEST_AUDIENCE,
      "skyporten-onboarding:azure": {
        tenantId: TENANT,
        subscriptionId: "99999999-8888-4777-8666-555555555555",
        resourceGroupName: "rg-canary",
        storageAccountName: AZURITE_ACCOUNT,
        ...(withGateway ? { gateway: { url: gateway.url } } : {}),
      },
      "skyporten-onboarding:aws": { region: "eu-north-1", accountId: "123456789012" },
      "skyporten-onboarding:canary": { orgNumber: CANARY_ORG, clientId: CLIENT_ID, keyId: KEY_ID },
      ...extra,
    };
    fs.writeFileSync(file, stringify({ config }));
    return file;
  }

  /** Every stand-in back to the deployed state the stack files describe. */
  function deployed(): void {
    sky.overrides = {};
    sky.script = [];
    sky.hang = false;
    entra.identities = [
      {
        clientId: AZ_CLIENT,
        principalId: AZ_OID,
        issuer: TEST_ISSUER,
        subject: SUBJECT,
        audience: TEST_AUDIENCE,
        jwksUrl: `${sky.issuer.base}/jwk`,
      },
    ];
    entra.replicationDelays = 0;
    entra.clockOffsetSeconds = 0;
    entra.script = [];
    entra.hang = false;
    gateway.routes = { [ACCOUNT_AUDIENCE]: `${azurite.origin}/${AZURITE_ACCOUNT}` };
    gateway.grants = {
      [AZ_OID]: [{ container: "outbound", path: "skyporten-canary", access: "read-write" }],
    };
    gateway.mode = "enforce";
    gateway.script = [];
    gateway.hang = false;
    gateway.log = [];
    aws.roles = [
      {
        arn: ROLE_ARN,
        issuer: TEST_ISSUER,
        clientIds: [TEST_AUDIENCE],
        jwksUrl: `${sky.issuer.base}/jwk`,
        subject: SUBJECT,
        audience: TEST_AUDIENCE,
        grants: [{ bucket: "canary-bucket", prefix: "skyporten-canary/", access: "read-write" }],
      },
    ];
    aws.s3Mode = "enforce";
    aws.stsScript = [];
    aws.s3Script = [];
    aws.stsHang = false;
  }

  const created = async (answer: Promise<{ status: number; body: string }>) => {
    const { status, body } = await answer;
    if (status !== 201) throw new Error(`Azurite set-up failed: HTTP ${status} ${body}`);
  };
  const cert = makeCertificate();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "canary-test-"));
  const keys = await generateKeyPair("RS256", { extractable: true });
  const privateKeyPem = await exportPKCS8(keys.privateKey);
  const [azurite, sky, aws] = await Promise.all([
    startAzurite(cert),
    startSkyportenStandIn([
      {
        clientId: CLIENT_ID,
        kid: KEY_ID,
        publicKeyPem: await exportSPKI(keys.publicKey),
        orgNumber: CANARY_ORG,
      },
    ]),
    startAwsStandIn("eu-north-1"),
  ]);
  const entra = await startEntraStandIn(cert, TENANT, []);
  const gateway = await startGatewayStandIn(cert, entra.jwks);

  const token = await adminToken();
  for (const c of ["outbound", "inbound"])
    await created(azuriteRequest("PUT", `${c}?restype=container`, token));
  await created(azuriteRequest("PUT", "outbound/nordlys/existing.txt", token, "the neighbour's file"));

  const manifestFile = path.join(dir, "manifest.yaml");
  fs.writeFileSync(
    manifestFile,
    stringify({
      containers: [{ name: "outbound" }, { name: "inbound" }],
      buckets: [{ name: "canary-bucket" }, { name: "other-bucket" }],
      partners: [
        {
          orgNumber: CANARY_ORG,
          name: "The platform itself (canary)",
          azure: [{ container: "outbound", path: "skyporten-canary", access: "read-write" }],
          aws: [{ bucket: "canary-bucket", prefix: "skyporten-canary/", access: "read-write" }],
        },
        {
          orgNumber: NEIGHBOUR_ORG,
          name: "Nordlys Logistikk AS",
          azure: [{ container: "outbound", path: "nordlys", access: "read" }],
          aws: [{ bucket: "canary-bucket", prefix: "nordlys/", access: "read" }],
        },
      ],
    }),
  );
  const outputsFile = path.join(dir, "outputs.json");
  fs.writeFileSync(
    outputsFile,
    JSON.stringify({
      partners: {
        [CANARY_ORG]: {
          status: "active",
          azure: { clientId: AZ_CLIENT, principalId: AZ_OID, tenantId: TENANT },
          aws: {
            roleArn: ROLE_ARN,
            providerArn: "arn:aws:iam::123456789012:oidc-provider/test.sky.maskinporten.no",
            region: "eu-north-1",
            grants: [{ bucket: "canary-bucket", prefix: "skyporten-canary/", access: "read-write" }],
          },
        },
      },
    }),
  );
  const gatewayStack = stackFile("Pulumi.gateway.yaml", true);
  const directStack = stackFile("Pulumi.direct.yaml", false);
  return {
    cert,
    azurite,
    sky,
    entra,
    gateway,
    aws,
    dir,
    privateKeyPem,
    gatewayStack,
    directStack,
    manifestFile,
    outputsFile,
    stackFile,
    adminToken,
    azuriteRequest,
    deployed,
    close: async () => {
      await Promise.all([azurite.stop(), sky.close(), entra.close(), gateway.close(), aws.close()]);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(cert.dir, { recursive: true, force: true });
    },
  };
}
