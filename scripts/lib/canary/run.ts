import { randomBytes } from "node:crypto";
import { decodeJwt, type CryptoKey } from "jose";
import type { Manifest } from "../../../infra/manifest/schema";
import type { PartnerOutputEntry } from "../../../infra/partnerFacts";
import type { Settings } from "../../../infra/settings/schema";
import { decodeToken, explainToken, UnreadableToken, verifySignature, type Check, type DecodedToken } from "../explain";
import { assumeRole, s3Client, s3Steps, type AwsEndpoints } from "./aws";
import { blobSteps, entraToken, outsideProbe, type AzureEndpoints, type BlobCall } from "./azure";
import type { HttpOptions } from "./http";
import { Secrets, type CanaryReport } from "./report";
import { DEFAULT_RETRY, RUN_RETRY_BUDGET_MS, type RetryPolicy } from "./retry";
import { importCanaryKey, requestSkyportenToken } from "./skyporten";
import { notRun, realSleep, runStep, StepError, type StepContext, type StepResult } from "./steps";
import type { CanaryTarget } from "./target";

/**
 * One canary run: every step in order, each timed; a failure stops the rest of its cloud (the other cloud still
 * runs, so one report shows both), a Skyporten failure stops everything. The report never holds a secret.
 */

export interface CanaryRunInput {
  target: CanaryTarget;
  settings: Settings;
  manifest: Manifest;
  manifestFile: string;
  outputs: Record<string, PartnerOutputEntry> | null;
  /** PKCS#8 PEM of the canary's Maskinporten client key. */
  privateKeyPem: string;
  /** Local stand-ins in tests; absent = the real endpoints from the target. */
  endpoints?: {
    skyportenToken?: string;
    discovery?: string;
    azure?: AzureEndpoints;
    aws?: AwsEndpoints;
  };
  http?: HttpOptions;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  onStep?: (step: StepResult, secrets: Secrets) => void;
}

/** Timeout of each request, ms. */
export const DEFAULT_TIMEOUT_MS = 20_000;
/** A token closer than this to its expiry is fetched again before use. */
const TOKEN_MARGIN_SECONDS = 30;

/**
 * The file the outside probes read. The canary never writes it: outside its grant the read must be refused before
 * existence matters. A fixed name, so tests can place one there to model a grant that is too wide.
 */
export const CANARY_PROBE_NAME = "skyporten-canary-probe.txt";

/** `skyporten-canary-20261202T070000Z-1a2b3c4d.txt`: unique, and within the gateway's file-name rules ([a-zA-Z0-9.-]). */
export function canaryFileName(now: Date, random: string): string {
  return `skyporten-canary-${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${random}.txt`;
}

/** The failed checks, each once: explain repeats the shared checks under every exchange. */
function failedChecks(checks: Check[]): Check[] {
  const byKey = new Map<string, Check>();
  for (const c of checks) if (!c.ok && !byKey.has(`${c.name}:${c.reason}`)) byKey.set(`${c.name}:${c.reason}`, c);
  return [...byKey.values()];
}

