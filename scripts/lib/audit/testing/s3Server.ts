import type { ObservedBucketPolicy } from "../../../../infra/audit/observed";
import { HttpDouble } from "./httpDouble";

/**
 * A stand-in for the S3 REST API on 127.0.0.1 (path-style addressing) for the one read the audit makes:
 * GET /{bucket}?policy (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicy.html): the policy as
 * JSON text, or the XML errors NoSuchBucketPolicy / NoSuchBucket (404).
 */
export class S3Server extends HttpDouble {
  /** Buckets and their policies (null: a bucket without a policy). */
  buckets: ObservedBucketPolicy[] = [];

  constructor() {
    super((r, url) => this.route(r.method, url));
  }

  private route(method: string, url: URL) {
    const bucket = decodeURIComponent(url.pathname.replace(/^\/+/, "").split("/")[0] ?? "");
    if (method !== "GET" || !url.searchParams.has("policy"))
      return s3Error(405, "MethodNotAllowed", "this double answers only GET /{bucket}?policy", bucket);
    const b = this.buckets.find((x) => x.name === bucket);
    if (b === undefined) return s3Error(404, "NoSuchBucket", "The specified bucket does not exist", bucket);
    if (b.policy === null)
      return s3Error(404, "NoSuchBucketPolicy", "The bucket policy does not exist", bucket);
    return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(b.policy) };
  }
}

export function s3Error(status: number, code: string, message: string, bucket = "") {
  return {
    status,
    headers: { "content-type": "application/xml" },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><BucketName>${bucket}</BucketName><RequestId>0000</RequestId></Error>`,
  };
}
