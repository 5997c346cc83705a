import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import { startLocalIssuer, TEST_ISSUER, TEST_SCOPE, type LocalIssuer, type SkyportenClaims } from "../../explainTestIssuer";
import { JWT_BEARER_GRANT } from "../skyporten";

/**
 * Test stand-in for Skyporten's token endpoint (127.0.0.1, port 0) in front of the explain tests' local issuer
 * (discovery + JWKS): it accepts an RFC 7523 JWT grant the way Maskinporten documents it
 * (https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_token): signature by the client's registered
 * key (`kid`), `aud` exactly the issuer, `iss` the client id, `exp` at most 120 s after `iat`, the scope the client
 * has. Errors are `400 {"error": "invalid_grant" | "invalid_client" | "invalid_scope", "error_description"}`.
 */

export interface RegisteredClient {
  clientId: string;
  kid: string;
  /** SPKI PEM of the client's public key. */
  publicKeyPem: string;
  orgNumber: string;
}

export interface ScriptedAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface SkyportenStandIn {
  issuer: LocalIssuer;
  tokenUrl: string;
  discoveryUrl: string;
  /** Claims the next tokens carry instead of the real ones (e.g. a wrong aud, an old exp). */
  overrides: Partial<Record<keyof SkyportenClaims, unknown>>;
  /** Answers given before the real one, in order (e.g. a 429). */
  script: ScriptedAnswer[];
  /** Stop answering token requests. */
  hang: boolean;
  /** Grants received (decoded claims and header), for assertions. */
  grants: { header: Record<string, unknown>; claims: Record<string, unknown> }[];
  /** Tokens issued (to prove none is printed). */
  issued: string[];
  close(): Promise<void>;
}

export async function startSkyportenStandIn(clients: RegisteredClient[]): Promise<SkyportenStandIn> {
  const issuer = await startLocalIssuer();
  const state: SkyportenStandIn = {
    issuer,
    tokenUrl: "",
    discoveryUrl: issuer.discoveryUrl,
    overrides: {},
    script: [],
    hang: false,
    grants: [],
    issued: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await issuer.close();
    },
  };
  const fail = (res: http.ServerResponse, error: string, description: string) => {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(JSON.stringify({ error, error_description: description }));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        if (req.method !== "POST" || req.url !== "/token") {
          res.writeHead(404).end();
          return;
        }
        if (state.hang) return;
        const scripted = state.script.shift();
        if (scripted !== undefined) {
          res.writeHead(scripted.status, { "content-type": "application/json", ...scripted.headers });
          res.end(JSON.stringify(scripted.body));
          return;
        }
        const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
        if (form.get("grant_type") !== JWT_BEARER_GRANT) return fail(res, "unsupported_grant_type", "grant_type must be jwt-bearer");
        const assertion = form.get("assertion") ?? "";
        let header: Record<string, unknown>;
        try {
          header = decodeProtectedHeader(assertion);
        } catch {
          return fail(res, "invalid_grant", "Invalid assertion");
        }
        const client = clients.find((c) => c.kid === header.kid);
        if (client === undefined) return fail(res, "invalid_client", `Unknown kid ${String(header.kid)}`);
        let claims: Record<string, unknown>;
        try {
          claims = (await jwtVerify(assertion, await importSPKI(client.publicKeyPem, "RS256"), { algorithms: ["RS256"] })).payload;
        } catch {
          return fail(res, "invalid_client", "Signature validation failed");
        }
        state.grants.push({ header, claims });
        if (claims.aud !== TEST_ISSUER) return fail(res, "invalid_grant", `Invalid JWT claim aud: ${JSON.stringify(claims.aud)}`);
        if (claims.iss !== client.clientId) return fail(res, "invalid_client", "The client is not the owner of the key");
        if (typeof claims.exp !== "number" || typeof claims.iat !== "number" || claims.exp - claims.iat > 120)
          return fail(res, "invalid_grant", "Invalid JWT claim exp: at most 120 s after iat");
        if (claims.scope !== TEST_SCOPE) return fail(res, "invalid_scope", `Scope ${String(claims.scope)} is not allowed for the client`);
        if (typeof claims.resource !== "string") return fail(res, "invalid_grant", "resource is required for Skyporten");
        const token = await issuer.mint(client.orgNumber, { aud: claims.resource, client_id: client.clientId, ...state.overrides });
        state.issued.push(token);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 120, scope: TEST_SCOPE }));
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  state.tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return state;
}
