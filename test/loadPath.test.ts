/**
 * The real load path: the program started as `pulumi up` starts it, through @pulumi/pulumi's Node.js runner
 * (cmd/run) with the runtime options of Pulumi.yaml, so infra/index.ts is compiled and type-checked by the project's
 * ts-node, and talks gRPC to a stand-in engine on 127.0.0.1. Mock tests and the offline plan load the program with
 * tsx (no type-check, different module loading, no closure serialization of dynamic providers through ts-node);
 * this is the test that fails when the program would not load under `pulumi up`.
 *
 * The expected resources are not listed here: whatever the offline plan of the same stack shows
 * (scripts/lib/planChild.ts), the runner must register the same, with the same parents, protection and inputs.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it, type TestContext } from "vitest";
import { planInChildProcess } from "../scripts/lib/planChild";
import {
  languageHostLaunch,
  readProjectFile,
  readStackConfig,
  runLaunch,
  type RunResult,
  type StackConfig,
} from "./support/languageHost";
import {
  compareInputs,
  DYNAMIC_PROVIDER_KEY,
  planRows,
  registrationRows,
  stackUrn,
} from "./support/planComparison";
import { ROOT_STACK_TYPE, StandInEngine } from "./support/standInEngine";

const PROJECT_DIR = path.resolve(__dirname, "..");
const STACK = "test";
/** What the engine passes as --organization for a DIY (file/cloud storage) backend. */
const ORGANIZATION = "organization";
/** The SDK only tells 1 (serial) from more (runtime/settings.js serialize()); any value above 1 behaves alike. */
const PARALLEL = 16;
/** ts-node type-checks the program against @pulumi/azure-native's declarations; that alone takes tens of seconds. */
const RUN_TIMEOUT_MS = 170_000;
const TEST_TIMEOUT_MS = 180_000;
/** The runner's exit code after it has logged a user-actionable error to the engine (cmd/run/index.js). */
const EXIT_AFTER_LOGGED_ERROR = 32;

interface LoadPathRun {
  engine: StandInEngine;
  result: RunResult;
  stackConfig: StackConfig;
}

/**
 * Run infra/index.ts under the real runner against a fresh stand-in engine (an update on an empty stack). The
 * engine's servers, the runner process and the temporary directory go away when the test finishes, pass or fail.
 */
async function runLikePulumiUp(
  ctx: TestContext,
  configOverrides: Record<string, unknown> = {},
): Promise<LoadPathRun> {
  const abort = new AbortController();
  const syncDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "skyporten-sync-"));
  ctx.onTestFinished(() => {
    abort.abort();
    fs.rmSync(syncDirectory, { recursive: true, force: true });
  });
  const project = readProjectFile(PROJECT_DIR);
  const stackConfig = readStackConfig(PROJECT_DIR, project, STACK, configOverrides);
  const engine = await StandInEngine.start({
    project: project.name,
    stack: STACK,
    organization: ORGANIZATION,
    dryRun: false,
    parallel: PARALLEL,
    ...stackConfig,
    awsAccountId: declaredAwsAccount(stackConfig, project.name),
  });
  ctx.onTestFinished(() => engine.stop());
  const spec = languageHostLaunch({
    projectDir: PROJECT_DIR,
    project,
    stack: STACK,
    organization: ORGANIZATION,
    monitorAddress: engine.monitorAddress,
    engineAddress: engine.engineAddress,
    syncDirectory,
    dryRun: false,
    parallel: PARALLEL,
    stackConfig,
  });
  const result = await runLaunch(spec, { timeoutMs: RUN_TIMEOUT_MS, signal: abort.signal });
  // Every RPC the runner made has been answered once it has exited; stopping now makes the records final.
  await engine.stop();
  return { engine, result, stackConfig };
}

/** ARNs AWS assigns carry the account of the deployment's credentials: the one the stack declares. */
function declaredAwsAccount(stackConfig: StackConfig, project: string): string {
  const aws = stackConfig.config[`${project}:aws`];
  const parsed = aws === undefined ? undefined : (JSON.parse(aws) as { accountId?: unknown });
  return typeof parsed?.accountId === "string" ? parsed.accountId : "123456789012";
}

function describeRun(run: LoadPathRun): string {
  const errors = run.engine.logs.filter((l) => l.severity === "error").map((l) => l.message);
  return [
    `exit ${String(run.result.exitCode)} signal ${String(run.result.signal)} after ${Math.round(run.result.durationMs)} ms${run.result.timedOut ? " (killed: timeout)" : ""}`,
    ...errors.map((e) => `engine error log: ${e}`),
    ...run.engine.unexpected.map((u) => `refused RPC: ${u}`),
    `stderr: ${run.result.stderr.slice(-4000)}`,
  ].join("\n");
}

function installedVersion(pkg: string): string {
  return (
    JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "node_modules", pkg, "package.json"), "utf8")) as {
      version: string;
    }
  ).version;
}

