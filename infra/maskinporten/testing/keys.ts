import { generateKeyPairSync, type KeyObject } from "node:crypto";

/** A throwaway RSA key pair for the admin client, generated per test process (never a fixture on disk). */
export interface TestKey {
  pem: string;
  publicKey: KeyObject;
  /** A run of the PEM body that must never show up in any output, error or log. */
  fingerprint: string;
}

export function testKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const body = pem.split("\n").slice(1, -2).join("");
  return { pem, publicKey, fingerprint: body.slice(100, 140) };
}

/** Every 24-character run of the key's base64 body: finds the key even when an output is wrapped or truncated. */
export function keyFragments(pem: string): string[] {
  const body = pem
    .split("\n")
    .filter((l) => !l.startsWith("-----"))
    .join("");
  const fragments: string[] = [];
  for (let i = 0; i + 24 <= body.length; i += 24) fragments.push(body.slice(i, i + 24));
  return fragments;
}
