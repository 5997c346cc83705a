import { z } from "zod";

/**
 * The partner gateway (`skyporten-onboarding:azure.gateway`): an API Management proxy in front of the storage
 * account that speaks the plain Azure Blob REST API. With a gateway, partners never call the storage account's own
 * endpoints; everything they are told uses the gateway URL and the token audience.
 *
 * Bane NOR's payload manager is such a platform (Bane-NOR/platform-docs, docs/integration/Payload-Manager/
 * User-Guides/Uploading-files-with-skyporten.md): `new BlobServiceClient(new Uri("https://test.api.apps.banenor.no/
 * payload-manager/v1"), credential, new BlobClientOptions { Audience = "https://bnplmextnwesttest.blob.core.windows.net" })`.
 * The gateway validates the Entra token and routes on its audience, so the token must be requested for the storage
 * account's blob endpoint, not for the generic https://storage.azure.com.
 */

/**
 * The gateway's rules that partners must know, with the payload manager's public values as defaults
 * (Bane-NOR/platform-docs, docs/integration/Payload-Manager/Getting-Started/File-and-blob-restrictions.md).
 * Another platform sets its own.
 */
export const PAYLOAD_MANAGER_RULES = {
  /** "kept for a standard of 8 days from creation" (Kafka retention 7 days + 1). */
  retentionDays: 8,
  /** "100 mb per request"; larger files in blocks (Put Block). */
  maxRequestMegabytes: 100,
  /** "This restriction follows the regex [a-zA-Z0-9.-]" ("kjørebok.xlsx" is refused, "kjorebok.xlsx" allowed). */
  fileNameCharacters: "[a-zA-Z0-9.-]",
  /** The allow-list, in the order of the platform's table (its duplicate .bmp listed once). */
  allowedFileTypes: [
    // Text files
    "txt", "csv", "log", "json", "xml", "md",
    // Images
    "jpg", "jpeg", "png", "gif", "bmp", "tiff", "webp",
    // Audio & Video
    "mp3", "wav", "mp4", "avi", "mov", "flac",
    // Office documents
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx",
    // Archives
    "zip", "tar", "gz", "rar",
    // Code files
    "html", "css", "js", "py", "cs",
    // Other
    "vp0", "vspe", "kmm", "kmm2", "hdr",
  ],
} as const;

/** The REST API version the payload manager's own examples send (bruno/Payload-Manager-Examples/Blobs/Create Blob.bru). */
export const PAYLOAD_MANAGER_BLOB_API_VERSION = "2025-01-05";

/** The Entra token audience a gateway routes on by default: the storage account's blob endpoint. */
export function defaultTokenAudience(storageAccountName: string): string {
  return `https://${storageAccountName}.blob.core.windows.net`;
}

const FILE_TYPE = /^[a-z0-9]{1,16}$/;
const RETENTION = "azure.gateway.retentionDays must be a whole number of days, at least 1 (the payload manager keeps files 8 days)";
const MAX_REQUEST =
  "azure.gateway.maxRequestMegabytes must be a whole number of megabytes, at least 1 (the payload manager allows 100 per request)";
const CHARACTERS =
  'azure.gateway.fileNameCharacters must be one regular-expression character class such as "[a-zA-Z0-9.-]"';

/** Whether `text` is one character class that compiles as a JavaScript regular expression. */
function isCharacterClass(text: string): boolean {
  if (!/^\[[^\]]+\]$/.test(text)) return false;
  try {
    new RegExp(`^${text}+$`, "u");
    return true;
  } catch {
    return false;
  }
}

