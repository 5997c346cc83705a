import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { StepError } from "./steps";
import type { AwsTarget } from "./target";

/**
 * AWS half of the canary: sts:AssumeRoleWithWebIdentity with the Skyporten token for the canary's role, then S3
 * put/get/list/delete under its prefix and a refusal outside it. The SDK's own retries are off (maxAttempts 1):
 * the canary retries only documented transients (retry.ts) and reports them.
 */

export interface AwsEndpoints {
  /** Tests: local STS and S3 servers (path-style S3 addressing). */
  sts?: string;
  s3?: string;
}

export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

interface SdkError {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
}

function sdkError(e: unknown): { code: string; status: number | undefined; text: string; retryAfterMs?: number } {
  const err = (typeof e === "object" && e !== null ? e : {}) as SdkError;
  const code = err.Code ?? err.name ?? "Error";
  const status = err.$metadata?.httpStatusCode;
  const message = (err.message ?? String(e)).split("\n")[0]!;
  const timedOut = code === "TimeoutError" || code === "AbortError" || /timed? ?out|abort/i.test(message);
  const retryAfter = err.$response?.headers?.["retry-after"];
  return {
    code,
    status,
    text: timedOut ? `no answer in time (${message})` : `${status === undefined ? "" : `HTTP ${status} `}${code}: ${message}`,
    ...(retryAfter !== undefined && /^\d+$/.test(retryAfter) ? { retryAfterMs: Number(retryAfter) * 1000 } : {}),
  };
}

/** The fix for an STS error (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html#API_AssumeRoleWithWebIdentity_Errors). */
export function stsFix(code: string, target: AwsTarget, stack: string): string {
  const files = "explain's checks found the token right for the stack files, so";
  const audit = `run npm run audit -- --stack ${stack}, then pulumi up`;
  switch (code) {
    case "InvalidIdentityToken":
      return `${files} the deployed OIDC provider disagrees with them (its URL must be the issuer exactly, its client id list the stack's audience): ${audit}`;
    case "AccessDenied":
      return `${files} role ${target.roleArn} does not exist or its trust policy does not admit the canary's subject and audience: ${audit}`;
    case "ExpiredTokenException":
      return "the Skyporten token had expired when STS checked it although it was fetched just before: check this runner's clock (NTP)";
    case "IDPCommunicationError":
    case "IDPRejectedClaim":
      return "STS could not fetch or accept the issuer's keys: if it persists, check that the issuer's JWKS is reachable from AWS";
    default:
      return `see the STS error above; ${audit}`;
  }
}

export async function assumeRole(
  target: AwsTarget,
  skyportenToken: () => Promise<string>,
  opts: { stack: string; endpoints: AwsEndpoints; timeoutMs: number; sessionName: string },
): Promise<SessionCredentials> {
  const webIdentityToken = await skyportenToken();
  const sts = new STSClient({
    region: target.region,
    maxAttempts: 1,
    ...(opts.endpoints.sts === undefined ? {} : { endpoint: opts.endpoints.sts }),
  });
  try {
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: target.roleArn,
        RoleSessionName: opts.sessionName,
        WebIdentityToken: webIdentityToken,
        DurationSeconds: 900,
      }),
      { abortSignal: AbortSignal.timeout(opts.timeoutMs) },
    );
    const c = out.Credentials;
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined)
      throw new StepError("STS answered without credentials", "report it: STS's answer is not as documented");
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } catch (e) {
    if (e instanceof StepError) throw e;
    const err = sdkError(e);
    throw new StepError(`STS: ${err.text}`, stsFix(err.code, target, opts.stack), { status: err.status, code: err.code, retryAfterMs: err.retryAfterMs });
  } finally {
    sts.destroy();
  }
}

export function s3Client(target: AwsTarget, credentials: SessionCredentials, endpoints: AwsEndpoints): S3Client {
  return new S3Client({
    region: target.region,
    credentials,
    maxAttempts: 1,
    // Checksums only where S3 requires them: the canary's objects are tiny and the local S3 stand-in stays simple.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    ...(endpoints.s3 === undefined ? {} : { endpoint: endpoints.s3, forcePathStyle: true }),
  });
}

