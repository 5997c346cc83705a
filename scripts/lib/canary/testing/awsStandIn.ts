import { randomBytes } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify } from "jose";
import { permissionPolicyDocument, type PolicyDocument } from "../../../../infra/aws/policies";
import type { AwsGrant } from "../../../../infra/manifest/schema";
import type { ScriptedAnswer } from "./skyportenStandIn";

/**
 * Test stand-ins for STS and S3 on 127.0.0.1 (plain http, port 0), following the AWS protocols the SDK speaks:
 * STS's query protocol (POST form `Action=AssumeRoleWithWebIdentity`, XML answers and `<ErrorResponse>` errors,
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html) and S3's REST protocol
 * with path-style addressing (PutObject, GetObject, ListObjectsV2, DeleteObject; `<Error>` answers). The role's
 * permissions are the policy document the program deploys (permissionPolicyDocument), evaluated for the few
 * actions used here: Allow statements only, wildcard resources, the StringLike s3:prefix condition.
 */

export interface StandInRole {
  arn: string;
  /** OIDC provider: the issuer (exact), its client ids and its JWKS. */
  issuer: string;
  clientIds: string[];
  jwksUrl: string;
  /** Trust policy conditions (StringEquals on <host>:sub and <host>:aud). */
  subject: string;
  audience: string;
  grants: AwsGrant[];
}

export interface AwsStandIn {
  stsUrl: string;
  s3Url: string;
  roles: StandInRole[];
  /** Objects by `<bucket>/<key>`. */
  objects: Map<string, Buffer>;
  /** "enforce" the role's policy; "open" lets everything through (a policy granting too much). */
  s3Mode: "enforce" | "open";
  stsScript: ScriptedAnswer[];
  s3Script: ScriptedAnswer[];
  stsHang: boolean;
  /** Secrets issued (to prove none is printed). */
  issued: string[];
  close(): Promise<void>;
}

const xml = (status: number, body: string, headers: Record<string, string> = {}): ScriptedAnswer => ({
  status,
  headers: { "content-type": "text/xml", ...headers },
  body: `<?xml version="1.0" encoding="UTF-8"?>${body}`,
});

