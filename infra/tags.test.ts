import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { awsTagProblem, azureTagProblem, safeTagValue, TAG_VALUE_MAX_CHARS } from "./tags";

describe("safeTagValue", () => {
  it.each([
    ["Hansen & Sønn (Bergen), AS", "Hansen + Sønn Bergen AS"],
    ["Blåbær Ærøskøbing Øst AS", "Blåbær Ærøskøbing Øst AS"],
    ["Entur AS", "Entur AS"],
    ["Ola's Rør-og-Vann A/S", "Ola s Rør-og-Vann A/S"],
    ["\u0042la\u030abær AS", "Blåbær AS"], // decomposed å composes to one letter
    ["Tab\tand\nnewline\u0000AS", "Tab and newline AS"],
    ["  spaced   out  ", "spaced out"],
    ["Fjord\u202eTrafikk", "Fjord Trafikk"],
  ])("%j -> %j", (name, value) => {
    expect(safeTagValue(name)).toBe(value);
  });

  it("keeps at most 256 characters, counted as characters, not bytes", () => {
    expect(safeTagValue("ø".repeat(300))).toBe("ø".repeat(256));
  });

  it("the raw company name is what IAM would refuse, naming the characters", () => {
    expect(awsTagProblem("partner-name", "Hansen & Sønn (Bergen), AS")).toBe(
      'tag "partner-name" value "Hansen & Sønn (Bergen), AS" has characters AWS refuses ("&", "(", ")", ","); tag values allow only letters, digits, spaces and _.:/=+-@',
    );
    expect(awsTagProblem("partner-name", safeTagValue("Hansen & Sønn (Bergen), AS"))).toBeUndefined();
  });
});

describe("generated company names (property)", () => {
  // Norwegian company names: letters with æøå and accents, digits, the punctuation real names carry, legal forms.
  const word = fc.stringMatching(/^[A-Za-zÆØÅæøåÉéÜü0-9][A-Za-zÆØÅæøåÉéÜü0-9'&.,()\-/]{0,14}$/);
  const companyName = fc
    .tuple(fc.array(word, { minLength: 1, maxLength: 8 }), fc.constantFrom("AS", "ASA", "SA", "ANS", "DA", "NUF", "", "(Bergen), AS"))
    .map(([words, form]) => `${words.join(" ")} ${form}`.trim());
  const anyText = fc.string({ unit: "binary", maxLength: 300 });

  it("become tag values AWS and Azure accept, and stay as they were when already safe", () => {
    fc.assert(
      fc.property(fc.oneof(companyName, anyText), (name) => {
        const value = safeTagValue(name);
        expect(awsTagProblem("partner-name", value)).toBeUndefined();
        expect(azureTagProblem("partner-name", value)).toBeUndefined();
        expect(Array.from(value).length).toBeLessThanOrEqual(TAG_VALUE_MAX_CHARS);
        expect(safeTagValue(value)).toBe(value);
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it("keep every letter and digit of the name, in order", () => {
    fc.assert(
      fc.property(companyName, (name) => {
        const alnum = (s: string) => Array.from(s.normalize("NFC")).filter((c) => /[\p{L}\p{N}]/u.test(c)).join("");
        expect(alnum(safeTagValue(name))).toBe(alnum(name));
      }),
      { numRuns: 300, seed: 8 },
    );
  });
});

describe("what the clouds refuse", () => {
  it.each([
    ["aws:created", "x", 'tag key "aws:created" uses the reserved prefix "aws:"'],
    ["", "x", 'tag key "" must be 1-128 characters'],
    ["name", "a".repeat(257), 'tag "name" is 257 characters; AWS allows at most 256'],
    ["na#me", "x", 'tag key "na#me" has characters AWS refuses ("#")'],
  ])("AWS: %j = %j", (key, value, problem) => {
    expect(awsTagProblem(key, value)).toBe(problem);
  });

  it.each([
    ["a&b", "x", 'tag name "a&b" contains one of < > % & \\ ? / (Azure refuses them in names)'],
    ["name", "ø".repeat(257), 'tag "name" is 257 characters; Azure allows at most 256'],
  ])("Azure: %j = %j", (name, value, problem) => {
    expect(azureTagProblem(name, value)).toBe(problem);
  });

  it("Azure takes any characters in a value", () => {
    expect(azureTagProblem("partner-name", "Hansen & Sønn (Bergen), AS")).toBeUndefined();
  });
});
