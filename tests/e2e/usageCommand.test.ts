/**
 * The usage command's argument parsing (scripts/usage.ts). Its reading of a
 * live door and of the door's volume is tested on the enclave
 * (enclave.test.ts, "usage"). Runs with the end-to-end suite; needs no engine.
 */
import { parseSince } from "../../scripts/usage";

describe("usage --since", () => {
    const now = new Date("2026-12-03T12:00:00Z");

    test.each([
        ["30m", "2026-12-03T11:30:00.000Z"],
        ["1h", "2026-12-03T11:00:00.000Z"],
        ["2d", "2026-12-01T12:00:00.000Z"],
        ["2026-12-03T09:15:00Z", "2026-12-03T09:15:00.000Z"],
        ["2026-12-03", "2026-12-03T00:00:00.000Z"],
    ])("%s", (text, iso) => {
        expect(parseSince(text, now).toISOString()).toBe(iso);
    });

    test.each(["1", "1w", "-1h", "yesterday", "May 5", ""])("refuses %j, saying what it takes", (text) => {
        expect(() => parseSince(text, now)).toThrow(/--since: expected a duration like 30m, 1h or 2d, or an ISO time/);
    });
});
