import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DfsTestServer, type RecordedRequest } from "./dfsTestServer";
import {
  createPathAclProvider,
  diffPathAcl,
  effectiveOwnedEntries,
  mergeOwnedEntries,
  parseAcl,
  formatAcl,
  pathAclInputProblems,
  UNKNOWN,
  type PathAclInputs,
  type PathAclOutputs,
  type PathAclProviderOptions,
} from "./provider";

const PARTNER = "11111111-1111-4111-8111-111111111111";
const OTHER_PARTNER = "22222222-2222-4222-8222-222222222222";
const TRAVERSE = "33333333-3333-4333-8333-333333333333";
const WRITE = "44444444-4444-4444-8444-444444444444";
const PLATFORM_SP = "55555555-5555-4555-8555-555555555555";
const MANUAL = "66666666-6666-4666-8666-666666666666";

const FAST: PathAclProviderOptions = {
  baseDelayMs: 5,
  maxDelayMs: 20,
  requestTimeoutMs: 2_000,
  recursiveTimeoutMs: 2_000,
};

let server: DfsTestServer;
let logs: string[];

beforeEach(async () => {
  server = await new DfsTestServer().start();
  logs = [];
});
afterEach(async () => {
  await server.stop();
});

function provider(extra: PathAclProviderOptions = {}) {
  return createPathAclProvider({ ...FAST, log: (m) => logs.push(m), ...extra });
}

function inputs(over: Partial<PathAclInputs>): PathAclInputs {
  return {
    accountName: "devstoreacct",
    fileSystem: "outbound",
    path: "/",
    entries: [],
    endpoint: server.endpoint,
    ...over,
  };
}

const isGet = (r: RecordedRequest) => r.method === "HEAD" && r.action === "getAccessControl";
const isSet = (r: RecordedRequest) => r.method === "PATCH" && r.action === "setAccessControl";
const isRecursive = (r: RecordedRequest) => r.method === "PATCH" && r.action === "setAccessControlRecursive";

