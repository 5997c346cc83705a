import { awsRoleName, issuerHost } from "../../infra/naming";
import { SKYPORTEN_ISSUERS } from "../../infra/settings/schema";
import { parsePolicyDocument, type Statement } from "./policyDocument";
import { checkSubject } from "./subject";
import {
  asList,
  asRecord,
  isUnknown,
  show,
  type PolicyContext,
  type PolicyResource,
  type ResourceRule,
} from "./types";

export const IAM_ROLE_TYPE = "aws:iam/role:Role";

const WEB_IDENTITY_ACTION = "sts:AssumeRoleWithWebIdentity";
const PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/(.+)$/;

/**
 * A partner role may be assumed only with a Skyporten token for exactly one organization and the stack's
 * audience: web identity from the Skyporten provider, `StringEquals` with one value on both `<host>:sub` and
 * `<host>:aud`. For generic OIDC providers IAM supports only the `aud` and `sub` claim keys
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif);
 * `StringLike`, wildcards and the ForAnyValue/ForAllValues set operators would let more than one subject in.
 * Deny statements only take access away and are not judged.
 */
export function trustPolicyViolations(resource: PolicyResource, context: PolicyContext): string[] {
  const policy = resource.props.assumeRolePolicy;
  if (isUnknown(policy)) return [];
  if (policy === undefined || policy === null) return ["assumeRolePolicy is not set"];
  const parsed = parsePolicyDocument("assumeRolePolicy", policy);
  if (!parsed.ok) return [parsed.problem];

  const host = issuerHost(SKYPORTEN_ISSUERS[context.environment]);
  const violations: string[] = [];
  for (const statement of parsed.statements) {
    if (statement.raw.Effect !== "Allow") continue;
    violations.push(...statementViolations(statement, host, context, resource.props.name));
  }
  return violations;
}

function statementViolations(
  statement: Statement,
  host: string,
  context: PolicyContext,
  roleName: unknown,
): string[] {
  const { label, raw } = statement;
  const violations: string[] = [];
  for (const key of ["NotPrincipal", "NotAction"]) {
    if (key in raw)
      violations.push(
        `${label} uses ${key}; trust only ${WEB_IDENTITY_ACTION} for the Skyporten provider, listed explicitly`,
      );
  }

  const actions = asList(raw.Action).filter((a) => !isUnknown(a));
  if (actions.length !== 1 || actions[0] !== WEB_IDENTITY_ACTION) {
    violations.push(`${label} allows ${show(raw.Action)}; only "${WEB_IDENTITY_ACTION}" is allowed`);
  }

  const principal = asRecord(raw.Principal);
  const federated = principal === undefined ? [] : asList(principal.Federated);
  const principalKeys = principal === undefined ? [] : Object.keys(principal);
  const providerOk =
    principalKeys.length === 1 &&
    federated.length === 1 &&
    (isUnknown(federated[0]) ||
      (typeof federated[0] === "string" && PROVIDER_ARN.exec(federated[0])?.[1] === host));
  if (!providerOk) {
    const trusted = raw.Principal === undefined ? "names no Principal" : `trusts ${show(raw.Principal)}`;
    violations.push(
      `${label} ${trusted}; only the Skyporten OIDC provider "arn:aws:iam::<account>:oidc-provider/${host}" may be trusted`,
    );
  }

  violations.push(...conditionViolations(statement, host, context, roleName));
  return violations;
}

function conditionViolations(
  statement: Statement,
  host: string,
  context: PolicyContext,
  roleName: unknown,
): string[] {
  const { label, raw } = statement;
  const subKey = `${host}:sub`;
  const audKey = `${host}:aud`;
  const violations: string[] = [];
  const condition = asRecord(raw.Condition) ?? {};
  for (const operator of Object.keys(condition)) {
    if (operator !== "StringEquals") {
      violations.push(
        `${label} uses condition operator "${operator}"; only StringEquals on "${subKey}" and "${audKey}" is allowed (no wildcards or set operators)`,
      );
    }
  }
  const equals = asRecord(condition.StringEquals) ?? {};
  for (const key of Object.keys(equals)) {
    if (key !== subKey && key !== audKey) {
      violations.push(
        `${label} has StringEquals key "${key}"; only "${subKey}" and "${audKey}" are allowed (IAM supports only the sub and aud claims of a generic OIDC provider)`,
      );
    }
  }

  const single = (key: string): string | undefined => {
    const values = asList(equals[key]);
    if (values.length !== 1) {
      violations.push(`${label} condition "${key}" has ${values.length} values; exactly one is allowed`);
      return undefined;
    }
    const value = values[0];
    if (isUnknown(value)) return undefined;
    if (typeof value !== "string") {
      violations.push(`${label} condition "${key}" is ${show(value)}; it must be a string`);
      return undefined;
    }
    if (/[*?]/.test(value)) {
      violations.push(
        `${label} condition "${key}" value "${value}" contains a wildcard; trust one exact value`,
      );
      return undefined;
    }
    return value;
  };

  if (!(subKey in equals)) {
    violations.push(
      `${label} has no StringEquals condition on "${subKey}": any organization's Skyporten token could assume the role`,
    );
  } else {
    const sub = single(subKey);
    if (sub !== undefined) {
      const check = checkSubject(`${label} condition "${subKey}"`, sub);
      if (!check.ok) {
        violations.push(check.problem);
      } else if (typeof roleName === "string" && !isUnknown(roleName)) {
        const expected = awsRoleName(context.nameKey, check.orgNumber);
        if (roleName !== expected) {
          violations.push(
            `${label} trusts organization ${check.orgNumber} but the role is "${roleName}" (expected "${expected}"): organization ${check.orgNumber} could act as another partner`,
          );
        }
      }
    }
  }
  if (!(audKey in equals)) {
    violations.push(
      `${label} has no StringEquals condition on "${audKey}": tokens issued for other audiences could assume the role`,
    );
  } else {
    const aud = single(audKey);
    if (aud !== undefined && aud !== context.audience) {
      violations.push(
        `${label} condition "${audKey}" is "${aud}", not the stack's audience "${context.audience}"`,
      );
    }
  }
  return violations;
}

export const awsTrustPolicyRule: ResourceRule = {
  kind: "resource",
  name: "skyporten-aws-trust-policy",
  description:
    "IAM role trust policies allow only sts:AssumeRoleWithWebIdentity from the stack's Skyporten OIDC provider, with StringEquals on both <issuer host>:sub (one organization, platform scope) and <issuer host>:aud (the stack's audience); no wildcards, other operators or set operators.",
  enforcementLevel: "mandatory",
  resourceTypes: [IAM_ROLE_TYPE],
  validate: trustPolicyViolations,
};
