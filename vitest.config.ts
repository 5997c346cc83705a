import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["infra/**/*.test.ts", "scripts/**/*.test.ts", "policies/**/*.test.ts", "test/**/*.test.ts"],
    // Keep the default forks pool: Pulumi's mock runtime is process-global state, one file per process.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
