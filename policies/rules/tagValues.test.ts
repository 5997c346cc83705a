import { describe, expect, it } from "vitest";
import { compliantStack, iamRole, identity, tags, testContext, trustDocument } from "./fixtures";
import { evaluatePolicies } from "./index";
import { tagValueViolations } from "./tagValues";
import { UNKNOWN } from "./types";

describe("skyporten-tag-values", () => {
  it("finds nothing in the compliant stack", () => {
    expect(tagValueViolations(compliantStack())).toEqual([]);
  });

  it("refuses an IAM role tag value IAM would refuse, naming the characters and the fix", () => {
    const role = { ...iamRole([trustDocument()]) };
    role.props = { ...role.props, tags: { ...tags(), "partner-name": "Hansen & Sønn (Bergen), AS" } };
    expect(evaluatePolicies([role], testContext).filter((v) => v.policy === "skyporten-tag-values")).toEqual([
      {
        policy: "skyporten-tag-values",
        level: "mandatory",
        urn: role.urn,
        message:
          'tag "partner-name" value "Hansen & Sønn (Bergen), AS" has characters AWS refuses ("&", "(", ")", ","); tag values allow only letters, digits, spaces and _.:/=+-@: AWS refuses it at pulumi up; make the value safe with safeTagValue (infra/tags.ts)',
      },
    ]);
  });

  it("takes the same name on an Azure identity (Azure allows any value), but refuses a forbidden tag name", () => {
    const ok = identity({ tags: tags({ "partner-name": "Hansen & Sønn (Bergen), AS" }) });
    expect(tagValueViolations([ok])).toEqual([]);
    const bad = identity({ tags: tags({ "a&b": "x" }) });
    expect(tagValueViolations([bad])).toEqual([
      {
        urn: bad.urn,
        message:
          'tag name "a&b" contains one of < > % & \\ ? / (Azure refuses them in names): Azure refuses it at pulumi up; make the value safe with safeTagValue (infra/tags.ts)',
      },
    ]);
  });

  it("judges unknown values once they are known", () => {
    const role = iamRole([trustDocument()]);
    expect(tagValueViolations([{ ...role, props: { ...role.props, tags: UNKNOWN } }])).toEqual([]);
    expect(tagValueViolations([{ ...role, props: { ...role.props, tags: { "partner-name": UNKNOWN } } }])).toEqual([]);
  });
});
