/** Unit tests run by default; the end-to-end suite joins when SECURECLAW_E2E=1 (set by .ci/run). */
const e2e = process.env.SECURECLAW_E2E === "1";
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/tests", "<rootDir>/policy"],
  testMatch: ["**/*.test.ts"],
  testTimeout: 60000,
  testPathIgnorePatterns: e2e ? ["/node_modules/"] : ["/node_modules/", "<rootDir>/tests/e2e/"],
  transform: { "^.+\\.ts$": ["ts-jest", {}] },
};