export const GatewaySettingsSchema = z.strictObject(
  {
    /**
     * Base URL of the gateway, e.g. https://test.api.apps.banenor.no/payload-manager/v1: https, no trailing slash
     * (partners append `/<container>/<blob>`), no query or fragment.
     */
    url: z
      .string({ error: "azure.gateway.url must be the gateway's https base URL, e.g. https://test.api.apps.banenor.no/payload-manager/v1" })
      .regex(
        /^https:\/\/[a-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~-]+)*$/,
        "azure.gateway.url must be an https URL without a trailing slash, query or fragment, e.g. https://test.api.apps.banenor.no/payload-manager/v1",
      ),
    /** Audience of the partner's Entra token. Default: https://<storageAccountName>.blob.core.windows.net. */
    tokenAudience: z
      .string({ error: "azure.gateway.tokenAudience must be an https URL such as https://<storageAccountName>.blob.core.windows.net" })
      .regex(
        /^https:\/\/[a-z0-9.-]+(\/[A-Za-z0-9._~-]+)*$/,
        "azure.gateway.tokenAudience must be an https URL without a trailing slash, e.g. https://<storageAccountName>.blob.core.windows.net",
      )
      .optional(),
    /** Why tokenAudience is not the storage account's blob endpoint; required exactly when it is not. */
    tokenAudienceReason: z
      .string({ error: "azure.gateway.tokenAudienceReason must be a sentence saying why the audience differs" })
      .trim()
      .min(1, "azure.gateway.tokenAudienceReason must say why the audience differs")
      .optional(),
    /** Days a file is kept after creation. Default: 8 (the payload manager's). */
    retentionDays: z.number({ error: RETENTION }).int(RETENTION).min(1, RETENTION).default(PAYLOAD_MANAGER_RULES.retentionDays),
    /** Largest request body in megabytes; larger files go in blocks. Default: 100. */
    maxRequestMegabytes: z
      .number({ error: MAX_REQUEST })
      .int(MAX_REQUEST)
      .min(1, MAX_REQUEST)
      .default(PAYLOAD_MANAGER_RULES.maxRequestMegabytes),
    /** The characters allowed in a file name, as a regular-expression character class. Default: [a-zA-Z0-9.-]. */
    fileNameCharacters: z
      .string({ error: CHARACTERS })
      .refine(isCharacterClass, CHARACTERS)
      .default(PAYLOAD_MANAGER_RULES.fileNameCharacters),
    /** Allowed file extensions, lowercase, without the dot. Default: the payload manager's allow-list. */
    allowedFileTypes: z
      .array(
        z
          .string({ error: "azure.gateway.allowedFileTypes entries must be file extensions such as csv" })
          .regex(FILE_TYPE, "azure.gateway.allowedFileTypes entries must be lowercase extensions without the dot, such as csv"),
        { error: "azure.gateway.allowedFileTypes must be a list of file extensions such as [csv, json]" },
      )
      .min(1, "azure.gateway.allowedFileTypes must name at least one file type (remove the key for the default list)")
      .default([...PAYLOAD_MANAGER_RULES.allowedFileTypes]),
  },
  {
    error: (issue: { code?: string }) =>
      issue.code === "invalid_type"
        ? "azure.gateway must be a mapping with url (and optionally tokenAudience), e.g. { url: https://test.api.apps.banenor.no/payload-manager/v1 }"
        : undefined,
  },
);

export type GatewaySettingsInput = z.input<typeof GatewaySettingsSchema>;
/** The gateway with every default filled in (tokenAudience included). */
export type GatewaySettings = Omit<z.output<typeof GatewaySettingsSchema>, "tokenAudience"> & { tokenAudience: string };

/**
 * Problems of the gateway that need the rest of the azure block: the token audience must be the storage account's
 * blob endpoint, because the gateway routes on it, unless tokenAudienceReason says why not. Sees unvalidated values.
 */
export function gatewayProblems(azure: unknown): { path: (string | number)[]; message: string }[] {
  if (typeof azure !== "object" || azure === null) return [];
  const { gateway, storageAccountName } = azure as { gateway?: unknown; storageAccountName?: unknown };
  if (typeof gateway !== "object" || gateway === null || typeof storageAccountName !== "string") return [];
  const { tokenAudience, tokenAudienceReason } = gateway as { tokenAudience?: unknown; tokenAudienceReason?: unknown };
  const expected = defaultTokenAudience(storageAccountName);
  const hasReason = typeof tokenAudienceReason === "string" && tokenAudienceReason.trim() !== "";
  // A malformed audience is reported by the schema alone.
  const wellFormed = GatewaySettingsSchema.shape.tokenAudience.safeParse(tokenAudience).success;
  if (typeof tokenAudience === "string" && wellFormed && tokenAudience !== expected && !hasReason) {
    return [
      {
        path: ["azure", "gateway", "tokenAudience"],
        message:
          `"${tokenAudience}" is not this stack's storage account blob endpoint "${expected}"; the gateway validates the ` +
          `partner's Entra token and routes on its audience, so a token for another audience is refused: remove the key ` +
          `(it defaults to "${expected}") or say why it differs in azure.gateway.tokenAudienceReason`,
      },
    ];
  }
  if ((tokenAudience === undefined || tokenAudience === expected) && tokenAudienceReason !== undefined) {
    return [
      {
        path: ["azure", "gateway", "tokenAudienceReason"],
        message: `there is nothing to explain: the token audience is the default "${expected}"; remove tokenAudienceReason`,
      },
    ];
  }
  return [];
}

/** The azure block with the gateway's token audience defaulted (to the storage account's blob endpoint). */
export function withGatewayDefaults<A extends { storageAccountName: string; gateway?: z.output<typeof GatewaySettingsSchema> }>(
  azure: A,
): Omit<A, "gateway"> & { gateway?: GatewaySettings } {
  const { gateway, ...rest } = azure;
  if (gateway === undefined) return rest;
  return { ...rest, gateway: { ...gateway, tokenAudience: gateway.tokenAudience ?? defaultTokenAudience(azure.storageAccountName) } };
}

/** Whether `fileName` (one path segment) uses only the gateway's allowed characters. */
export function fileNameAllowed(gateway: Pick<GatewaySettings, "fileNameCharacters">, fileName: string): boolean {
  return new RegExp(`^${gateway.fileNameCharacters}+$`, "u").test(fileName);
}