export async function runCanary(input: CanaryRunInput): Promise<CanaryReport> {
  const { target } = input;
  const now = input.now ?? (() => new Date());
  const http: HttpOptions = input.http ?? { timeoutMs: DEFAULT_TIMEOUT_MS };
  const secrets = new Secrets();
  secrets.add(input.privateKeyPem);
  const started = now();
  const retry = input.retry ?? DEFAULT_RETRY;
  const ctx: StepContext = {
    retry,
    // A bound for the whole run, not only per step: a 429 on every step must not outlast the workflow's timeout.
    deadline: started.getTime() + (retry.runBudgetMs ?? RUN_RETRY_BUDGET_MS),
    sleep: input.sleep ?? realSleep,
    now: () => now().getTime(),
    onStep: (r) => input.onStep?.(r, secrets),
  };
  const steps: StepResult[] = [];
  const notices = [...target.notices];
  const ep = input.endpoints ?? {};
  const stack = target.stack;
  const random = randomBytes(6).toString("hex");
  const name = canaryFileName(started, random);
  const content = Buffer.from(`Skyporten deploy canary, stack ${stack}, organization ${target.orgNumber}, ${started.toISOString()}, ${random}\n`);

  // --- Skyporten ------------------------------------------------------------------------------------------------
  const sky = target.skyporten;
  let token: string | undefined;
  let key: CryptoKey | undefined;
  const fetchToken = async (): Promise<string> => {
    key ??= await importCanaryKey(input.privateKeyPem);
    const t = await requestSkyportenToken(
      { ...sky, key, tokenEndpoint: ep.skyportenToken ?? sky.tokenEndpoint },
      http,
      now,
    );
    secrets.add(t);
    return t;
  };
  /** The current token while it has TOKEN_MARGIN_SECONDS left, else a new one. */
  const freshToken = async (): Promise<string> => {
    const exp = token === undefined ? 0 : (decodeJwt(token).exp ?? 0);
    if (token === undefined || exp - now().getTime() / 1000 < TOKEN_MARGIN_SECONDS) token = await fetchToken();
    return token;
  };

  steps.push(
    await runStep(ctx, "skyporten.token", "skyporten", `token from ${sky.tokenEndpoint} for client ${sky.clientId}`, async () => {
      token = await fetchToken();
      return `token from ${sky.tokenEndpoint} for client ${sky.clientId} (kid ${sky.keyId}), scope ${sky.scope}, resource ${sky.resource}`;
    }),
  );
  if (steps[0]!.status === "proven") {
    steps.push(
      await runStep(ctx, "skyporten.check", "skyporten", "the token checked with explain's checks", async () => {
        let decoded: DecodedToken;
        try {
          decoded = decodeToken(token!);
        } catch (e) {
          if (!(e instanceof UnreadableToken)) throw e;
          throw new StepError(`Skyporten's access token is unreadable: ${e.message}`, `check that ${sky.tokenEndpoint} is Skyporten's token endpoint`);
        }
        const signature = await verifySignature(decoded, {
          discoveryUrl: ep.discovery ?? sky.discoveryUrl,
          issuer: sky.issuer,
          timeoutMs: http.timeoutMs,
        });
        const e = explainToken({
          settings: input.settings,
          manifest: input.manifest,
          manifestFile: input.manifestFile,
          outputs: input.outputs,
          token: decoded,
          now: now(),
          expectedOrg: target.orgNumber,
          signature,
        });
        if (!e.ok) {
          const bad = failedChecks([...e.general, ...e.exchanges.flatMap((x) => x.checks)]);
          throw new StepError(
            `explain: ${bad.map((c) => `${c.name}: ${c.detail}`).join("; ")}`,
            bad.map((c) => c.fix).filter((f): f is string => f !== undefined).join("; ") || "see npm run explain",
          );
        }
        return `iss, sub, aud and expiry as this stack trusts them; ${signature.detail}`;
      }),
    );
  }
  const skyOk = steps.every((s) => s.status === "proven");

  // --- Azure ----------------------------------------------------------------------------------------------------
  const az = target.azure;
  const baseUrl = ep.azure?.baseUrl ?? az.baseUrl;
  const azureSteps: [string, string][] = [
    ["azure.token", `Entra ID token of client ${az.clientId} for ${az.tokenAudience}`],
    ["azure.write", `write ${az.container}/${az.path}/${name}`],
    ["azure.read", az.read === "allowed" ? "read it back byte-identical" : "reading it back refused (write-only grant)"],
    ["azure.list", az.read === "allowed" ? `list ${az.container}/${az.path}/` : "listing refused (write-only grant)"],
    ["azure.delete", "delete it"],
    ...az.outside.map((p): [string, string] => [`azure.outside-${p.kind}`, `read in ${p.where} (${p.why}) refused with 403`]),
  ];
  if (!skyOk) {
    for (const [s, about] of azureSteps) steps.push(notRun(s, "azure", about, "no Skyporten token"));
  } else {
    let call: BlobCall | undefined;
    let written = false;
    let deleted = false;
    const blob = () => blobSteps(call!, az, stack, name, content);
    const run: Record<string, () => Promise<string>> = {
      "azure.token": async () => {
        const t = await entraToken(az, freshToken, { stack, endpoints: ep.azure ?? {}, http });
        secrets.add(t);
        call = { baseUrl, token: t, http };
        return `Entra ID token of client ${az.clientId} in tenant ${az.tenantId} for ${az.tokenAudience}`;
      },
      "azure.write": async () => {
        const r = await blob().write();
        written = true;
        return r;
      },
      "azure.read": () => blob().read(),
      "azure.list": () => blob().list(),
      "azure.delete": async () => {
        const r = await blob().delete();
        deleted = true;
        return r;
      },
    };
    az.outside.forEach((p) => (run[`azure.outside-${p.kind}`] = () => outsideProbe(call!, az, p, stack, CANARY_PROBE_NAME)));
    await runChain(ctx, steps, "azure", azureSteps, run);
    if (written && !deleted && call !== undefined) {
      try {
        await blob().delete();
        notices.push(`cleanup: deleted ${az.container}/${az.path}/${name} after the failure`);
      } catch {
        notices.push(`cleanup: could not delete ${az.container}/${az.path}/${name}; the gateway removes files after 8 days, or delete it by hand`);
      }
    }
  }

  // --- AWS ------------------------------------------------------------------------------------------------------
  const aw = target.aws;
  if (aw !== null) {
    const key = `${aw.prefix}${name}`;
    const awsSteps: [string, string][] = [
      ["aws.assume-role", `sts:AssumeRoleWithWebIdentity for ${aw.roleArn}`],
      ["aws.put", `write s3://${aw.bucket}/${key}`],
      ["aws.get", aw.read === "allowed" ? "read it back byte-identical" : "reading it back refused (write-only grant)"],
      ["aws.list", aw.read === "allowed" ? `list s3://${aw.bucket}/${aw.prefix}` : "listing refused (write-only grant)"],
      ["aws.delete", aw.delete === "allowed" ? "delete it" : "delete refused (the role's policy grants no s3:DeleteObject)"],
      ...aw.outside.map((p): [string, string] => [`aws.outside-${p.kind}`, `read in s3://${p.where} (${p.why}) refused with AccessDenied`]),
    ];
    if (!skyOk) {
      for (const [s, about] of awsSteps) steps.push(notRun(s, "aws", about, "no Skyporten token"));
    } else {
      let s3: ReturnType<typeof s3Steps> | undefined;
      let client: ReturnType<typeof s3Client> | undefined;
      const run: Record<string, () => Promise<string>> = {
        "aws.assume-role": async () => {
          const creds = await assumeRole(aw, freshToken, {
            stack,
            endpoints: ep.aws ?? {},
            timeoutMs: http.timeoutMs,
            sessionName: `skyporten-canary-${random}`,
          });
          secrets.add(creds.secretAccessKey);
          secrets.add(creds.sessionToken);
          client = s3Client(aw, creds, ep.aws ?? {});
          s3 = s3Steps(client, aw, stack, key, content, http.timeoutMs);
          return `assumed ${aw.roleArn} with the Skyporten token`;
        },
        "aws.put": () => s3!.put(),
        "aws.get": () => s3!.get(),
        "aws.list": () => s3!.list(),
        "aws.delete": () => s3!.delete(),
      };
      aw.outside.forEach((p) => (run[`aws.outside-${p.kind}`] = () => s3!.outside(p, CANARY_PROBE_NAME)));
      try {
        await runChain(ctx, steps, "aws", awsSteps, run);
      } finally {
        client?.destroy();
      }
    }
  }

  const failedSteps = steps.filter((s) => s.status === "failed").map((s) => s.step);
  const report: CanaryReport = {
    stack,
    orgNumber: target.orgNumber,
    partnerName: target.partnerName,
    azureVia: `${az.via} ${baseUrl}`,
    startedAt: started.toISOString(),
    durationMs: now().getTime() - started.getTime(),
    ok: failedSteps.length === 0 && steps.every((s) => s.status === "proven"),
    failedSteps,
    steps,
    notices,
  };
  return secrets.redactReport(report);
}

/** Run a cloud's steps in order; after the first failure the rest are reported as not run. */
async function runChain(
  ctx: StepContext,
  steps: StepResult[],
  cloud: "azure" | "aws",
  plan: [string, string][],
  run: Record<string, () => Promise<string>>,
): Promise<void> {
  let failed: string | undefined;
  for (const [step, about] of plan) {
    if (failed !== undefined) {
      steps.push(notRun(step, cloud, about, `${failed} failed`));
      continue;
    }
    const r = await runStep(ctx, step, cloud, about, run[step]!);
    steps.push(r);
    if (r.status === "failed") failed = step;
  }
}
