/**
 * The realizing harness, proved on this machine with a tiny program
 * (harness/fixtures/tinyProgram.ts) instead of SecureClaw's images: real
 * containers come out with the program's inputs, and re-runs update, replace
 * and delete exactly where @pulumi/docker and @pulumi/command would.
 *
 * Runs only with SECURECLAW_E2E=1 (jest.config.js). Needs a Docker engine
 * and the local image debian:bookworm-slim (scripts/make-base-images.sh).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../support/program";
import { destroy, leftovers, purgeLabelled, readState, realize, RealizeHooks, RealizeResult, ResourceReport, UnexpectedChangesError } from "./harness";
import { containerEvents } from "./support";

jest.setTimeout(120_000);

const STACK = "harnesstest";
const PREFIX = `secureclaw-${STACK}`;
const PROGRAM = path.join(__dirname, "harness", "fixtures", "tinyProgram.ts");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "secureclaw-harnesstest-"));
const stateDir = path.join(tmp, "state");
const outFile = path.join(tmp, "record.txt");
const BASE = { memory: 64, upload: "first", tmpfsMb: 16, outFile };
const SSH_STACK = "harnessssh";
const SSH_PREFIX = `secureclaw-${SSH_STACK}`;

function up(over: Record<string, unknown> = {}, greeting = "hello"): Promise<RealizeResult> {
    return realize(STACK, { harness: { ...BASE, ...over } }, { greeting }, {}, { program: PROGRAM, stateDir, cwd: REPO_ROOT });
}

function docker(...args: string[]): string {
    return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

function dockerFails(...args: string[]): string {
    try {
        execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
        return String((err as { stderr?: string }).stderr ?? err);
    }
    throw new Error(`docker ${args.join(" ")} succeeded but should have failed`);
}

function inspect(id: string): any {
    return JSON.parse(docker("inspect", id))[0];
}

function one(result: RealizeResult, name: string): ResourceReport {
    const found = result.resources.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
    return found[0];
}

function actions(result: RealizeResult): Record<string, string> {
    return Object.fromEntries(result.resources.map((r) => [r.name, r.action]));
}

beforeAll(async () => {
    if (docker("image", "ls", "-q", "debian:bookworm-slim") === "") {
        throw new Error("debian:bookworm-slim is not on this engine; run scripts/make-base-images.sh first");
    }
    await purgeLabelled(PREFIX);
});

afterAll(async () => {
    await destroy(STACK, { stateDir, purgeRetained: true }).catch(() => undefined);
    await purgeLabelled(PREFIX);
    await purgeLabelled(SSH_PREFIX);
    fs.rmSync(tmp, { recursive: true, force: true });
});

describe("the realizing harness on a tiny program", () => {
    let first: RealizeResult;
    let serviceId: string;
    let writerId: string;

    test("a first run creates every resource for real, from the program's inputs", async () => {
        first = await up();
        expect(new Set(Object.values(actions(first)))).toEqual(new Set(["create"]));
        serviceId = one(first, "tiny-service").id;
        writerId = one(first, "tiny-writer").id;

        const svc = inspect(serviceId);
        expect(svc.HostConfig.CapDrop).toEqual(["ALL"]);
        expect(svc.HostConfig.ReadonlyRootfs).toBe(true);
        expect(svc.HostConfig.SecurityOpt).toEqual(["no-new-privileges:true"]);
        expect(svc.HostConfig.Privileged).toBe(false);
        expect(svc.HostConfig.Memory).toBe(64 * 1024 * 1024);
        expect(svc.HostConfig.MemorySwap).toBe(64 * 1024 * 1024);
        expect(svc.HostConfig.NanoCpus).toBe(500_000_000);
        expect(svc.HostConfig.Tmpfs).toEqual({ "/tmp": "rw,nosuid,nodev,size=16m" });
        expect(svc.HostConfig.Init).toBe(true);
        expect(svc.HostConfig.Ulimits).toEqual([{ Name: "nofile", Soft: 1024, Hard: 2048 }]);
        expect(svc.HostConfig.Sysctls).toEqual({ "net.ipv6.conf.all.disable_ipv6": "1" });
        expect(svc.HostConfig.Dns).toEqual(["10.213.77.250"]);
        expect(svc.HostConfig.ExtraHosts).toEqual(["pinned.example:10.213.77.200"]);
        expect(svc.HostConfig.LogConfig).toEqual({ Type: "json-file", Config: { "max-size": "1m", "max-file": "2" } });
        expect(svc.HostConfig.RestartPolicy.Name).toBe("unless-stopped");
        expect(svc.Config.User).toBe("65534:65534");
        expect(svc.Config.Env).toContain("GREETING=hello");
        // Exec form, not CMD-SHELL (what `docker create --health-cmd` would have made of it).
        expect(svc.Config.Healthcheck.Test).toEqual(["CMD", "test", "-f", "/config/hello.txt"]);
        expect(svc.Config.Labels["secureclaw.stack"]).toBe(PREFIX);
        expect(svc.State.Health.Status).toBe("healthy"); // wait: true waited for it
        expect(Object.keys(svc.NetworkSettings.Networks)).toEqual([`${PREFIX}-net`]);
        expect(svc.NetworkSettings.Networks[`${PREFIX}-net`].IPAddress).toBe("10.213.77.10");
        expect(svc.NetworkSettings.Networks[`${PREFIX}-net`].Aliases).toContain("svc");
        expect(one(first, "tiny-service").outputs.networkDatas).toEqual([
            expect.objectContaining({ networkName: `${PREFIX}-net`, ipAddress: "10.213.77.10" }),
        ]);

        const net = JSON.parse(docker("network", "inspect", `${PREFIX}-net`))[0];
        expect(net.Internal).toBe(true);
        expect(net.IPAM.Config).toEqual([{ Subnet: "10.213.77.0/24", IPRange: "10.213.77.128/25", Gateway: "10.213.77.1" }]);

        // The writer: never started, autonamed like Pulumi does.
        const writer = inspect(writerId);
        expect(writer.State.Status).toBe("created");
        expect(writer.Name).toMatch(/^\/tiny-writer-[0-9a-f]{7}$/);
        expect(first.outputs.writerName).toBe(writer.Name.slice(1));

        // What it uploaded is in the volume, read-only for the service.
        expect(docker("exec", serviceId, "cat", "/config/hello.txt")).toBe("first");
        expect(docker("exec", serviceId, "stat", "-c", "%a %u", "/config/sub/dir/run.sh")).toBe("744 0");
        expect(dockerFails("exec", serviceId, "sh", "-c", "echo x > /config/hello.txt")).toMatch(/Read-only file system/);
        expect(dockerFails("exec", serviceId, "touch", "/root-is-read-only")).toMatch(/Read-only file system/);

        // The image was built with the host CA as the optional build secret, which stayed out of the image.
        expect(docker("exec", serviceId, "cat", "/build-ca-seen")).toBe("build CA present");
        expect(dockerFails("exec", serviceId, "ls", "/run/secrets/build_ca")).toMatch(/No such file/);
        expect(svc.Image).toBe(one(first, "tiny-image").outputs.repoDigest);

        // dependsOn alone orders the probe after the writer.
        expect(one(first, "tiny-probe").startedAt).toBeGreaterThanOrEqual(one(first, "tiny-writer").finishedAt);
        expect(one(first, "tiny-service").startedAt).toBeGreaterThanOrEqual(one(first, "tiny-writer").finishedAt);
        expect(first.outputs.probeOut).toBe("probe");

        // The local command ran with its environment and standard input.
        expect(fs.readFileSync(outFile, "utf8")).toBe(`service=${serviceId}\n`);
        expect(first.outputs.serviceId).toBe(serviceId);
    });

    test("the same config again changes nothing", async () => {
        const again = await up();
        expect(new Set(Object.values(actions(again)))).toEqual(new Set(["same"]));
        expect(one(again, "tiny-service").id).toBe(serviceId);
        expect(again.deleted).toEqual([]);
    });

    test("a memory change updates the container in place (same ID)", async () => {
        const run = await up({ memory: 96 });
        expect(one(run, "tiny-service")).toMatchObject({ action: "update", id: serviceId, changed: ["memory", "memorySwap"] });
        expect(one(run, "tiny-record").action).toBe("same");
        const svc = inspect(serviceId);
        expect(svc.HostConfig.Memory).toBe(96 * 1024 * 1024);
        expect(svc.HostConfig.MemorySwap).toBe(96 * 1024 * 1024);
    });

    test("a tmpfs change is an in-place update the provider never applies (mirrored, with a note)", async () => {
        const run = await up({ memory: 96, tmpfsMb: 32 });
        expect(one(run, "tiny-service")).toMatchObject({ action: "update", id: serviceId, changed: ["tmpfs"] });
        expect(run.notes.join("\n")).toMatch(/tiny-service: tmpfs changed/);
        expect(inspect(serviceId).HostConfig.Tmpfs).toEqual({ "/tmp": "rw,nosuid,nodev,size=16m" });
    });

    test("an env change replaces the container (new ID), delete-first, and replaces what it triggers", async () => {
        const run = await up({ memory: 96, tmpfsMb: 32 }, "bonjour");
        const svc = one(run, "tiny-service");
        expect(svc.action).toBe("replace");
        expect(svc.changed).toEqual(["envs"]);
        expect(svc.id).not.toBe(serviceId);
        expect(dockerFails("inspect", serviceId)).toMatch(/No such object/);
        const fresh = inspect(svc.id);
        expect(fresh.Config.Env).toContain("GREETING=bonjour");
        expect(fresh.HostConfig.Tmpfs).toEqual({ "/tmp": "rw,nosuid,nodev,size=32m" });
        expect(one(run, "tiny-record").action).toBe("replace");
        expect(fs.readFileSync(outFile, "utf8")).toBe(`service=${svc.id}\n`);
        // Without deleteBeforeReplace a command is replaced create-first; the old one's delete runs at the end.
        expect(one(run, "tiny-log").action).toBe("replace");
        expect(fs.readFileSync(`${outFile}.log`, "utf8")).toBe(`create ${serviceId}\ncreate ${svc.id}\ndelete ${serviceId}\n`);
        expect(run.deleted).toEqual([expect.objectContaining({ name: "tiny-log", retained: false })]);
        expect(one(run, "tiny-writer").action).toBe("same");
        serviceId = svc.id;
    });

    test("an upload change replaces only the writer; the running service sees the new file", async () => {
        const run = await up({ memory: 96, tmpfsMb: 32, upload: "second" }, "bonjour");
        const writer = one(run, "tiny-writer");
        expect(writer).toMatchObject({ action: "replace", changed: ["uploads"] });
        expect(writer.id).not.toBe(writerId);
        expect(dockerFails("inspect", writerId)).toMatch(/No such object/);
        expect(inspect(writer.id).Name).toMatch(/^\/tiny-writer-[0-9a-f]{7}$/);
        expect(one(run, "tiny-service")).toMatchObject({ action: "same", id: serviceId });
        expect(docker("exec", serviceId, "cat", "/config/hello.txt")).toBe("second");
    });

    test("a resource removed from the program is deleted", async () => {
        const withExtra = await up({ memory: 96, tmpfsMb: 32, upload: "second", extra: true }, "bonjour");
        const extra = one(withExtra, "tiny-extra");
        expect(extra.action).toBe("create");
        expect(inspect(extra.id).State.Status).toBe("created");

        const without = await up({ memory: 96, tmpfsMb: 32, upload: "second" }, "bonjour");
        expect(without.deleted).toEqual([{ type: "docker:index/container:Container", name: "tiny-extra", id: extra.id, retained: false }]);
        expect(dockerFails("inspect", extra.id)).toMatch(/No such object/);
        expect(readState(STACK, stateDir).resources.map((r) => r.name)).not.toContain("tiny-extra");
    });

    test.each<[string, RegExp]>([
        ["gpus", /tiny-gpu: gpus="all" asks for GPUs, but this machine has none/],
        ["deviceCgroupRules", /tiny-cgroup-rules: input "deviceCgroupRules" is set but the harness does not implement it/],
        ["missingImage", /image secureclaw\/not-made-yet:0 is not on this Docker engine.*scripts\/make-base-images\.sh/s],
    ])("an unsupported or impossible input (%s) fails the run loudly", async (unsupported, message) => {
        await expect(up({ memory: 96, tmpfsMb: 32, upload: "second", unsupported }, "bonjour")).rejects.toThrow(message);
        // Nothing of the failed run's other resources changed.
        expect(inspect(serviceId).State.Running).toBe(true);
    });

    test("the engine refuses an upload into a read-only root, even when the file lands in a volume", async () => {
        await expect(up({ memory: 96, tmpfsMb: 32, upload: "second", readOnlyUpload: true }, "bonjour")).rejects.toThrow(
            /tiny-ro-upload: .*Unable to upload volume content \(\/config\/into-volume\.txt\).*container rootfs is marked read-only/s,
        );
        // The half-created container is in the state (tainted), so the next run removes it.
        const tainted = readState(STACK, stateDir).resources.find((r) => r.name === "tiny-ro-upload");
        expect(tainted?.tainted).toBe(true);
        const next = await up({ memory: 96, tmpfsMb: 32, upload: "second" }, "bonjour");
        expect(next.deleted.map((d) => d.name)).toEqual(["tiny-ro-upload"]);
        expect(dockerFails("inspect", tainted!.id)).toMatch(/No such object/);
    });

    test("destroy leaves nothing behind", async () => {
        const result = await destroy(STACK, { stateDir });
        expect(result.deleted.map((d) => d.name)).toEqual(expect.arrayContaining(["tiny-service", "tiny-writer", "tiny-net", "tiny-config", "tiny-record"]));
        expect(await leftovers(PREFIX)).toEqual({ containers: [], networks: [], volumes: [] });
        expect(fs.existsSync(path.join(stateDir, `${STACK}.json`))).toBe(false);
        expect(fs.existsSync(outFile)).toBe(false); // the command's delete ran
    });
});

/**
 * The provider's Read stores some inputs in its own form (cpus "1" as "1.0",
 * durations "60s" as "1m0s"), and the next run diffs the program against
 * that. A second `up` is a no-op only for a program that writes those forms;
 * expectNoChanges (`up --expect-no-changes`) proves it or names the input.
 */
