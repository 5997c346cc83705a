import { spawn, type ChildProcess } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct, type JavaScriptValue } from "google-protobuf/google/protobuf/struct_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIENCE, credential, iamRole, trustDocument } from "./rules/fixtures";
import { UNKNOWN, type PolicyResource } from "./rules/types";

/**
 * The pack as `pulumi preview --policy-pack policies` runs it: Pulumi's policy analyzer plugin starts
 * `@pulumi/pulumi/cmd/run-policy-pack <engine> <pack dir>` in the pack's directory with the stack's config in
 * PULUMI_CONFIG, reads the gRPC port from stdout, then calls the Analyzer service. This test does the same in a
 * child process (so the PolicyPack's gRPC server never starts inside the test process) and talks to it on
 * 127.0.0.1. The child compiles the pack with ts-node first, which takes a while.
 */

const PACK_DIR = __dirname;
const STARTUP_MS = 180_000;

let child: ChildProcess | undefined;
let client: AnalyzerClient;

function startPack(): Promise<number> {
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const proc = spawn(
    process.execPath,
    [require.resolve("@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:0", "."],
    {
      cwd: PACK_DIR,
      env: {
        ...env,
        PULUMI_CONFIG: JSON.stringify({
          "skyporten-onboarding:environment": "test",
          "skyporten-onboarding:audience": AUDIENCE,
        }),
        PULUMI_NODEJS_PROJECT: "skyporten-onboarding",
        PULUMI_NODEJS_STACK: "test",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child = proc;
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(
      () => reject(new Error(`policy pack did not start within ${STARTUP_MS} ms: ${stderr}`)),
      STARTUP_MS - 5_000,
    );
    proc.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /^(\d+)\s*$/m.exec(stdout);
      if (line?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(Number(line[1]));
      }
    });
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`policy pack exited with ${code}: ${stderr}`));
    });
  });
}

type Callback<Res> = (err: grpc.ServiceError | null, res: Res) => void;

function call<Res>(invoke: (callback: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => invoke((err, res) => (err === null ? resolve(res) : reject(err))));
}
const getAnalyzerInfo = () => call<pb.AnalyzerInfo>((cb) => client.getAnalyzerInfo(new Empty(), cb));
const analyze = (req: pb.AnalyzeRequest) => call<pb.AnalyzeResponse>((cb) => client.analyze(req, cb));
const analyzeStack = (req: pb.AnalyzeStackRequest) =>
  call<pb.AnalyzeResponse>((cb) => client.analyzeStack(req, cb));
const configure = (req: pb.ConfigureAnalyzerRequest) => call<Empty>((cb) => client.configure(req, cb));

function options(protect: boolean): pb.AnalyzerResourceOptions {
  return new pb.AnalyzerResourceOptions().setProtect(protect);
}

function analyzeRequest(r: PolicyResource): pb.AnalyzeRequest {
  return new pb.AnalyzeRequest()
    .setType(r.type)
    .setUrn(r.urn)
    .setName(r.name)
    .setProperties(
      Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props)) as Record<string, JavaScriptValue>),
    )
    .setOptions(options(r.protect));
}

function stackRequest(resources: PolicyResource[]): pb.AnalyzeStackRequest {
  return new pb.AnalyzeStackRequest().setResourcesList(
    resources.map((r) =>
      new pb.AnalyzerResource()
        .setType(r.type)
        .setUrn(r.urn)
        .setName(r.name)
        .setProperties(
          Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props)) as Record<string, JavaScriptValue>),
        )
        .setOptions(options(r.protect)),
    ),
  );
}

/** [policy, message] of each diagnostic; the engine prefixes the policy description to the message. */
function diagnostics(res: pb.AnalyzeResponse): [string, string][] {
  return res
    .getDiagnosticsList()
    .map((d) => [d.getPolicyname(), d.getMessage().slice(d.getMessage().indexOf("\n") + 1)]);
}

beforeAll(async () => {
  const port = await startPack();
  client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, STARTUP_MS);

afterAll(() => {
  client?.close();
  if (child?.pid !== undefined && child.exitCode === null) child.kill();
});

describe("policy pack under Pulumi's policy-pack runner", () => {
  it("announces its policies, all mandatory", async () => {
    const info = await getAnalyzerInfo();
    expect(info.getName()).toBe("skyporten-onboarding");
    expect(info.getVersion()).toBe("0.1.0");
    expect(info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()])).toEqual([
      ["skyporten-federated-credential", pb.EnforcementLevel.MANDATORY],
      ["skyporten-role-assignment", pb.EnforcementLevel.MANDATORY],
      ["skyporten-aws-trust-policy", pb.EnforcementLevel.MANDATORY],
      ["skyporten-aws-s3-policy", pb.EnforcementLevel.MANDATORY],
      ["skyporten-prod-identity-protected", pb.EnforcementLevel.MANDATORY],
      ["skyporten-required-tags", pb.EnforcementLevel.MANDATORY],
      ["skyporten-tag-values", pb.EnforcementLevel.MANDATORY],
      ["skyporten-stack-budgets", pb.EnforcementLevel.MANDATORY],
      ["skyporten-unique-resource-names", pb.EnforcementLevel.MANDATORY],
    ]);
  });

  it("checks a resource against the stack config it was given, treating preview unknowns as unknown", async () => {
    expect(diagnostics(await analyze(analyzeRequest(credential({ resourceName: UNKNOWN }))))).toEqual([]);
    const wrong = credential({ issuer: "https://test.sky.maskinporten.no/", resourceName: UNKNOWN });
    expect(diagnostics(await analyze(analyzeRequest(wrong)))).toEqual([
      [
        "skyporten-federated-credential",
        'issuer "https://test.sky.maskinporten.no/" has a trailing slash; Skyporten tokens carry iss "https://test.sky.maskinporten.no" exactly and Azure/AWS match it character by character (AADSTS70021 otherwise)',
      ],
    ]);
  });

  it("validates the stack and honours --policy-pack-config", async () => {
    const long = iamRole([trustDocument({ Sid: "x".repeat(2100) })]);
    const before = diagnostics(await analyzeStack(stackRequest([long])));
    expect(before.map(([policy]) => policy)).toEqual(["skyporten-stack-budgets"]);

    const config = new pb.ConfigureAnalyzerRequest();
    config
      .getPolicyconfigMap()
      .set(
        "skyporten-stack-budgets",
        new pb.PolicyConfig()
          .setEnforcementlevel(pb.EnforcementLevel.MANDATORY)
          .setProperties(Struct.fromJavaScript({ trustPolicyMaxChars: 4096 })),
      );
    await configure(config);
    expect(diagnostics(await analyzeStack(stackRequest([long])))).toEqual([]);
  });
});
