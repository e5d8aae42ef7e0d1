import { createHmac } from "crypto";
import { doorCredential } from "../../components/door/credentials";

describe("doorCredential", () => {
    const key = "sk-master-0123456789abcdef";

    test("is HMAC-SHA256(master key, \"secureclaw-door:\" + agent), hex, behind an sk-door- prefix", () => {
        const expected = createHmac("sha256", key).update("secureclaw-door:main").digest("hex");
        expect(doorCredential(key, "main")).toBe(`sk-door-${expected}`);
        expect(doorCredential(key, "main")).toMatch(/^sk-door-[0-9a-f]{64}$/);
    });

    test("the same inputs give the same credential (nothing changes between `pulumi up`s)", () => {
        expect(doorCredential(key, "main")).toBe(doorCredential(key, "main"));
    });

    test.each<[string, string, string, string, string]>([
        ["another agent", key, "main", key, "main2"],
        ["another master key (rotating it rotates every credential)", key, "main", `${key}x`, "main"],
        ["a name that only looks like a prefix", key, "a", key, "a-b"],
    ])("%s gets a different credential", (_t, k1, n1, k2, n2) => {
        expect(doorCredential(k1, n1)).not.toBe(doorCredential(k2, n2));
    });

    test("never contains the master key", () => {
        expect(doorCredential(key, "main")).not.toContain(key);
    });

    test("refuses an empty master key (a credential anyone could compute)", () => {
        expect(() => doorCredential("", "main")).toThrow(/empty/);
    });
});
