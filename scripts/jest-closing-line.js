#!/usr/bin/env node
// jest-closing-line.js RESULTS.json EXIT_STATUS — prints the run's plain
// closing line, "jest: N passed, N failed, N skipped", from jest's --json
// results. A suite that fails to run (a crash at load time, an uncaught
// error between tests) counts as failed, and so does a non-zero exit that
// no count explains: a red run never closes on "0 failed".
"use strict";
const fs = require("fs");

function closingLine(results, status) {
    let failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    if (failed === 0 && status !== 0) failed = 1;
    const skipped = results.numPendingTests + results.numTodoTests;
    return `jest: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped`;
}

if (require.main === module) {
    const [file, status] = process.argv.slice(2);
    let results;
    try {
        results = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        console.error(`jest left no results in ${file} (${err.message}); counting the run as failed`);
        console.log("jest: 0 passed, 1 failed, 0 skipped");
        process.exit(0);
    }
    console.log(closingLine(results, Number(status)));
}

module.exports = { closingLine };
