/**
 * Tag values the clouds accept, for text that comes from people: Norwegian company names such as
 * "Hansen & Sønn (Bergen), AS" must become tags, never be refused for being real names, and never reach
 * `pulumi up` in a form the cloud refuses.
 *
 * - AWS (IAM TagRole, S3, ...): values match `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, at most 256 characters; keys the same
 *   pattern, 1-128 characters, not starting with `aws:`
 *   (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html, https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html).
 * - Azure Resource Manager: values at most 256 characters; names at most 512 and without `<`, `>`, `%`, `&`, `\`,
 *   `?`, `/` (https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations).
 * A value valid for AWS is valid for Azure, so one safe form serves both clouds.
 */

/** Longest tag value on either cloud, in characters (AWS counts Unicode characters). */
export const TAG_VALUE_MAX_CHARS = 256;
export const AWS_TAG_KEY_MAX_CHARS = 128;
export const AZURE_TAG_NAME_MAX_CHARS = 512;

/** One character AWS allows in a tag key or value. */
const AWS_TAG_CHAR = /[\p{L}\p{Z}\p{N}_.:/=+\-@]/u;
const AWS_TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const AZURE_TAG_NAME_FORBIDDEN = /[<>%&\\?/]/;

/**
 * `text` as a tag value both clouds accept, as close to the original as possible: Unicode-composed (so "ø" is one
 * letter, not o + a combining mark), "&" as "+", every other refused character as a space, runs of spaces as one,
 * trimmed, and at most 256 characters. "Hansen & Sønn (Bergen), AS" becomes "Hansen + Sønn Bergen AS".
 */
export function safeTagValue(text: string): string {
  const composed = text.normalize("NFC").replace(/\p{M}/gu, "");
  let out = "";
  for (const ch of composed) out += ch === "&" ? "+" : AWS_TAG_CHAR.test(ch) ? ch : " ";
  const collapsed = out.replace(/[\s\p{Z}]+/gu, " ").trim();
  return Array.from(collapsed).slice(0, TAG_VALUE_MAX_CHARS).join("").trimEnd();
}

const length = (s: string) => Array.from(s).length;

/** The characters of `text` AWS refuses in a tag, each once, quoted for a message. */
function refused(text: string): string {
  return [...new Set(Array.from(text).filter((c) => !AWS_TAG_CHAR.test(c)))]
    .map((c) => JSON.stringify(c))
    .join(", ");
}

/** Why AWS would refuse this tag, or undefined. */
export function awsTagProblem(key: string, value: string): string | undefined {
  if (length(key) < 1 || length(key) > AWS_TAG_KEY_MAX_CHARS)
    return `tag key ${JSON.stringify(key)} must be 1-${AWS_TAG_KEY_MAX_CHARS} characters`;
  if (key.toLowerCase().startsWith("aws:")) return `tag key ${JSON.stringify(key)} uses the reserved prefix "aws:"`;
  if (!AWS_TAG_TEXT.test(key)) return `tag key ${JSON.stringify(key)} has characters AWS refuses (${refused(key)})`;
  if (length(value) > TAG_VALUE_MAX_CHARS)
    return `tag "${key}" is ${length(value)} characters; AWS allows at most ${TAG_VALUE_MAX_CHARS}`;
  if (!AWS_TAG_TEXT.test(value))
    return `tag "${key}" value ${JSON.stringify(value)} has characters AWS refuses (${refused(value)}); tag values allow only letters, digits, spaces and _.:/=+-@`;
  return undefined;
}

/** Why Azure Resource Manager would refuse this tag, or undefined. */
export function azureTagProblem(name: string, value: string): string | undefined {
  if (length(name) < 1 || length(name) > AZURE_TAG_NAME_MAX_CHARS)
    return `tag name ${JSON.stringify(name)} must be 1-${AZURE_TAG_NAME_MAX_CHARS} characters`;
  if (AZURE_TAG_NAME_FORBIDDEN.test(name)) return `tag name ${JSON.stringify(name)} contains one of < > % & \\ ? / (Azure refuses them in names)`;
  if (length(value) > TAG_VALUE_MAX_CHARS)
    return `tag "${name}" is ${length(value)} characters; Azure allows at most ${TAG_VALUE_MAX_CHARS}`;
  return undefined;
}