const stsError = (status: number, code: string, message: string) =>
  xml(status, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>`);

const s3Error = (status: number, code: string, message: string) =>
  xml(status, `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>host</HostId></Error>`);

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** IAM-style wildcard match (`*` any run, `?` one character). */
function like(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return re.test(value);
}

/** Does the policy allow `action` on `resource` (with the request's s3:prefix)? */
export function policyAllows(doc: PolicyDocument, action: string, resource: string, prefix?: string): boolean {
  return doc.Statement.some((s) => {
    if (s.Effect !== "Allow") return false;
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    const resources = s.Resource === undefined ? [] : Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    if (!actions.some((a) => like(a, action)) || !resources.some((r) => like(r, resource))) return false;
    const cond = s.Condition?.StringLike?.["s3:prefix"];
    if (cond === undefined) return true;
    return prefix !== undefined && (Array.isArray(cond) ? cond : [cond]).some((p) => like(p, prefix));
  });
}

export async function startAwsStandIn(region: string): Promise<AwsStandIn> {
  const sessions = new Map<string, { sessionToken: string; role: StandInRole }>();
  const state: AwsStandIn = {
    stsUrl: "",
    s3Url: "",
    roles: [],
    objects: new Map(),
    s3Mode: "enforce",
    stsScript: [],
    s3Script: [],
    stsHang: false,
    issued: [],
    close: async () => {
      for (const s of [sts, s3]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
  const send = (res: http.ServerResponse, a: ScriptedAnswer) => {
    res.writeHead(a.status, a.headers);
    res.end(typeof a.body === "string" ? a.body : JSON.stringify(a.body));
  };
  const readBody = (req: http.IncomingMessage) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks)));
    });

  async function assume(form: URLSearchParams): Promise<ScriptedAnswer> {
    if (form.get("Action") !== "AssumeRoleWithWebIdentity") return stsError(400, "InvalidAction", "Could not find operation");
    const token = form.get("WebIdentityToken") ?? "";
    const role = state.roles.find((r) => r.arn === form.get("RoleArn"));
    let claims: Record<string, unknown>;
    try {
      claims = decodeJwt(token);
    } catch {
      return stsError(400, "InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS.");
    }
    const provider = state.roles.find((r) => r.issuer === claims.iss);
    if (provider === undefined) return stsError(400, "InvalidIdentityToken", `No OpenIDConnect provider found in your account for ${String(claims.iss)}`);
    try {
      await jwtVerify(token, createRemoteJWKSet(new URL(provider.jwksUrl)), { algorithms: ["RS256"] });
    } catch (e) {
      if (e instanceof errors.JWTExpired) {
        const exp = new Date(Number(claims.exp) * 1000).toISOString();
        return stsError(400, "ExpiredTokenException", `Token expired: current date/time ${new Date().toISOString()} must be before the expiration date/time ${exp}`);
      }
      return stsError(400, "InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS.");
    }
    if (typeof claims.aud !== "string" || !provider.clientIds.includes(claims.aud)) return stsError(400, "InvalidIdentityToken", "Incorrect token audience");
    if (role === undefined || role.subject !== claims.sub || role.audience !== claims.aud)
      return stsError(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
    const accessKeyId = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
    const secret = randomBytes(30).toString("base64");
    const sessionToken = randomBytes(60).toString("base64");
    sessions.set(accessKeyId, { sessionToken, role });
    state.issued.push(secret, sessionToken);
    const expiration = new Date(Date.now() + 900_000).toISOString();
    return xml(
      200,
      `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>` +
        `<SubjectFromWebIdentityToken>${escapeXml(String(claims.sub))}</SubjectFromWebIdentityToken><Audience>${escapeXml(claims.aud)}</Audience>` +
        `<AssumedRoleUser><Arn>${role.arn.replace(":role/", ":assumed-role/")}/${escapeXml(form.get("RoleSessionName") ?? "")}</Arn><AssumedRoleId>AROA0000000000000:${escapeXml(form.get("RoleSessionName") ?? "")}</AssumedRoleId></AssumedRoleUser>` +
        `<Credentials><SessionToken>${sessionToken}</SessionToken><SecretAccessKey>${secret}</SecretAccessKey><Expiration>${expiration}</Expiration><AccessKeyId>${accessKeyId}</AccessKeyId></Credentials>` +
        `<Provider>${escapeXml(provider.issuer)}</Provider></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
    );
  }

  const sts = http.createServer((req, res) => {
    void readBody(req).then(async (body) => {
      if (state.stsHang) return;
      const scripted = state.stsScript.shift();
      if (scripted !== undefined) return send(res, scripted);
      send(res, await assume(new URLSearchParams(body.toString("utf8"))));
    });
  });

  const s3 = http.createServer((req, res) => {
    void readBody(req).then((body) => {
      const scripted = state.s3Script.shift();
      if (scripted !== undefined) return send(res, scripted);
      const url = new URL(req.url ?? "/", "http://s3");
      const [bucket = "", ...rest] = url.pathname.slice(1).split("/");
      const key = decodeURIComponent(rest.join("/"));
      const akid = /Credential=([A-Z0-9]+)\//.exec(req.headers.authorization ?? "")?.[1];
      const session = akid === undefined ? undefined : sessions.get(akid);
      if (session === undefined || req.headers["x-amz-security-token"] !== session.sessionToken)
        return send(res, s3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."));
      const doc = permissionPolicyDocument({ grants: session.role.grants, buckets: [], region });
      const objectArn = `arn:aws:s3:::${bucket}/${key}`;
      const allows = (action: string, resource: string, prefix?: string) =>
        state.s3Mode === "open" || policyAllows(doc, action, resource, prefix);
      const denied = () => send(res, s3Error(403, "AccessDenied", "Access Denied"));
      const method = req.method ?? "GET";
      if (method === "GET" && key === "" && url.searchParams.get("list-type") === "2") {
        const prefix = url.searchParams.get("prefix") ?? "";
        if (!allows("s3:ListBucket", `arn:aws:s3:::${bucket}`, url.searchParams.has("prefix") ? prefix : undefined)) return denied();
        const keys = [...state.objects.keys()].filter((k) => k.startsWith(`${bucket}/${prefix}`)).map((k) => k.slice(bucket.length + 1));
        const contents = keys
          .map((k) => `<Contents><Key>${escapeXml(k)}</Key><LastModified>2026-12-02T07:00:00.000Z</LastModified><ETag>"0"</ETag><Size>${state.objects.get(`${bucket}/${k}`)!.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`)
          .join("");
        return send(res, xml(200, `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`));
      }
      if (method === "PUT" && key !== "") {
        if (!allows("s3:PutObject", objectArn)) return denied();
        state.objects.set(`${bucket}/${key}`, body);
        res.writeHead(200, { etag: '"0"' });
        return res.end();
      }
      if (method === "GET" && key !== "") {
        if (!allows("s3:GetObject", objectArn)) return denied();
        const obj = state.objects.get(`${bucket}/${key}`);
        if (obj === undefined) return send(res, s3Error(404, "NoSuchKey", "The specified key does not exist."));
        res.writeHead(200, { "content-type": "text/plain", "content-length": String(obj.length), etag: '"0"' });
        return res.end(obj);
      }
      if (method === "DELETE" && key !== "") {
        if (!allows("s3:DeleteObject", objectArn)) return denied();
        state.objects.delete(`${bucket}/${key}`);
        res.writeHead(204);
        return res.end();
      }
      send(res, s3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource."));
    });
  });
  for (const s of [sts, s3]) await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  state.stsUrl = `http://127.0.0.1:${(sts.address() as AddressInfo).port}`;
  state.s3Url = `http://127.0.0.1:${(s3.address() as AddressInfo).port}`;
  return state;
}