describe("PathAcl provider against a local DFS endpoint", () => {
  it("adds owned entries to the root, keeps foreign entries and widens a narrow mask just enough", async () => {
    // A fresh container root with the platform's own service principal and the documented 750 mask.
    server.addFileSystem("outbound", `user::rwx,user:${PLATFORM_SP}:rwx,group::r-x,mask::r-x,other::---`);
    const p = provider();
    const created = await p.create(inputs({ entries: [`group:${WRITE}:-wx`, `group:${TRAVERSE}:--x`] }));

    expect(server.aclOf("outbound")).toBe(
      `user::rwx,user:${PLATFORM_SP}:rwx,group::r-x,group:${TRAVERSE}:--x,group:${WRITE}:-wx,mask::rwx,other::---`,
    );
    expect(created.outs?.appliedEntries).toEqual([`group:${TRAVERSE}:--x`, `group:${WRITE}:-wx`]);
    expect(created.id).toMatch(new RegExp(`^${server.endpoint}/outbound/#[0-9a-f]{12}$`));
    expect(server.requests.map((r) => `${r.method} ${r.action}`)).toEqual([
      "HEAD getAccessControl",
      "PATCH setAccessControl",
    ]);
    const set = server.requests.find(isSet)!;
    expect(set.ifMatch).toMatch(/^"\d+"$/);
    // No credential travels over plain HTTP.
    expect(server.requests.every((r) => r.authorization === undefined)).toBe(true);
    expect(logs).toContain(
      `devstoreacct/outbound/: mask: r-x -> rwx so owned entries keep their permissions`,
    );
  });

  it("is idempotent: a second run reads the ACL and writes nothing", async () => {
    server.addFileSystem("outbound");
    const p = provider();
    const args = inputs({ entries: [`group:${TRAVERSE}:--x`] });
    await p.create(args);
    const after = server.aclOf("outbound");
    const before = server.requests.length;
    await p.update!(
      "id",
      { ...args, recursive: false, createDirectory: false, appliedEntries: args.entries },
      args,
    );
    expect(server.aclOf("outbound")).toBe(after);
    expect(server.requests.slice(before).map((r) => `${r.method} ${r.action}`)).toEqual([
      "HEAD getAccessControl",
    ]);
  });

  it("retries the read-modify-write when the ACL changes between read and write (HTTP 412), keeping the concurrent change", async () => {
    server.addFileSystem("outbound");
    server.inject({
      when: isSet,
      times: 1,
      // Someone adds an entry right before our write arrives: our If-Match is now stale.
      respond: {
        run: (s) =>
          s.setAclOutOfBand("outbound", "", `user::rwx,user:${MANUAL}:r--,group::r-x,mask::r-x,other::---`),
      },
    });
    await provider().create(inputs({ entries: [`group:${TRAVERSE}:--x`] }));

    expect(server.aclOf("outbound")).toBe(
      `user::rwx,user:${MANUAL}:r--,group::r-x,group:${TRAVERSE}:--x,mask::r-x,other::---`,
    );
    expect(server.requests.map((r) => `${r.method} ${r.action}`)).toEqual([
      "HEAD getAccessControl",
      "PATCH setAccessControl",
      "HEAD getAccessControl",
      "PATCH setAccessControl",
    ]);
    expect(logs).toContain(
      "devstoreacct/outbound/: the ACL changed since it was read (HTTP 412); reading it again (round 2)",
    );
  });

  it("honours Retry-After on 429 and backs off on 503 and 500", async () => {
    server.addFileSystem("outbound");
    server.inject({
      when: isGet,
      times: 1,
      respond: { status: 429, code: "TooManyRequests", headers: { "retry-after": "1" } },
    });
    server.inject({ when: isSet, times: 1, respond: { status: 503, code: "ServerBusy" } });
    server.inject({ when: isSet, times: 1, respond: { status: 500, code: "InternalError" } });
    await provider().create(inputs({ entries: [`group:${TRAVERSE}:--x`] }));

    const gets = server.requests.filter(isGet);
    expect(gets).toHaveLength(2);
    expect(gets[1]!.at - gets[0]!.at).toBeGreaterThanOrEqual(950);
    expect(server.requests.filter(isSet)).toHaveLength(3);
    expect(server.aclOf("outbound")).toBe(`user::rwx,group::r-x,group:${TRAVERSE}:--x,mask::r-x,other::---`);
    expect(logs).toContain(
      "devstoreacct/outbound/: read the ACL got HTTP 429 TooManyRequests; retrying in 1000 ms (attempt 2 of 6)",
    );
    expect(
      logs.some((m) =>
        m.startsWith("devstoreacct/outbound/: write the ACL got HTTP 503 ServerBusy; retrying in "),
      ),
    ).toBe(true);
  });

  it("honours retry-after-ms and gives up after maxAttempts with the last failure", async () => {
    server.addFileSystem("outbound");
    server.inject({
      when: isGet,
      times: 10,
      respond: { status: 503, code: "ServerBusy", headers: { "retry-after-ms": "30" } },
    });
    await expect(
      provider({ maxAttempts: 3 }).create(inputs({ entries: [`group:${TRAVERSE}:--x`] })),
    ).rejects.toThrow(
      "ADLS Gen2 kept failing to read the ACL on devstoreacct/outbound/: 3 attempts, the last HTTP 503 ServerBusy. Try again later.",
    );
    expect(server.count(isGet)).toBe(3);
    expect(logs.filter((m) => m.includes("retrying in 30 ms"))).toHaveLength(2);
  });

  it("retries a request that times out", async () => {
    server.addFileSystem("outbound");
    server.inject({ when: isGet, times: 1, respond: { hang: true } });
    await provider({ requestTimeoutMs: 300 }).create(inputs({ entries: [`group:${TRAVERSE}:--x`] }));
    expect(server.count(isGet)).toBe(2);
    expect(
      logs.some((m) => m.startsWith("devstoreacct/outbound/: read the ACL got timed out; retrying")),
    ).toBe(true);
  });

  it("reports a 403 at once with what the deploying principal is missing", async () => {
    server.addFileSystem("outbound");
    server.inject({
      when: isSet,
      times: 1,
      respond: { status: 403, code: "AuthorizationPermissionMismatch" },
    });
    await expect(provider().create(inputs({ entries: [`group:${TRAVERSE}:--x`] }))).rejects.toThrow(
      'ADLS Gen2 refused to write the ACL on devstoreacct/outbound/ (HTTP 403 AuthorizationPermissionMismatch). Changing ACLs requires the principal Pulumi deploys with (the same credentials as the azure-native provider) to hold Storage Blob Data Owner on storage account "devstoreacct" (or to own the path): assign that role, wait a few minutes for it to propagate, and run the update again.',
    );
    expect(server.count(isSet)).toBe(1);
  });

  it("reports any other refusal with the operation, the path and the service's error code", async () => {
    server.addFileSystem("outbound");
    server.inject({ when: isSet, times: 1, respond: { status: 400, code: "InvalidAccessControlList" } });
    await expect(provider().create(inputs({ entries: [`group:${TRAVERSE}:--x`] }))).rejects.toThrow(
      /^ADLS Gen2 could not write the ACL on devstoreacct\/outbound\/ \(HTTP 400 InvalidAccessControlList\): /,
    );
    expect(server.count(isSet)).toBe(1);
  });

  it("names a missing container and a missing directory", async () => {
    await expect(
      provider().create(inputs({ fileSystem: "nosuch", entries: [`group:${TRAVERSE}:--x`] })),
    ).rejects.toThrow(
      'container "nosuch" does not exist in storage account "devstoreacct" (devstoreacct/nosuch/); create the container first',
    );
    server.addFileSystem("outbound");
    await expect(
      provider().create(inputs({ path: "/nordlys", entries: [`user:${PARTNER}:r-x`] })),
    ).rejects.toThrow(
      "devstoreacct/outbound/nordlys does not exist; create the directory first or set createDirectory: true",
    );
  });

  it("creates a missing directory and its parents top down, never failing on existing ones", async () => {
    server.addFileSystem("outbound");
    server.addDirectory("outbound", "vestland");
    await provider().create(
      inputs({ path: "/vestland/reports", createDirectory: true, entries: [`user:${PARTNER}:rwx`] }),
    );
    const puts = server.requests.filter((r) => r.method === "PUT");
    expect(puts.map((r) => `${r.key} ${r.resource} ${r.ifNoneMatch}`)).toEqual([
      "outbound/vestland directory *",
      "outbound/vestland/reports directory *",
    ]);
    expect(server.nodes.has("outbound/vestland/reports")).toBe(true);
    expect(server.aclOf("outbound", "vestland/reports")).toBe(
      `user::rwx,user:${PARTNER}:rwx,group::r-x,mask::rwx,other::---`,
    );
    expect(logs).toContain("devstoreacct/outbound/vestland/reports: created directory /vestland/reports");
  });

  it("completes a missing default ACL from the access base entries when adding default entries", async () => {
    server.addFileSystem("outbound");
    server.addDirectory("outbound", "nordlys");
    await provider().create(
      inputs({ path: "/nordlys", entries: [`default:user:${PARTNER}:r-x`, `user:${PARTNER}:r-x`] }),
    );
    expect(server.aclOf("outbound", "nordlys")).toBe(
      `user::rwx,user:${PARTNER}:r-x,group::r-x,mask::r-x,other::---,default:user::rwx,default:user:${PARTNER}:r-x,default:group::r-x,default:mask::r-x,default:other::---`,
    );
  });

  it("applies entries recursively in batches with continuation tokens, keeping foreign entries on children", async () => {
    server.addFileSystem("outbound");
    server.addDirectory("outbound", "nordlys");
    server.addDirectory("outbound", "nordlys/2024");
    server.addDirectory("outbound", "nordlys/2025");
    server.addFile(
      "outbound",
      "nordlys/2024/a.csv",
      `user::rw-,user:${MANUAL}:r--,group::r--,mask::r--,other::---`,
    );
    server.addFile("outbound", "nordlys/2024/b.csv");
    server.addFile("outbound", "nordlys/2025/c.csv");
    server.addDirectory("outbound", "nordlysx"); // a sibling whose name starts the same: must stay untouched
    const entries = [`user:${PARTNER}:r-x`, `default:user:${PARTNER}:r-x`];
    await provider().create(inputs({ path: "/nordlys", recursive: true, batchSize: 2, entries }));

    const batches = server.requests.filter(isRecursive);
    expect(
      batches.map((r) => [
        r.mode,
        r.maxRecords,
        r.continuation === null ? null : Buffer.from(r.continuation, "base64").toString(),
      ]),
    ).toEqual([
      ["modify", "2", null],
      ["modify", "2", "2"],
      ["modify", "2", "4"],
    ]);
    expect(batches[0]!.acl).toBe(`user:${PARTNER}:r-x,default:user:${PARTNER}:r-x`);
    expect(server.aclOf("outbound", "nordlys/2024")).toBe(
      `user::rwx,user:${PARTNER}:r-x,group::r-x,mask::r-x,other::---,default:user:${PARTNER}:r-x,default:mask::r-x`,
    );
    expect(server.aclOf("outbound", "nordlys/2024/a.csv")).toBe(
      `user::rw-,user:${PARTNER}:r-x,user:${MANUAL}:r--,group::r--,mask::r-x,other::---`,
    );
    expect(server.aclOf("outbound", "nordlys/2025/c.csv")).toBe(
      `user::rw-,user:${PARTNER}:r-x,group::r--,mask::r-x,other::---`,
    );
    expect(server.aclOf("outbound", "nordlysx")).toBe("user::rwx,group::r-x,other::---");
    expect(logs.filter((m) => m.includes("modify recursive batch"))).toEqual([
      "devstoreacct/outbound/nordlys: modify recursive batch 1: 2 directories, 0 files (total 2 directories, 0 files), continuing",
      "devstoreacct/outbound/nordlys: modify recursive batch 2: 0 directories, 2 files (total 2 directories, 2 files), continuing",
      "devstoreacct/outbound/nordlys: modify recursive batch 3: 1 directories, 1 files (total 3 directories, 3 files), done",
    ]);
  });

  it("retries a failed recursive batch from its own continuation token", async () => {
    server.addFileSystem("outbound");
    server.addDirectory("outbound", "nordlys");
    server.addFile("outbound", "nordlys/a.csv");
    server.addFile("outbound", "nordlys/b.csv");
    server.inject({
      when: (r) => isRecursive(r) && r.continuation !== null,
      times: 1,
      respond: { status: 503, code: "ServerBusy" },
    });
    await provider().create(
      inputs({ path: "/nordlys", recursive: true, batchSize: 2, entries: [`user:${PARTNER}:r-x`] }),
    );
    const tokens = server.requests.filter(isRecursive).map((r) => r.continuation);
    expect(tokens).toEqual([null, tokens[1], tokens[1]]);
    expect(tokens[1]).not.toBeNull();
    expect(server.aclOf("outbound", "nordlys/b.csv")).toBe(
      `user::rw-,user:${PARTNER}:r-x,group::r--,mask::r-x,other::---`,
    );
  });

  it("update changes permissions and removes dropped entries from the path and its children only", async () => {
    server.addFileSystem("outbound");
    server.addDirectory("outbound", "nordlys");
    server.addFile("outbound", "nordlys/a.csv");
    const p = provider();
    const first = inputs({
      path: "/nordlys",
      recursive: true,
      entries: [`user:${PARTNER}:r-x`, `user:${OTHER_PARTNER}:r-x`],
    });
    const created = await p.create(first);
    server.setAclOutOfBand(
      "outbound",
      "nordlys/a.csv",
      `${server.aclOf("outbound", "nordlys/a.csv")},user:${MANUAL}:r--`,
    );
    const second = inputs({ path: "/nordlys", recursive: true, entries: [`user:${PARTNER}:rwx`] });
    await p.update!(created.id, created.outs!, second);

    expect(server.aclOf("outbound", "nordlys")).toBe(
      `user::rwx,user:${PARTNER}:rwx,group::r-x,mask::rwx,other::---`,
    );
    expect(server.aclOf("outbound", "nordlys/a.csv")).toBe(
      `user::rw-,user:${PARTNER}:rwx,user:${MANUAL}:r--,group::r--,mask::rwx,other::---`,
    );
    const recursive = server.requests.filter(isRecursive).slice(1);
    expect(recursive.map((r) => `${r.mode} ${r.acl}`)).toEqual([
      `remove user:${OTHER_PARTNER}`,
      `modify user:${PARTNER}:rwx`,
    ]);
  });

  it("delete removes only the owned entries, recursively, and leaves the mask and foreign entries", async () => {
    server.addFileSystem("outbound");
    server.addDirectory(
      "outbound",
      "nordlys",
      `user::rwx,user:${PLATFORM_SP}:rwx,group::r-x,mask::rwx,other::---`,
    );
    server.addFile("outbound", "nordlys/a.csv");
    const p = provider();
    const created = await p.create(
      inputs({
        path: "/nordlys",
        recursive: true,
        entries: [`user:${PARTNER}:r-x`, `default:user:${PARTNER}:r-x`],
      }),
    );
    await p.delete!(created.id, created.outs!);

    expect(server.aclOf("outbound", "nordlys")).toBe(
      `user::rwx,user:${PLATFORM_SP}:rwx,group::r-x,mask::rwx,other::---,default:user::rwx,default:group::r-x,default:mask::r-x,default:other::---`,
    );
    expect(server.aclOf("outbound", "nordlys/a.csv")).toBe("user::rw-,group::r--,mask::r-x,other::---");
    expect(server.requests.filter(isRecursive).map((r) => `${r.mode} ${r.acl}`)).toEqual([
      `modify user:${PARTNER}:r-x,default:user:${PARTNER}:r-x`,
      `remove user:${PARTNER},default:user:${PARTNER}`,
    ]);
    // Deleting again (the path or the entries are gone) is a no-op, not an error.
    const before = server.count(isSet);
    await p.delete!(created.id, created.outs!);
    expect(server.count(isSet)).toBe(before);
    server.nodes.delete("outbound/nordlys");
    await p.delete!(created.id, created.outs!);
    expect(logs).toContain("devstoreacct/outbound/nordlys: path no longer exists; nothing to remove");
  });

  it("read refreshes from the service: removed, changed and mask-cut entries show as drift", async () => {
    server.addFileSystem("outbound");
    const p = provider();
    const args = inputs({ entries: [`group:${TRAVERSE}:--x`, `group:${WRITE}:-wx`] });
    const created = await p.create(args);
    const outs = created.outs!;

    const unchanged = await p.read!(created.id, outs);
    expect(unchanged.props?.appliedEntries).toEqual([`group:${TRAVERSE}:--x`, `group:${WRITE}:-wx`]);
    expect(
      diffPathAcl(
        unchanged.props as unknown as Record<string, unknown>,
        args as unknown as Record<string, unknown>,
      ).changes,
    ).toBe(false);

    // Someone narrows the mask to r-x and deletes the traverse entry by hand.
    server.setAclOutOfBand("outbound", "", `user::rwx,group::r-x,group:${WRITE}:-wx,mask::r-x,other::---`);
    const drifted = await p.read!(created.id, outs);
    expect(drifted.props?.appliedEntries).toEqual([`group:${WRITE}:--x`]);
    expect(
      diffPathAcl(
        drifted.props as unknown as Record<string, unknown>,
        args as unknown as Record<string, unknown>,
      ),
    ).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    // The update that follows restores both, widening the mask again.
    await p.update!(created.id, drifted.props as PathAclOutputs, args);
    expect(server.aclOf("outbound")).toBe(
      `user::rwx,group::r-x,group:${TRAVERSE}:--x,group:${WRITE}:-wx,mask::rwx,other::---`,
    );

    server.nodes.delete("outbound/");
    server.fileSystems.delete("outbound");
    expect(await p.read!(created.id, outs)).toEqual({ id: "" });
  });
});

