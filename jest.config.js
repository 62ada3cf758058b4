/**
 * Jest transpiles TypeScript with SWC and does no per-file type checking:
 * `npm run typecheck` (tsc --noEmit) checks the whole project once. The
 * provider's type definitions are large; type-checking each test file
 * separately would multiply their cost.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } }, module: { type: "commonjs" } }],
  },
  globalSetup: "<rootDir>/__tests__/global-setup.ts",
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  testTimeout: 30000,
  // One worker per core (jest's default leaves one core free): much of the suite waits on Terraform and
  // moto processes, so both cores of a 2-core machine stay busy (npm test: 575 s with 1 worker, 430 s with 2).
  maxWorkers: "100%",
};
