/**
 * .ci/run's closing line: a run where every test passed but a suite failed
 * to run must not close on "0 failed".
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../support/program";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { closingLine } = require("../../scripts/jest-closing-line.js") as { closingLine(r: object, status: number): string };
const counts = { numPassedTests: 0, numFailedTests: 0, numRuntimeErrorTestSuites: 0, numPendingTests: 0, numTodoTests: 0 };

test.each<[string, object, number, string]>([
    ["all green", { numPassedTests: 751, numPendingTests: 2 }, 0, "jest: 751 passed, 0 failed, 2 skipped"],
    ["failed tests", { numPassedTests: 10, numFailedTests: 2 }, 1, "jest: 10 passed, 2 failed, 0 skipped"],
    ["a suite that failed to run", { numPassedTests: 751, numRuntimeErrorTestSuites: 1 }, 1, "jest: 751 passed, 1 failed, 0 skipped"],
    ["a red exit no count explains", { numPassedTests: 751 }, 1, "jest: 751 passed, 1 failed, 0 skipped"],
    ["todo tests count as skipped", { numPassedTests: 1, numTodoTests: 3 }, 0, "jest: 1 passed, 0 failed, 3 skipped"],
])("%s", (_title, results, status, line) => {
    expect(closingLine({ ...counts, ...results }, status)).toBe(line);
});

test("a real jest run whose suite crashes after its test passed closes on 1 failed", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "closing-")), "results.json");
    const fixture = path.join(REPO_ROOT, "tests", "fixtures", "crashing-suite");
    const run = spawnSync(process.execPath, [require.resolve("jest/bin/jest"), "--config", "jest.fixture.config.js", "--json", "--outputFile", out], { encoding: "utf8", cwd: fixture });
    expect(run.status).not.toBe(0);
    // jest's own summary says "1 passed" and nothing failed: the crash is only in the suite count.
    expect(JSON.parse(fs.readFileSync(out, "utf8"))).toMatchObject({ numPassedTests: 1, numFailedTests: 0, numRuntimeErrorTestSuites: 1 });
    const line = execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts", "jest-closing-line.js"), out, String(run.status)], { encoding: "utf8" }).trim();
    expect(line).toBe("jest: 1 passed, 1 failed, 0 skipped");
}, 60_000);