describe("pure parts of the provider", () => {
  it("mergeOwnedEntries leaves foreign entries and an adequate mask alone", () => {
    const current = parseAcl(`user::rwx,user:${MANUAL}:r--,group::r-x,mask::rwx,other::---`);
    const merged = mergeOwnedEntries(current, parseAcl(`user:${PARTNER}:-wx`), []);
    expect(formatAcl(merged.acl)).toBe(
      `user::rwx,user:${PARTNER}:-wx,user:${MANUAL}:r--,group::r-x,mask::rwx,other::---`,
    );
    expect(merged.changed).toBe(true);
    expect(merged.notes).toEqual([]);
    expect(mergeOwnedEntries(merged.acl, parseAcl(`user:${PARTNER}:-wx`), []).changed).toBe(false);
  });

  it("mergeOwnedEntries computes a missing mask the POSIX way and notes adopted entries", () => {
    const merged = mergeOwnedEntries(
      parseAcl(`user::rwx,user:${PARTNER}:r--,group::r-x,other::---`),
      parseAcl(`user:${PARTNER}:-wx`),
      [],
    );
    expect(formatAcl(merged.acl)).toBe(`user::rwx,user:${PARTNER}:-wx,group::r-x,mask::rwx,other::---`);
    expect(merged.notes).toEqual([`user:${PARTNER}: r-- -> -wx`]);
  });

  it("mergeOwnedEntries removes only the given keys and never narrows the mask", () => {
    const current = parseAcl(
      `user::rwx,user:${PARTNER}:rwx,user:${MANUAL}:r--,group::r-x,mask::rwx,other::---`,
    );
    const merged = mergeOwnedEntries(current, [], [`user:${PARTNER}`]);
    expect(formatAcl(merged.acl)).toBe(`user::rwx,user:${MANUAL}:r--,group::r-x,mask::rwx,other::---`);
  });

  it("effectiveOwnedEntries applies the mask of each scope", () => {
    const acl = parseAcl(
      `user::rwx,user:${PARTNER}:rwx,group::r-x,mask::r--,other::---,default:user::rwx,default:user:${PARTNER}:rwx,default:group::---,default:mask::rwx,default:other::---`,
    );
    expect(
      effectiveOwnedEntries(acl, [`user:${PARTNER}`, `default:user:${PARTNER}`, `user:${MANUAL}`]),
    ).toEqual([`user:${PARTNER}:r--`, `default:user:${PARTNER}:rwx`]);
  });

  it("check rejects bad inputs with the field and the fix, and skips unknown values", () => {
    expect(
      pathAclInputProblems({
        accountName: "Bad_Account",
        fileSystem: "x",
        path: "nordlys/",
        entries: [
          "user::rwx",
          `user:${PARTNER}:rwz`,
          "group:app-client-id:r-x",
          `user:${PARTNER.toUpperCase()}:r-x`,
          `user:${PARTNER}:rwx`,
        ],
        recursive: "yes",
        batchSize: 5000,
        endpoint: "http://storage.example.com",
      }),
    ).toEqual([
      {
        property: "accountName",
        reason: "accountName must be the storage account name: 3-24 lowercase letters and digits",
      },
      {
        property: "fileSystem",
        reason: "fileSystem must be a container name: 3-63 lowercase letters, digits and single hyphens",
      },
      {
        property: "path",
        reason:
          'path must be "/" (the container root) or an absolute directory like "/partner/reports" without a trailing "/" (got "nordlys/")',
      },
      {
        property: "entries[0]",
        reason:
          'ACL entry "user::rwx" is a base entry (owning user/group, mask or other); a PathAcl owns named user/group entries only',
      },
      {
        property: "entries[1]",
        reason: `ACL entry "user:${PARTNER}:rwz" has permissions "rwz"; expected three characters like r-x, -wx or rwx`,
      },
      {
        property: "entries[2]",
        reason:
          'ACL entry "group:app-client-id:r-x" must name an Entra OBJECT id (a GUID such as a managed identity\'s principalId), not "app-client-id"',
      },
      {
        property: "entries[4]",
        reason: `ACL entry "user:${PARTNER}:rwx" repeats "user:${PARTNER.toUpperCase()}:r-x": one entry per principal and scope`,
      },
      { property: "recursive", reason: "recursive must be true or false" },
      { property: "batchSize", reason: "batchSize must be a whole number from 1 to 2000" },
      {
        property: "endpoint",
        reason:
          "endpoint must use https:// (plain http:// is accepted only on a loopback address, for local tests)",
      },
    ]);
    expect(
      pathAclInputProblems({
        accountName: UNKNOWN,
        fileSystem: "outbound",
        path: "/",
        entries: [UNKNOWN, `group:${TRAVERSE}:--x`],
      }),
    ).toEqual([]);
    expect(
      pathAclInputProblems({
        accountName: "acct",
        fileSystem: "outbound",
        path: "/",
        entries: [`default:group:${TRAVERSE}:--x`],
      }),
    ).toEqual([
      {
        property: "entries",
        reason:
          'default: entries on the container root "/" would be inherited by every new file and directory in the container; grant them on a directory',
      },
    ]);
  });

  it("check normalises entries and applies defaults", async () => {
    const result = await createPathAclProvider().check!({} as PathAclInputs, {
      accountName: "acct",
      fileSystem: "outbound",
      path: "/x",
      entries: [`default:user:${PARTNER.toUpperCase()}:r-x`, `user:${PARTNER}:r-x`],
    });
    expect(result).toEqual({
      inputs: {
        accountName: "acct",
        fileSystem: "outbound",
        path: "/x",
        entries: [`user:${PARTNER}:r-x`, `default:user:${PARTNER}:r-x`],
        recursive: false,
        createDirectory: false,
      },
      failures: [],
    });
  });

  it("check returns failures (not an exception) for unparseable entries", async () => {
    const news = { accountName: "acct", fileSystem: "outbound", path: "/x", entries: ["user:nonsense"] };
    expect(await createPathAclProvider().check!({} as PathAclInputs, news)).toEqual({
      inputs: news,
      failures: [
        {
          property: "entries[0]",
          reason: 'ACL entry "user:nonsense" must look like "[default:]user|group:<object id>:rwx"',
        },
      ],
    });
  });

  it("diff reports exactly what changes", () => {
    const olds = {
      accountName: "acct",
      fileSystem: "outbound",
      path: "/x",
      entries: [`user:${PARTNER}:r-x`],
      appliedEntries: [`user:${PARTNER}:r-x`],
      recursive: true,
      createDirectory: true,
    };
    const same = {
      accountName: "acct",
      fileSystem: "outbound",
      path: "/x",
      entries: [`user:${PARTNER.toUpperCase()}:r-x`],
      recursive: true,
      createDirectory: true,
    };
    expect(diffPathAcl(olds, same)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(diffPathAcl(olds, { ...same, entries: [`user:${PARTNER}:rwx`] })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(diffPathAcl(olds, { ...same, recursive: false })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(diffPathAcl(olds, { ...same, path: "/y", fileSystem: "inbound" })).toEqual({
      changes: true,
      replaces: ["fileSystem", "path"],
      deleteBeforeReplace: true,
    });
    expect(diffPathAcl(olds, { ...same, endpoint: "https://acct.dfs.core.windows.net" })).toEqual({
      changes: true,
      replaces: ["endpoint"],
      deleteBeforeReplace: true,
    });
    expect(diffPathAcl(olds, { ...same, entries: [UNKNOWN] })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(diffPathAcl(olds, { ...same, batchSize: 10 })).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });
});
