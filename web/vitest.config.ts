import path from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const alias = { "@": path.resolve(import.meta.dirname, "src"), "@server": path.resolve(import.meta.dirname, "../server/src") };

export default defineConfig({
  test: {
    // The same plain `tests: N passed, N failed` closing line as the server suite, for CI's log reader.
    reporters: ["default", "../server/test/summary-reporter.ts"],
    projects: [
      {
        plugins: [react()],
        resolve: { alias },
        test: { name: "unit", environment: "jsdom", include: ["src/**/*.test.{ts,tsx}"] },
      },
      {
        resolve: { alias },
        test: {
          name: "e2e",
          environment: "node",
          include: ["e2e/**/*.test.ts"],
          // A real server, kernels and Chromium on a small shared machine: generous limits, one file at a time.
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