function s3Failure(e: unknown, fix: string): StepError {
  const err = sdkError(e);
  return new StepError(`S3: ${err.text}`, fix, { status: err.status, code: err.code, retryAfterMs: err.retryAfterMs });
}

const isDenied = (e: unknown) => {
  const err = sdkError(e);
  return err.code === "AccessDenied" || err.status === 403;
};

export function s3Steps(s3: S3Client, target: AwsTarget, stack: string, key: string, content: Buffer, timeoutMs: number) {
  const where = `s3://${target.bucket}/${key}`;
  const opt = () => ({ abortSignal: AbortSignal.timeout(timeoutMs) });
  const insideFix = `the canary's role lacks the access its grant declares on s3://${target.bucket}/${target.prefix} (${target.access}): check the role's policy with npm run audit -- --stack ${stack}, then pulumi up`;
  const wider = (what: string) =>
    `the ${what} was not refused: the role's policy grants more than the manifest declares; run npm run audit -- --stack ${stack}`;

  /** Proven when S3 refuses with AccessDenied; a StepError when it succeeds or fails otherwise. */
  async function expectDenied(what: string, run: () => Promise<unknown>): Promise<string> {
    try {
      await run();
    } catch (e) {
      if (isDenied(e)) return `${what} refused: ${sdkError(e).text}`;
      throw s3Failure(e, wider(what));
    }
    throw new StepError(`unexpected success: the ${what} must be refused with AccessDenied`, wider(what));
  }

  return {
    async put(): Promise<string> {
      try {
        await s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: content, ContentType: "text/plain" }), opt());
      } catch (e) {
        throw s3Failure(e, insideFix);
      }
      return `wrote ${where} (${content.length} bytes)`;
    },
    async get(): Promise<string> {
      const get = () => s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }), opt());
      if (target.read === "refused") return expectDenied(`read of ${where} (write-only grant)`, get);
      let body: Uint8Array;
      try {
        const out = await get();
        body = (await out.Body?.transformToByteArray()) ?? new Uint8Array();
      } catch (e) {
        throw s3Failure(e, insideFix);
      }
      if (!Buffer.from(body).equals(content))
        throw new StepError(`read back ${body.length} bytes that differ from the ${content.length} bytes written`, "report it: S3 returned other content");
      return `read ${where} back byte-identical (${content.length} bytes)`;
    },
    async list(): Promise<string> {
      const list = () => s3.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: target.prefix }), opt());
      if (target.read === "refused") return expectDenied(`listing of s3://${target.bucket}/${target.prefix} (write-only grant)`, list);
      let keys: string[];
      try {
        keys = ((await list()).Contents ?? []).map((o) => o.Key ?? "");
      } catch (e) {
        throw s3Failure(e, insideFix);
      }
      if (!keys.includes(key))
        throw new StepError(`the listing of s3://${target.bucket}/${target.prefix} (${keys.length} keys) does not contain ${key}`, "report it: the object was written but is not listed");
      return `listed s3://${target.bucket}/${target.prefix}: the object is there`;
    },
    async delete(): Promise<string> {
      const del = () => s3.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key }), opt());
      if (target.delete === "refused")
        return `${await expectDenied(`delete of ${where}`, del)} (the role's policy grants no s3:DeleteObject: the object stays; a lifecycle rule on the prefix removes canary objects)`;
      try {
        await del();
      } catch (e) {
        throw s3Failure(e, insideFix);
      }
      return `deleted ${where}`;
    },
    outside(probe: AwsTarget["outside"][number], name: string): Promise<string> {
      return expectDenied(`read in s3://${probe.where} (${probe.why})`, () =>
        s3.send(new GetObjectCommand({ Bucket: probe.bucket, Key: `${probe.prefix}${name}` }), opt()),
      );
    },
  };
}
