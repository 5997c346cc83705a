import type { ObservedOidcProvider, ObservedRole } from "../../../../infra/audit/observed";
import { HttpDouble, page } from "./httpDouble";

/**
 * A stand-in for the IAM query API on 127.0.0.1 (https://docs.aws.amazon.com/IAM/latest/APIReference/):
 * form-encoded `Action=...&Version=2010-05-08` POSTs answered with `<{Action}Response><{Action}Result>` XML;
 * ListRoles, ListRolePolicies and ListAttachedRolePolicies page with `Marker`/`IsTruncated` (`MaxItems`),
 * policy documents are URL-encoded JSON, and errors are `<ErrorResponse><Error><Type/><Code/><Message/>`.
 */
export class IamServer extends HttpDouble {
  providers: ObservedOidcProvider[] = [];
  /** Every role of the account, ours and not. */
  roles: ObservedRole[] = [];
  pageSize = 2;

  constructor(readonly accountId = "000000000000") {
    super((r) => this.route(new URLSearchParams(r.body)));
  }

  private route(form: URLSearchParams) {
    const action = form.get("Action") ?? "";
    if (form.get("Version") !== "2010-05-08")
      return iamError(400, "InvalidParameterValue", "Version must be 2010-05-08");
    const roleNamed = () => {
      const role = this.roles.find((r) => r.name === form.get("RoleName"));
      if (role === undefined)
        throw new NoSuchEntity(`The role with name ${form.get("RoleName")} cannot be found.`);
      return role;
    };
    try {
      switch (action) {
        case "ListOpenIDConnectProviders":
          return ok(
            action,
            `<OpenIDConnectProviderList>${this.providers.map((p) => `<member><Arn>${x(p.arn)}</Arn></member>`).join("")}</OpenIDConnectProviderList>`,
          );
        case "GetOpenIDConnectProvider": {
          const p = this.providers.find((q) => q.arn === form.get("OpenIDConnectProviderArn"));
          if (p === undefined)
            throw new NoSuchEntity(
              `OpenIDConnect Provider not found for arn ${form.get("OpenIDConnectProviderArn")}`,
            );
          // IAM gives the URL without its scheme.
          return ok(
            action,
            `<Url>${x(p.url.replace(/^https:\/\//, ""))}</Url><ClientIDList>${p.clientIds.map((c) => `<member>${x(c)}</member>`).join("")}</ClientIDList><ThumbprintList/><CreateDate>2026-01-01T00:00:00Z</CreateDate>`,
          );
        }
        case "ListRoles":
          return this.paged(
            action,
            form,
            "Roles",
            this.roles.map(
              (r, i) =>
                `<member><Path>${x(r.path)}</Path><RoleName>${x(r.name)}</RoleName><RoleId>AROA${String(i).padStart(17, "0")}</RoleId><Arn>${x(r.arn)}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate><AssumeRolePolicyDocument>${x(encodeURIComponent(JSON.stringify(r.trustPolicy)))}</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration></member>`,
            ),
          );
        case "ListRolePolicies":
          return this.paged(
            action,
            form,
            "PolicyNames",
            Object.keys(roleNamed().inlinePolicies).map((n) => `<member>${x(n)}</member>`),
          );
        case "GetRolePolicy": {
          const role = roleNamed();
          const doc = role.inlinePolicies[form.get("PolicyName") ?? ""];
          if (doc === undefined)
            throw new NoSuchEntity(`The role policy with name ${form.get("PolicyName")} cannot be found.`);
          return ok(
            action,
            `<RoleName>${x(role.name)}</RoleName><PolicyName>${x(form.get("PolicyName")!)}</PolicyName><PolicyDocument>${x(encodeURIComponent(JSON.stringify(doc)))}</PolicyDocument>`,
          );
        }
        case "ListAttachedRolePolicies":
          return this.paged(
            action,
            form,
            "AttachedPolicies",
            roleNamed().attachedPolicyArns.map(
              (a) =>
                `<member><PolicyName>${x(a.split("/").pop()!)}</PolicyName><PolicyArn>${x(a)}</PolicyArn></member>`,
            ),
          );
        default:
          return iamError(400, "InvalidAction", `Could not find operation ${action} for version 2010-05-08`);
      }
    } catch (e) {
      if (e instanceof NoSuchEntity) return iamError(404, "NoSuchEntity", e.message);
      throw e;
    }
  }

  private paged(action: string, form: URLSearchParams, element: string, members: string[]) {
    const size = Math.min(Number(form.get("MaxItems") ?? "100"), this.pageSize);
    const { items, next } = page(members, form.get("Marker"), size);
    const tail =
      next === undefined
        ? "<IsTruncated>false</IsTruncated>"
        : `<IsTruncated>true</IsTruncated><Marker>${next}</Marker>`;
    return ok(action, `<${element}>${items.join("")}</${element}>${tail}`);
  }
}

class NoSuchEntity extends Error {}

const NS = "https://iam.amazonaws.com/doc/2010-05-08/";

function x(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function ok(action: string, result: string) {
  return {
    status: 200,
    headers: { "content-type": "text/xml" },
    body: `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ResponseMetadata></${action}Response>`,
  };
}

/** IAM's error document; `Throttling` comes with 400, `ServiceUnavailable` with 503, `AccessDenied` with 403. */
export function iamError(status: number, code: string, message: string) {
  return {
    status,
    headers: { "content-type": "text/xml" },
    body: `<ErrorResponse xmlns="${NS}"><Error><Type>${status >= 500 ? "Receiver" : "Sender"}</Type><Code>${code}</Code><Message>${x(message)}</Message></Error><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>`,
  };
}