describe.concurrent(
  "the program under pulumi up's Node.js runner (ts-node, gRPC to a stand-in engine)",
  () => {
    it(
      "loads through the project's ts-node and registers exactly what the offline plan shows",
      async (ctx) => {
        // The plan runs in its own process, alongside the runner.
        const [planned, run] = await Promise.all([
          planInChildProcess({ stack: STACK, projectDir: PROJECT_DIR }),
          runLikePulumiUp(ctx),
        ]);
        const { engine, result, stackConfig } = run;
        const project = readProjectFile(PROJECT_DIR);

        expect(result.exitCode, describeRun(run)).toBe(0);
        expect(engine.logs.filter((l) => l.severity === "error")).toEqual([]);
        expect(engine.unexpected).toEqual([]);

        // The runner took the project's pinned compiler and ts-node, not its vendored TypeScript 3.8 / ts-node 7,
        // and resolved the entry point from package.json "main" (Pulumi.yaml has no `main`).
        const debug = engine.logs.filter((l) => l.severity === "debug").map((l) => l.message);
        expect(debug).toContain(
          `Found typescript version ${installedVersion("typescript")} at ${path.join(PROJECT_DIR, "node_modules/typescript/lib/typescript.js")}`,
        );
        expect(debug).toContain(
          `Found ts-node version: ${installedVersion("ts-node")} at ${path.join(PROJECT_DIR, "node_modules/ts-node/dist/index.js")}`,
        );
        const packageMain = (
          JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as { main: string }
        ).main;
        expect(debug).toContain(
          `Running program '${path.join(PROJECT_DIR, packageMain)}' in pwd '${PROJECT_DIR}' w/ args: `,
        );

        // The stack resource, the root resource and a clean shutdown, as the engine sees them.
        const root = stackUrn(STACK, project.name);
        const stacks = engine.registrations.filter((r) => r.type === ROOT_STACK_TYPE);
        expect(stacks.map((s) => [s.urn, s.parent])).toEqual([[root, null]]);
        expect(engine.rootResource).toBe(root);
        expect(engine.registeredOutputs.has(root)).toBe(true);
        expect(engine.shutdownSignalled).toBe(true);

        expect(planned.exitCode, planned.stderr).toBe(0);
        const plan = planned.plan;
        if (plan === undefined) throw new Error(`the plan wrote no JSON:\n${planned.stderr}`);

        // Same resources, same tree, same protection: (type, name, parent, protect, retainOnDelete, importId) per URN.
        const { rows: expected, toEngine } = planRows(plan, project.name, STACK);
        expect(registrationRows(engine.registrations)).toEqual(expected);

        // Same inputs wherever the program decides them.
        const inputs = compareInputs(plan, toEngine, engine.registrations, engine.computed);
        expect(inputs.mismatches).toEqual([]);
        expect(inputs.equal.length).toBeGreaterThan(inputs.cloudDerived.length);

        // The federated credentials are where one wrong character breaks every partner: their issuer, subject and
        // audiences must be plain values from config and the manifest (no cloud-derived part) and identical to the plan.
        const fics = plan.resources.filter(
          (r) => r.type === "azure-native:managedidentity:FederatedIdentityCredential",
        );
        expect(fics.length).toBeGreaterThan(0);
        for (const fic of fics) {
          const urn = toEngine.get(fic.urn)!;
          for (const key of ["issuer", "subject", "audiences"])
            expect(inputs.equal).toContain(`${urn} ${key}`);
          expect(fic.inputs.issuer).toBe(stackConfig.config[`${project.name}:issuer`]);
          expect(fic.inputs.audiences).toEqual([stackConfig.config[`${project.name}:audience`]]);
        }

        // The comparison is not vacuous: one trailing space in one subject is caught, and named.
        const tampered = structuredClone(plan);
        const victim = tampered.resources.find(
          (r) => r.type === "azure-native:managedidentity:FederatedIdentityCredential",
        )!;
        const subject = victim.inputs.subject as string;
        victim.inputs.subject = `${subject} `;
        expect(compareInputs(tampered, toEngine, engine.registrations, engine.computed).mismatches).toEqual([
          `${toEngine.get(victim.urn)!} subject: plan ${JSON.stringify(`${subject} `)} vs runner ${JSON.stringify(subject)}`,
        ]);

        // Dynamic providers (ADLS ACLs, Maskinporten) ship their code to the engine as a module serialised from the
        // ts-node-compiled closure (@pulumi/pulumi dynamic/index.js, runtime/closure/serializeClosure.js); it may
        // arrive wrapped as a secret.
        for (const r of engine.registrations.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic"))) {
          const code = r.rawInputs[DYNAMIC_PROVIDER_KEY];
          const text =
            typeof code === "string"
              ? code
              : typeof code === "object" && code !== null && "value" in code && typeof code.value === "string"
                ? code.value
                : "";
          expect(text, r.urn).toContain("exports.handler = ");
        }
      },
      TEST_TIMEOUT_MS,
    );

    it(
      "stops before creating anything when a setting is wrong, and tells the engine which key",
      async (ctx) => {
        const run = await runLikePulumiUp(ctx, {
          "skyporten-onboarding:issuer": "https://test.sky.maskinporten.no/",
        });
        const { engine, result } = run;

        expect(result.exitCode, describeRun(run)).toBe(EXIT_AFTER_LOGGED_ERROR);
        const errors = engine.logs.filter((l) => l.severity === "error").map((l) => l.message);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toContain("skyporten-onboarding:issuer");
        expect(errors[0]).toContain("trailing slash");
        expect(engine.registrations.map((r) => r.type)).toEqual([ROOT_STACK_TYPE]);
        expect(engine.shutdownSignalled).toBe(false);
      },
      TEST_TIMEOUT_MS,
    );
  },
);