describe("inputs the provider reads back in its own form", () => {
    const CANON_STACK = "harnesscanon";
    const CANON_PREFIX = `secureclaw-${CANON_STACK}`;
    const CANON_BASE = { ...BASE, outFile: path.join(tmp, "canon-record.txt"), subnetOctet: 79, lateStart: true };
    const upCanon = (over: Record<string, unknown>, options: { refresh?: boolean; expectNoChanges?: boolean } = {}) =>
        realize(CANON_STACK, { harness: { ...CANON_BASE, ...over } }, { greeting: "hello" }, {}, { program: PROGRAM, stateDir, cwd: REPO_ROOT, ...options });
    const unexpectedChanges = async (run: Promise<unknown>): Promise<UnexpectedChangesError> => {
        const err = await run.then(() => undefined, (e: unknown) => e);
        if (!(err instanceof UnexpectedChangesError)) throw new Error(`expected an UnexpectedChangesError, got ${String(err)}`);
        return err;
    };

    beforeAll(async () => {
        await purgeLabelled(CANON_PREFIX);
    });
    afterAll(async () => {
        await destroy(CANON_STACK, { stateDir, purgeRetained: true }).catch(() => undefined);
        await purgeLabelled(CANON_PREFIX);
    });

    test("a container created stopped and started by a command runs under its pids limit from the start, and is left alone by the next runs", async () => {
        const since = Date.now();
        const first = await upCanon({});
        const until = Date.now() + 1000;
        const late = one(first, "tiny-late");
        expect(one(first, "tiny-late-start").action).toBe("create");
        const info = inspect(late.id);
        expect(info.State.Running).toBe(true);
        expect(info.HostConfig.PidsLimit).toBe(64);
        const events = containerEvents(late.id, since, until);
        expect(events).toContain("update");
        expect(events).toContain("start");
        expect(events.indexOf("update")).toBeLessThan(events.indexOf("start"));

        // Stored as created (stopped, mustRun false); running now, which is no diff either, even read back again.
        const again = await upCanon({}, { expectNoChanges: true });
        expect(new Set(Object.values(actions(again)))).toEqual(new Set(["same"]));
        const refreshed = await upCanon({}, { refresh: true, expectNoChanges: true });
        expect(new Set(Object.values(actions(refreshed)))).toEqual(new Set(["same"]));
        expect(inspect(late.id).State.StartedAt).toBe(info.State.StartedAt);
    });

    test("a non-canonical cpus and healthcheck duration are a change on every run, and expect-no-changes names them", async () => {
        const written = await upCanon({ cpus: "1", healthTimeout: "60s" });
        const service = one(written, "tiny-service");
        expect(service.action).toBe("replace");
        // What the provider's Read stored, which the next run diffs against.
        expect(service.outputs.cpus).toBe("1.0");
        expect(service.outputs.healthcheck).toMatchObject({ interval: "250ms", timeout: "1m0s", startPeriod: "0s", startInterval: "0s" });

        const again = await upCanon({ cpus: "1", healthTimeout: "60s" });
        expect(one(again, "tiny-service")).toMatchObject({ action: "replace", changed: ["cpus", "healthcheck"] });
        const serviceId = one(again, "tiny-service").id;

        const err = await unexpectedChanges(upCanon({ cpus: "1", healthTimeout: "60s" }, { expectNoChanges: true }));
        expect(err.changes.map((c) => [c.name, c.action])).toEqual([["tiny-service", "replace"]]);
        expect(err.message).toMatch(/replace docker:index\/container:Container tiny-service/);
        expect(err.message).toMatch(/cpus: stored "1\.0", program "1"/);
        expect(err.message).toMatch(/healthcheck: stored \{[^\n]*"timeout":"1m0s"[^\n]*\}, program \{[^\n]*"timeout":"60s"/);
        // Nothing was changed.
        expect(inspect(serviceId).State.Running).toBe(true);
    });

    test("the provider's forms are a no-op the second time; a healthcheck-only change is an update that only a refresh shows again", async () => {
        await upCanon({ cpus: "1.0", healthTimeout: "1m0s" });
        const same = await upCanon({ cpus: "1.0", healthTimeout: "1m0s" }, { expectNoChanges: true });
        expect(new Set(Object.values(actions(same)))).toEqual(new Set(["same"]));
        const serviceId = one(same, "tiny-service").id;

        // healthcheck is not ForceNew: an update the provider never applies, and its Update does not read back.
        const updated = await upCanon({ cpus: "1.0", healthTimeout: "60s" });
        expect(one(updated, "tiny-service")).toMatchObject({ action: "update", changed: ["healthcheck"], id: serviceId });
        await upCanon({ cpus: "1.0", healthTimeout: "60s" }, { expectNoChanges: true });
        const err = await unexpectedChanges(upCanon({ cpus: "1.0", healthTimeout: "60s" }, { refresh: true, expectNoChanges: true }));
        expect(err.changes.map((c) => [c.name, c.action])).toEqual([["tiny-service", "update"]]);
        expect(err.changes[0].inputs.map((i) => i.key)).toEqual(["healthcheck"]);
    });

    test("a container found stopped by a refresh is stored as mustRun false, and the update starts it again", async () => {
        const over = { cpus: "1.0", healthTimeout: "60s" };
        const serviceId = one(await upCanon(over), "tiny-service").id;
        docker("stop", "-t", "0", serviceId);
        // Without refresh the state still says it runs: nothing to do.
        expect(one(await upCanon(over), "tiny-service").action).toBe("same");
        const refreshed = await upCanon(over, { refresh: true });
        expect(one(refreshed, "tiny-service")).toMatchObject({ action: "update", id: serviceId });
        expect(one(refreshed, "tiny-service").changed).toContain("mustRun");
        expect(inspect(serviceId).State.Running).toBe(true);
    });

    test("a secret input that changed is named, never printed", async () => {
        const err = await unexpectedChanges(
            realize(CANON_STACK, { harness: { ...CANON_BASE, cpus: "1.0", healthTimeout: "60s" } }, { greeting: "a new secret greeting" }, {}, { program: PROGRAM, stateDir, cwd: REPO_ROOT, expectNoChanges: true }),
        );
        expect(err.message).toMatch(/envs: stored "\[secret\]", program "\[secret\]"/);
        expect(err.message).not.toMatch(/greeting/i);
    });
});

/**
 * A remote command over real SSH, against a throwaway sshd container standing
 * in for a GPU host, attached to the program's network by an afterCreate hook
 * the way the suite's stand-ins are, and detached by a beforeDelete hook.
 */
describe("remote commands over SSH, with hooks", () => {
    const SSH_BASE = { ...BASE, outFile: path.join(tmp, "ssh-record.txt"), subnetOctet: 78 };
    const gpuHost = `${SSH_PREFIX}-gpuhost`;
    const keyFile = path.join(tmp, "id_ed25519");
    let host: string;
    let hostKey: string;
    let privateKey: string;
    const events = () => docker("exec", "-u", "gpu", gpuHost, "cat", "/home/gpu/events").split("\n");

    const hooks: RealizeHooks = {
        async afterCreate(type, name, state) {
            if (type === "docker:index/network:Network" && name === "tiny-net") {
                docker("network", "connect", "--ip", "10.213.78.50", state.outputs.name, gpuHost);
            }
        },
        async beforeApply(type, _name, _action, _inputs, ctx) {
            // The launch must not run before its stand-in sits on the network.
            if (type === "command:remote:Command") await ctx.realized("tiny-net");
        },
        async beforeDelete(type, _name, record) {
            if (type === "docker:index/network:Network") execFileSync("docker", ["network", "disconnect", "-f", record.outputs.name, gpuHost], { stdio: "ignore" });
        },
    };
    const upSsh = (remote: Record<string, unknown>) =>
        realize(SSH_STACK, { harness: { ...SSH_BASE, remote: { host, user: "gpu", ...remote } } }, { greeting: "hi", sshKey: privateKey }, hooks, { program: PROGRAM, stateDir, cwd: REPO_ROOT });

    beforeAll(() => {
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
        privateKey = fs.readFileSync(keyFile, "utf8");
        // The image carries no key (so it is the same every run and stays cached); the key goes in after start.
        const ctx = path.join(tmp, "sshd");
        fs.mkdirSync(ctx);
        fs.writeFileSync(path.join(ctx, "Dockerfile"), [
            "FROM debian:bookworm-slim",
            "RUN apt-get update && apt-get install -y --no-install-recommends openssh-server && rm -rf /var/lib/apt/lists/* && mkdir -p /run/sshd && ssh-keygen -A",
            "RUN useradd -m -s /bin/bash gpu && install -d -m 700 -o gpu -g gpu /home/gpu/.ssh",
            'CMD ["/usr/sbin/sshd", "-D", "-e"]',
            "",
        ].join("\n"));
        execFileSync("docker", ["build", "-q", "-t", `${SSH_PREFIX}/sshd:test`, ctx], { stdio: "ignore", env: { ...process.env, DOCKER_BUILDKIT: "0" } });
        docker("run", "-d", "--name", gpuHost, "--label", `secureclaw.stack=${SSH_PREFIX}`, `${SSH_PREFIX}/sshd:test`);
        execFileSync("docker", ["exec", "-i", "-u", "gpu", gpuHost, "sh", "-c", "umask 077 && cat > /home/gpu/.ssh/authorized_keys"], { input: fs.readFileSync(`${keyFile}.pub`) });
        host = docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", gpuHost);
        hostKey = docker("exec", gpuHost, "cat", "/etc/ssh/ssh_host_ed25519_key.pub").split(" ").slice(0, 2).join(" ");
    }, 180_000);

    test("runs the script over SSH with its stdin, after the hook put the stand-in on the network", async () => {
        const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("secureclaw-ssh-")).length;
        const run = await upSsh({ hostKey });
        const remote = one(run, "tiny-remote");
        expect(remote.action).toBe("create");
        expect(remote.outputs.stdout).toBe("launched with 16 chars as gpu");
        expect(run.outputs.remoteOut).toBe("launched with 16 chars as gpu");
        expect(remote.finishedAt).toBeGreaterThanOrEqual(one(run, "tiny-net").finishedAt);
        expect(docker("inspect", "-f", `{{(index .NetworkSettings.Networks "${SSH_PREFIX}-net").IPAddress}}`, gpuHost)).toBe("10.213.78.50");
        expect(events()).toEqual(["created"]);
        // The private key only ever lived in a temporary file, gone now.
        expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("secureclaw-ssh-")).length).toBe(before);
    });

    test("a pinned host key that doesn't match is refused", async () => {
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(tmp, "other")]);
        const wrong = fs.readFileSync(path.join(tmp, "other.pub"), "utf8").split(" ").slice(0, 2).join(" ");
        await expect(upSsh({ hostKey: wrong })).rejects.toThrow(/tiny-remote: ssh to gpu@.* failed.*Host key verification failed/s);
        expect(events()).toEqual(["created"]);
    });

    test("a trigger change replaces it: the old delete runs first, over SSH", async () => {
        const run = await upSsh({ hostKey, trigger: "2" });
        expect(one(run, "tiny-remote").action).toBe("replace");
        expect(events()).toEqual(["created", "deleted", "created"]);
    });

    test("destroy runs the delete over SSH, and the beforeDelete hook lets the network go", async () => {
        await destroy(SSH_STACK, { stateDir, hooks: { beforeDelete: hooks.beforeDelete } });
        expect(events()).toEqual(["created", "deleted", "created", "deleted"]);
        expect(await leftovers(SSH_PREFIX)).toEqual({ containers: [gpuHost], networks: [], volumes: [] });
    });
});
