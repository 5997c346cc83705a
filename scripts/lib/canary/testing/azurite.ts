import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Test helpers: a self-signed certificate for 127.0.0.1 (openssl), and Azurite (Microsoft's storage emulator,
 * the `azurite` dev dependency) as the real Blob endpoint: in memory, quiet, OAuth "basic" (it checks a bearer
 * token's issuer, audience and lifetime, not its signature), HTTPS with the test certificate, on a free port.
 */

export interface TestCertificate {
  dir: string;
  certFile: string;
  keyFile: string;
  /** PEM of the certificate: the CA clients trust. */
  cert: string;
  key: string;
}

export function makeCertificate(): TestCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "canary-cert-"));
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  try {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
      { stdio: "ignore" },
    );
  } catch {
    throw new Error("the canary tests need openssl on PATH to make a test certificate for 127.0.0.1");
  }
  return { dir, certFile, keyFile, cert: fs.readFileSync(certFile, "utf8"), key: fs.readFileSync(keyFile, "utf8") };
}

export interface Azurite {
  /** https://127.0.0.1:<port> */
  origin: string;
  stop(): Promise<void>;
}

export const AZURITE_ACCOUNT = "devstoreaccount1";

export async function startAzurite(cert: TestCertificate): Promise<Azurite> {
  const main = require.resolve("azurite/dist/src/blob/main.js");
  const child: ChildProcess = spawn(
    process.execPath,
    [
      main,
      "--blobHost", "127.0.0.1",
      "--blobPort", "0",
      "--inMemoryPersistence",
      "--extentMemoryLimit", "64",
      "--silent",
      "--loose",
      "--skipApiVersionCheck",
      "--disableTelemetry",
      "--oauth", "basic",
      "--cert", cert.certFile,
      "--key", cert.keyFile,
    ],
    { stdio: ["ignore", "pipe", "pipe"], cwd: cert.dir },
  );
  const origin = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 20 s:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listens on (https:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}:\n${out}`));
    });
  });
  child.removeAllListeners("exit");
  return {
    origin,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      }),
  };
}
