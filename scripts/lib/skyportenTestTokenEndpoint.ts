import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt, decodeProtectedHeader, jwtVerify, type CryptoKey, type JWTPayload } from "jose";
import { GRANT_CLOCK_TOLERANCE_SECONDS, GRANT_MAX_LIFETIME_SECONDS, JWT_BEARER_GRANT_TYPE } from "../../infra/tokenRequest";
import { TEST_ISSUER, TEST_SCOPE, type LocalIssuer } from "./explainTestIssuer";

/**
 * A local stand-in for Skyporten's token endpoint in tests, on 127.0.0.1 (port 0): it judges a JWT grant the way
 * Maskinporten's protocol describes (https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant and
 * .../maskinporten_protocol_token) and answers with a token minted by the local issuer (explainTestIssuer), so the
 * handover's generated examples can be run end to end without the network.
 */

export interface RegisteredClient {
  clientId: string;
  kid: string;
  publicKey: CryptoKey;
  /** The organization the client belongs to: the minted token's consumer. */
  orgNumber: string;
}

export interface TestTokenEndpoint {
  url: string;
  /** Grants received, decoded (header and claims), accepted or not. */
  grants: { header: Record<string, unknown>; claims: JWTPayload }[];
  close(): Promise<void>;
}

/** The claims Maskinporten's grant lists; any other claim is refused ("Invalid assertion"). */
const GRANT_CLAIMS = new Set(["aud", "iss", "iat", "exp", "jti", "scope", "resource"]);

export async function startTestTokenEndpoint(issuer: LocalIssuer, clients: RegisteredClient[]): Promise<TestTokenEndpoint> {
  const grants: TestTokenEndpoint["grants"] = [];
  const seenJti = new Set<string>();

  async function judge(form: URLSearchParams): Promise<{ status: number; body: Record<string, unknown> }> {
    const refuse = (error: string, description: string) => ({
      status: 400,
      body: { error, error_description: description },
    });
    if (form.get("grant_type") !== JWT_BEARER_GRANT_TYPE) return refuse("unsupported_grant_type", "grant_type");
    const assertion = form.get("assertion") ?? "";
    let header: Record<string, unknown>;
    let claims: JWTPayload;
    try {
      header = decodeProtectedHeader(assertion);
      claims = decodeJwt(assertion);
    } catch {
      return refuse("invalid_grant", "Invalid assertion");
    }
    grants.push({ header, claims });
    if (Object.keys(claims).some((k) => !GRANT_CLAIMS.has(k))) return refuse("invalid_grant", "Invalid assertion");
    if (claims.aud !== TEST_ISSUER) return refuse("invalid_grant", "Invalid JWT claim aud");
    const client = clients.find((c) => c.clientId === claims.iss && c.kid === header.kid);
    if (client === undefined) return refuse("invalid_client", "Unknown client or key");
    try {
      await jwtVerify(assertion, client.publicKey, { algorithms: ["RS256", "RS384", "RS512"] });
    } catch {
      return refuse("invalid_grant", "Invalid assertion signature");
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.iat !== "number" || Math.abs(claims.iat - now) > GRANT_CLOCK_TOLERANCE_SECONDS)
      return refuse("invalid_grant", "Invalid JWT claim iat");
    if (typeof claims.exp !== "number" || claims.exp - claims.iat > GRANT_MAX_LIFETIME_SECONDS)
      return refuse("invalid_grant", "Invalid JWT claim exp");
    if (typeof claims.jti !== "string" || seenJti.has(claims.jti)) return refuse("invalid_grant", "Invalid JWT claim jti");
    seenJti.add(claims.jti);
    if (claims.scope !== TEST_SCOPE) return refuse("invalid_scope", "Invalid scope");
    const resource = claims.resource;
    if (typeof resource !== "string" && !Array.isArray(resource)) return refuse("invalid_grant", "Invalid JWT claim resource");
    const token = await issuer.mint(client.orgNumber, { aud: resource, client_id: client.clientId });
    return { status: 200, body: { access_token: token, token_type: "Bearer", expires_in: 120, scope: TEST_SCOPE } };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const type = req.headers["content-type"] ?? "";
      if (req.method !== "POST" || req.url !== "/token" || !type.startsWith("application/x-www-form-urlencoded"))
        return reply(404, { error: "not_found" });
      judge(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))).then(
        (r) => reply(r.status, r.body),
        () => reply(500, { error: "server_error" }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/token`,
    grants,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
