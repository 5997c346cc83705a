import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, decodeJwt, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import type { ScriptedAnswer } from "./skyportenStandIn";
import type { TestCertificate } from "./azurite";

/**
 * Test stand-in for Entra ID's token endpoint (HTTPS on 127.0.0.1 with the test certificate: MSAL refuses plain
 * http authorities). It implements the client-credentials grant with a federated assertion
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#third-case-access-token-request-with-a-federated-credential):
 * `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, the assertion verified against
 * the issuer's JWKS and matched exactly against the identity's federated credential, answering Entra's codes
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes): AADSTS700016 unknown client,
 * AADSTS700024 expired, AADSTS700211 issuer, AADSTS700212 audience, AADSTS700213 subject, AADSTS700027 signature.
 * Issued tokens look like Entra's v1 tokens for a resource (iss https://sts.windows.net/<tenant>/, aud = resource).
 */

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface FederatedIdentity {
  clientId: string;
  principalId: string;
  /** The one federated credential: issuer, subject, audience (exact). */
  issuer: string;
  subject: string;
  audience: string;
  /** JWKS of the issuer (the local Skyporten issuer's /jwk). */
  jwksUrl: string;
}

export interface EntraStandIn {
  /** https://127.0.0.1:<port> (the authority host). */
  authorityHost: string;
  /** JWKS of the tokens it issues (for the gateway stand-in). */
  jwksUrl: string;
  jwks: { keys: Record<string, unknown>[] };
  tenantId: string;
  identities: FederatedIdentity[];
  /** Seconds added to the stand-in's clock (a runner whose clock is behind: the token looks expired). */
  clockOffsetSeconds: number;
  /** Answer AADSTS70021 this many times first (a credential still replicating). */
  replicationDelays: number;
  script: ScriptedAnswer[];
  hang: boolean;
  /** Requests to the token endpoint (form fields without the assertion). */
  requests: Record<string, string>[];
  issued: string[];
  close(): Promise<void>;
}

function entraError(code: number, message: string): ScriptedAnswer {
  return {
    status: 400,
    body: {
      error: code === 700016 ? "unauthorized_client" : "invalid_client",
      error_description: `AADSTS${code}: ${message} Trace ID: 00000000-0000-0000-0000-000000000000 Correlation ID: 00000000-0000-0000-0000-000000000000 Timestamp: 2026-12-02 07:00:00Z`,
      error_codes: [code],
      timestamp: "2026-12-02 07:00:00Z",
      trace_id: "00000000-0000-0000-0000-000000000000",
      correlation_id: "00000000-0000-0000-0000-000000000000",
    },
  };
}

export async function startEntraStandIn(cert: TestCertificate, tenantId: string, identities: FederatedIdentity[]): Promise<EntraStandIn> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "entra-test", alg: "RS256", use: "sig" };
  let base = "";
  const state: EntraStandIn = {
    authorityHost: "",
    jwksUrl: "",
    jwks: { keys: [jwk] },
    tenantId,
    identities,
    replicationDelays: 0,
    clockOffsetSeconds: 0,
    script: [],
    hang: false,
    requests: [],
    issued: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  async function answerToken(form: URLSearchParams): Promise<ScriptedAnswer> {
    const fields = Object.fromEntries([...form.entries()].filter(([k]) => k !== "client_assertion"));
    state.requests.push(fields);
    if (form.get("grant_type") !== "client_credentials") return entraError(900144, "The request body must contain the following parameter: 'grant_type'.");
    if (form.get("client_assertion_type") !== CLIENT_ASSERTION_TYPE)
      return entraError(7000274, "The client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.");
    const identity = state.identities.find((i) => i.clientId === form.get("client_id"));
    if (identity === undefined)
      return entraError(700016, `Application with identifier '${form.get("client_id")}' was not found in the directory '${tenantId}'.`);
    if (state.replicationDelays > 0) {
      state.replicationDelays--;
      return entraError(70021, "No matching federated identity record found for presented assertion.");
    }
    const assertion = form.get("client_assertion") ?? "";
    let claims: Record<string, unknown>;
    try {
      claims = decodeJwt(assertion);
    } catch {
      return entraError(50027, "JWT token is invalid or malformed.");
    }
    if (typeof claims.exp !== "number" || claims.exp * 1000 <= Date.now() + state.clockOffsetSeconds * 1000)
      return entraError(700024, "Client assertion is not within its valid time range.");
    if (claims.iss !== identity.issuer)
      return entraError(700211, `No matching federated identity record found for presented assertion issuer '${String(claims.iss)}'.`);
    try {
      await jwtVerify(assertion, createRemoteJWKSet(new URL(identity.jwksUrl)), { algorithms: ["RS256"] });
    } catch {
      return entraError(700027, "Client assertion contains an invalid signature.");
    }
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(identity.audience))
      return entraError(700212, `No matching federated identity record found for presented assertion audience '${String(claims.aud)}'.`);
    if (claims.sub !== identity.subject)
      return entraError(700213, `No matching federated identity record found for presented assertion subject '${String(claims.sub)}'.`);
    const scope = form.get("scope") ?? "";
    const resource = scope.replace(/\/\.default$/, "");
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ appid: identity.clientId, oid: identity.principalId, tid: tenantId, ver: "1.0" })
      .setProtectedHeader({ alg: "RS256", kid: jwk.kid, typ: "JWT" })
      .setIssuer(`https://sts.windows.net/${tenantId}/`)
      .setAudience(resource)
      .setSubject(identity.principalId)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
    state.issued.push(token);
    return { status: 200, body: { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: token } };
  }

  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url ?? "/", base);
        const send = (a: ScriptedAnswer) => {
          res.writeHead(a.status, { "content-type": "application/json", ...a.headers });
          res.end(JSON.stringify(a.body));
        };
        if (req.method === "GET" && url.pathname === `/${tenantId}/v2.0/.well-known/openid-configuration`) {
          return send({
            status: 200,
            body: {
              issuer: `${base}/${tenantId}/v2.0`,
              token_endpoint: `${base}/${tenantId}/oauth2/v2.0/token`,
              authorization_endpoint: `${base}/${tenantId}/oauth2/v2.0/authorize`,
              end_session_endpoint: `${base}/${tenantId}/oauth2/v2.0/logout`,
              jwks_uri: state.jwksUrl,
              token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
              response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
              subject_types_supported: ["pairwise"],
              id_token_signing_alg_values_supported: ["RS256"],
            },
          });
        }
        if (req.method === "GET" && url.pathname === `/${tenantId}/discovery/v2.0/keys`) return send({ status: 200, body: { keys: [jwk] } });
        if (req.method === "POST" && url.pathname === `/${tenantId}/oauth2/v2.0/token`) {
          if (state.hang) return;
          const scripted = state.script.shift();
          if (scripted !== undefined) return send(scripted);
          return send(await answerToken(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))));
        }
        send({ status: 404, body: entraError(90002, `Tenant '${url.pathname.split("/")[1]}' not found.`).body });
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.authorityHost = base;
  state.jwksUrl = `${base}/${tenantId}/discovery/v2.0/keys`;
  return state;
}
