import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type CryptoKey } from "jose";

/**
 * A local stand-in for Skyporten in tests: RS256 keys, an OpenID discovery document and a JWKS served from
 * 127.0.0.1 (port 0), and a minter for tokens shaped like Skyporten's (domain.md "Token claims"). Used by the
 * explain tests only; nothing here talks to the network beyond this machine.
 */

export const TEST_ISSUER = "https://test.sky.maskinporten.no";
export const TEST_AUDIENCE = "https://skyporten.test.banenor.example.no";
export const TEST_SCOPE = "banenor:payloadmanager.storage";
export const KID = "test-key-1";

export interface LocalIssuer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  base: string;
  /** Discovery document naming TEST_ISSUER, whose jwks_uri is on 127.0.0.1. */
  discoveryUrl: string;
  /** A discovery document that names another issuer. */
  wrongIssuerDiscoveryUrl: string;
  /** Answers 500. */
  failingDiscoveryUrl: string;
  /** Never answers (until the server closes). */
  hangingDiscoveryUrl: string;
  /** Requests seen, by path (to prove --verify fetched discovery and JWKS). */
  requests: string[];
  /** A Skyporten-shaped token for an organization, with claims and header overridable (undefined removes). */
  mint(
    orgNumber: string,
    overrides?: Partial<Record<keyof SkyportenClaims, unknown>>,
    opts?: MintOptions,
  ): Promise<string>;
  close(): Promise<void>;
}

export interface SkyportenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  scope: string;
  consumer: { authority: string; ID: string };
  client_amr: string;
  client_id: string;
  iat: number;
  exp: number;
  jti: string;
}

export interface MintOptions {
  /** Sign with a key the JWKS does not publish (a forged token). */
  foreignKey?: boolean;
  kid?: string;
  /** Issue time, seconds since the epoch. Default: now. */
  now?: number;
}

export async function startLocalIssuer(): Promise<LocalIssuer> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const foreign = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: "RS256", use: "sig" };
  const requests: string[] = [];
  let base = "";

  const server = http.createServer((req, res) => {
    const path = req.url ?? "/";
    requests.push(path);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (path === "/.well-known/openid-configuration")
      return json(200, {
        issuer: TEST_ISSUER,
        jwks_uri: `${base}/jwk`,
        token_endpoint: `${TEST_ISSUER}/token`,
      });
    if (path === "/other/.well-known/openid-configuration")
      return json(200, { issuer: "https://sky.maskinporten.no", jwks_uri: `${base}/jwk` });
    if (path === "/failing/.well-known/openid-configuration") return json(500, { error: "server_error" });
    if (path === "/hanging/.well-known/openid-configuration") return; // never answers
    if (path === "/jwk") return json(200, { keys: [jwk] });
    json(404, { error: "not_found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function mint(
    orgNumber: string,
    overrides: Partial<Record<keyof SkyportenClaims, unknown>> = {},
    opts: MintOptions = {},
  ): Promise<string> {
    const now = opts.now ?? Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: TEST_ISSUER,
      sub: `0192:${orgNumber};${TEST_SCOPE}`,
      aud: TEST_AUDIENCE,
      scope: TEST_SCOPE,
      consumer: { authority: "iso6523-actorid-upis", ID: `0192:${orgNumber}` },
      client_amr: "private_key_jwt",
      client_id: "5f0c1d2e-partner-client",
      iat: now,
      exp: now + 120,
      jti: "jti-test",
    };
    for (const [k, v] of Object.entries(overrides)) {
      if (v === undefined) delete claims[k];
      else claims[k] = v;
    }
    const key: CryptoKey = opts.foreignKey === true ? foreign.privateKey : privateKey;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: opts.kid ?? KID, typ: "JWT" })
      .sign(key);
  }

  return {
    base,
    discoveryUrl: `${base}/.well-known/openid-configuration`,
    wrongIssuerDiscoveryUrl: `${base}/other/.well-known/openid-configuration`,
    failingDiscoveryUrl: `${base}/failing/.well-known/openid-configuration`,
    hangingDiscoveryUrl: `${base}/hanging/.well-known/openid-configuration`,
    requests,
    mint,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
