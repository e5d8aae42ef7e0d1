import { imagesDigestAdvised, imagesPinned } from "../policies";
import { parseImageRef, pinLevel } from "../contract/imageRef";
import { T } from "../policies/util";
import { compliantStack, mutated } from "./fixtures";
import { violationsOf } from "./harness";

const DIGEST = `sha256:${"0f".repeat(32)}`;

describe("image reference parsing", () => {
    test.each<[string, ReturnType<typeof pinLevel>]>([
        [`sha256:${"ab".repeat(32)}`, "id"],
        ["vllm/vllm-openai:v0.11.0", "tag"],
        ["ghcr.io/berriai/litellm:v1.83.14-stable", "tag"],
        [`vllm/vllm-openai@${DIGEST}`, "digest"],
        [`vllm/vllm-openai:v0.11.0@${DIGEST}`, "digest"],
        ["localhost:5000/squid", "none"],
        ["localhost:5000/squid:6.6", "tag"],
        ["ubuntu/squid", "none"],
        ["ubuntu/squid:latest", "moving"],
        ["ghcr.io/berriai/litellm:main-latest", "moving"],
        ["busybox:stable", "moving"],
        ["vllm/vllm-openai:nightly", "moving"],
        ["vllm/vllm-openai@sha256:abc", "bad-digest"],
    ])("%s is %s", (ref, level) => {
        expect(pinLevel(ref)).toBe(level);
    });

    test("a registry port is not a tag", () => {
        expect(parseImageRef("localhost:5000/a/b")).toEqual({ repository: "localhost:5000/a/b" });
    });
});

describe("images-pinned", () => {
    test("every compliant container and remote image passes", async () => {
        for (const r of compliantStack().filter((x) => x.type === T.container || x.type === T.remoteImage)) {
            expect(await violationsOf(imagesPinned, r)).toEqual([]);
        }
    });

    test.each<[string, string, (i: Record<string, any>) => void, string]>([
        ["untagged container image", "vllm", (i) => (i.image = "vllm/vllm-openai"), 'container image "vllm/vllm-openai" is not pinned: set image to "vllm/vllm-openai:<version>" or "vllm/vllm-openai@sha256:<digest>"; without a tag Docker pulls :latest, which changes under you'],
        ["latest container image", "egress-proxy", (i) => (i.image = "ubuntu/squid:latest"), 'container image "ubuntu/squid:latest" uses the moving tag "latest": set image to a release tag or a digest, "ubuntu/squid:<version>" or "ubuntu/squid@sha256:<digest>"'],
        ["main-latest (the original's LiteLLM tag)", "model-gateway", (i) => (i.image = "ghcr.io/berriai/litellm:main-latest"), 'container image "ghcr.io/berriai/litellm:main-latest" uses the moving tag "main-latest"'],
        ["untagged remote image", "litellm-image", (i) => (i.name = "ghcr.io/berriai/litellm"), 'remote image "ghcr.io/berriai/litellm" is not pinned: set name to "ghcr.io/berriai/litellm:<version>" or "ghcr.io/berriai/litellm@sha256:<digest>"'],
        ["latest remote image", "vllm-image", (i) => (i.name = "vllm/vllm-openai:latest"), 'remote image "vllm/vllm-openai:latest" uses the moving tag "latest": set name to a release tag or a digest'],
        ["malformed digest", "vllm-image", (i) => (i.name = "vllm/vllm-openai@sha256:1234"), 'remote image "vllm/vllm-openai@sha256:1234" has a malformed digest: set name to "vllm/vllm-openai@sha256:<64 hex digits>"'],
    ])("%s is refused", async (_l, name, mutate, expected) => {
        const violations = await violationsOf(imagesPinned, mutated(name, mutate));
        expect(violations).toEqual([expect.stringContaining(expected)]);
    });

    test("requireDigests: true refuses a tag alone and accepts a digest", async () => {
        const tagged = mutated("vllm-image", () => undefined);
        expect(await violationsOf(imagesPinned, tagged, { requireDigests: true })).toEqual([
            'remote image "vllm/vllm-openai:v0.11.0" is pinned by tag only and this stack requires digests (requireDigests: true): set name to "vllm/vllm-openai:v0.11.0@sha256:<digest>" (`docker buildx imagetools inspect vllm/vllm-openai:v0.11.0` prints the digest)',
        ]);
        const digested = mutated("vllm-image", (i) => (i.name = `vllm/vllm-openai:v0.11.0@${DIGEST}`));
        expect(await violationsOf(imagesPinned, digested, { requireDigests: true })).toEqual([]);
        const byId = mutated("agent", () => undefined);
        expect(await violationsOf(imagesPinned, byId, { requireDigests: true })).toEqual([]);
    });

    test("requireDigests defaults to false (from the config schema)", async () => {
        expect(await violationsOf(imagesPinned, mutated("vllm-image", () => undefined))).toEqual([]);
    });
});

describe("images-digest-advised (advisory)", () => {
    test("is advisory", () => {
        expect(imagesDigestAdvised.policy.enforcementLevel).toBe("advisory");
    });

    test("warns about a tag-only reference", async () => {
        expect(await violationsOf(imagesDigestAdvised, mutated("litellm-image", () => undefined))).toEqual([
            'remote image "ghcr.io/berriai/litellm:v1.83.14-stable" is pinned by tag only; a tag can be re-pointed by whoever controls the registry: prefer "ghcr.io/berriai/litellm:v1.83.14-stable@sha256:<digest>"',
        ]);
    });

    test("is quiet for image IDs and digests", async () => {
        expect(await violationsOf(imagesDigestAdvised, mutated("agent", () => undefined))).toEqual([]);
        expect(await violationsOf(imagesDigestAdvised, mutated("vllm-image", (i) => (i.name = `vllm/vllm-openai@${DIGEST}`)))).toEqual([]);
    });
});
