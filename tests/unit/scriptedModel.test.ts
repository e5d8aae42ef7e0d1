/**
 * The vLLM stand-in's TEST-ONLY scripted model (tests/e2e/images/gpu-host/scripted_model.py),
 * driven with requests shaped like OpenClaw's and Aider's, table-style. The
 * SKILL.md it reads is the one the program renders, so a change to the skill
 * that the script (and so the story) no longer follows fails here first.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { renderAiderSkillMd } from "../../components/agent/aiderSkill";
import { DONE_TEXT, GREET_REQUEST, STORY_STEPS } from "../e2e/storyScript";

const MODULE_DIR = path.join(__dirname, "..", "e2e", "images", "gpu-host");
const SKILL_MD = renderAiderSkillMd({
    gatewayBaseUrl: "http://model-gateway:4000/v1",
    gatewayApiKeyEnv: "SECURECLAW_GATEWAY_KEY",
    modelName: "secureclaw-model",
    contextWindow: 32768,
    maxOutputTokens: 8192,
    requestTimeoutSeconds: 600,
    workspaceDir: "/workspace",
    configDir: "/etc/openclaw",
});
const SKILL_LOCATION = "/etc/openclaw/skills/aider/SKILL.md";
const WRAPPER = "/etc/openclaw/skills/aider/run-aider.sh";

interface Scripted {
    step: string | null;
    content: string | null;
    tool: string | null;
    arguments: Record<string, unknown> | null;
    message: Record<string, any> | null;
    finish: string | null;
    deltas: Array<Record<string, any>> | null;
    record: { script: string | null; user_texts: string[] };
}

/** Runs scripted_model on each body in one python3 process. */
function ask(bodies: unknown[]): Scripted[] {
    const program = [
        "import json, sys",
        "import scripted_model as s",
        "out = []",
        "for body in json.load(sys.stdin):",
        "    a = s.answer(body)",
        "    out.append({'step': a and a.step, 'content': a and a.content, 'tool': a and a.tool, 'arguments': a and a.arguments,",
        "                'message': a and s.message(a), 'finish': a and s.finish_reason(a), 'deltas': a and s.deltas(a),",
        "                'record': s.record_fields(body)})",
        "print(json.dumps(out))",
    ].join("\n");
    const stdout = execFileSync("python3", ["-B", "-c", program], { cwd: MODULE_DIR, input: JSON.stringify(bodies), encoding: "utf8" });
    return JSON.parse(stdout);
}

function pyConstant(name: string): string {
    return execFileSync("python3", ["-B", "-c", `import scripted_model as s; print(s.${name}, end="")`], { cwd: MODULE_DIR, encoding: "utf8" });
}

const TOOLS = ["read", "exec", "process", "write"].map((name) => ({ type: "function", function: { name, parameters: { type: "object" } } }));
const SYSTEM = `You are a personal assistant running inside OpenClaw.\n<available_skills>\n  <skill>\n    <name>aider</name>\n    <description>Make code changes</description>\n    <location>${SKILL_LOCATION}</location>\n  </skill>\n</available_skills>`;
const INJECTED = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>\nActive exec sessions: none\n<<<END_OPENCLAW_INTERNAL_CONTEXT>>>";
const OWNER = `[Thu 2026-12-03 13:18 UTC] Conversation info:\n{"sender":{"id":"123456789"}}\n\n${GREET_REQUEST}\n\nRuntime: agent=main`;

type Message = Record<string, unknown>;
const call = (id: string, name: string, args: Record<string, unknown>): Message => ({ role: "assistant", content: null, tool_calls: [{ id, type: "function", function: { name, arguments: JSON.stringify(args) } }] });
const result = (id: string, content: string): Message => ({ role: "tool", tool_call_id: id, content });
const openclaw = (...after: Message[]) => ({
    model: "qwen3-4b", stream: true, tools: TOOLS,
    messages: [{ role: "system", content: SYSTEM }, { role: "user", content: OWNER }, ...after, { role: "user", content: [{ type: "text", text: INJECTED }] }],
});
// OpenClaw rewrites call ids (it dropped the underscores of ours): the script must not rely on them.
const READ = [call("callstoryagentreadskill2", "read", { path: SKILL_LOCATION }), result("callstoryagentreadskill2", SKILL_MD)];
const RUN = (output: string) => [call("callstoryagentrunaider", "exec", { command: `${WRAPPER} /workspace '${GREET_REQUEST}' hello.py` }), result("callstoryagentrunaider", output)];
const AIDER_OK = "Applied edit to hello.py\nTokens: 1.3k sent, 40 received.\n--- git status --short (/workspace)\n?? hello.py\n";

const AIDER_RULES = "\n\n\n# *SEARCH/REPLACE block* Rules:\n\nEvery *SEARCH/REPLACE block* must use this format: ...";
const aider = (system: string, last: string) => ({
    model: "qwen3-4b", max_tokens: 8192, temperature: 0,
    messages: [
        { role: "system", content: system },
        { role: "user", content: "I have *added these files to the chat* so you can go ahead and edit them.\n\nhello.py\n```\ndef hello():\n    return \"hello\"\n```\n" },
        { role: "assistant", content: "Ok, any changes I propose will be to those files." },
        { role: "user", content: last },
    ],
});
const DIFF_SYSTEM = "Act as an expert software developer.\nAlways use best practices when coding.\nDescribe each change with a *SEARCH/REPLACE block* per the examples below.";
const WHOLE_SYSTEM = "Act as an expert software developer.\nTake requests for changes to the supplied code.\n3. If changes are needed, output a copy of each file that needs changes.\n";

describe("scripted model (test-only): OpenClaw's turn", () => {
    const cases: Array<[string, unknown, string | null]> = [
        ["the owner's request, nothing done yet: read the skill", openclaw(), "agent:read-skill"],
        ["SKILL.md read: run the wrapper it names", openclaw(...READ), "agent:run-aider"],
        ["Aider ran: the final text", openclaw(...READ, ...RUN(AIDER_OK)), "agent:done"],
        ["Aider failed: a text that says so", openclaw(...READ, ...RUN("Traceback (most recent call last):\n  boom")), "agent:failed"],
        ["a call the script never makes: it ends the turn instead of looping", openclaw(call("x1", "write", { path: "/tmp/x" }), result("x1", "ok")), "agent:failed"],
        ["the skill read twice without a wrapper line: it ends the turn", openclaw(call("a", "read", { path: SKILL_LOCATION }), result("a", "already served"), call("b", "read", { path: SKILL_LOCATION }), result("b", "already served")), "agent:failed"],
        ["no aider skill in the system prompt", { ...openclaw(), messages: [{ role: "system", content: "You are a personal assistant." }, { role: "user", content: OWNER }] }, "agent:failed"],
        ["a later turn in the same session (the request is history): the echo", { ...openclaw(...READ, ...RUN(AIDER_OK)), messages: [...openclaw(...READ, ...RUN(AIDER_OK)).messages, { role: "assistant", content: DONE_TEXT }, { role: "user", content: "Read HEARTBEAT.md if it exists." }] }, null],
        ["any other request of OpenClaw: the echo", { ...openclaw(), messages: [{ role: "system", content: SYSTEM }, { role: "user", content: "hello from the enclave" }] }, null],
        ["tools without exec: the echo", { ...openclaw(), tools: TOOLS.filter((t) => t.function.name !== "exec") }, null],
        ["a plain chat completion: the echo", { model: "qwen3-4b", messages: [{ role: "user", content: GREET_REQUEST }] }, null],
        ["no messages: the echo", { model: "qwen3-4b", prompt: GREET_REQUEST }, null],
    ];
    const answers = ask(cases.map(([, body]) => body));
    test.each(cases.map(([title, , step], i) => [title, step, i] as const))("%s -> %s", (_title, step, i) => {
        expect(answers[i].step).toBe(step);
        expect(answers[i].record.script).toBe(step);
    });

    test("step 1 reads the SKILL.md the system prompt lists", () => {
        expect(answers[0]).toMatchObject({ tool: "read", arguments: { path: SKILL_LOCATION }, finish: "tool_calls" });
    });

    test("step 2 runs the rendered skill's wrapper on the workspace, with the skill's yieldMs and timeoutSeconds", () => {
        expect(answers[1].tool).toBe("exec");
        expect(answers[1].arguments).toMatchObject({
            command: `${WRAPPER} /workspace '${GREET_REQUEST}' hello.py`,
            yieldMs: 120000,
            timeoutSeconds: 1200,
        });
    });

    test("step 3 is the text the story expects; a failure quotes Aider's output", () => {
        expect(answers[2]).toMatchObject({ content: DONE_TEXT, tool: null, finish: "stop" });
        expect(answers[3].content).toContain("boom");
    });

    test("a tool call has the OpenAI shapes: a message with tool_calls, and stream deltas whose arguments join to the same JSON", () => {
        const a = answers[1];
        expect(a.message).toMatchObject({ role: "assistant", content: null, tool_calls: [{ type: "function", function: { name: "exec" } }] });
        expect(JSON.parse(a.message!.tool_calls[0].function.arguments)).toEqual(a.arguments);
        const parts = a.deltas!.flatMap((d) => d.tool_calls ?? []);
        expect(parts[0]).toMatchObject({ index: 0, id: a.message!.tool_calls[0].id, function: { name: "exec" } });
        expect(JSON.parse(parts.map((p) => p.function.arguments).join(""))).toEqual(a.arguments);
        // Letters only: OpenClaw keeps those as they are.
        expect(a.message!.tool_calls[0].id).toMatch(/^[a-z]+$/);
    });

    test("a text reply streams as deltas that join to the text", () => {
        const a = answers[2];
        expect(a.deltas![0]).toEqual({ role: "assistant", content: "" });
        expect(a.deltas!.map((d) => d.content ?? "").join("")).toBe(DONE_TEXT);
    });

    test("the record keeps every user message's text without OpenClaw's injected context", () => {
        expect(answers[0].record.user_texts).toEqual([OWNER, ""]);
    });

    test("the same request always gets the same answer", () => {
        const again = ask(cases.map(([, body]) => body));
        expect(again.map((a) => ({ ...a, deltas: a.deltas?.map((d) => JSON.stringify(d)) }))).toEqual(answers.map((a) => ({ ...a, deltas: a.deltas?.map((d) => JSON.stringify(d)) })));
    });
});

describe("scripted model (test-only): Aider's request", () => {
    const cases: Array<[string, unknown, string | null]> = [
        ["diff format: a SEARCH/REPLACE block", aider(DIFF_SYSTEM, `${GREET_REQUEST}${AIDER_RULES}`), "aider:diff"],
        ["whole format: the whole file", aider(WHOLE_SYSTEM, GREET_REQUEST), "aider:whole"],
        ["another instruction: the echo", aider(DIFF_SYSTEM, `rename hello()${AIDER_RULES}`), null],
        ["the request only in Aider's rules text: the echo", aider(DIFF_SYSTEM, `rename hello()${AIDER_RULES} ${GREET_REQUEST}`), null],
        ["not Aider's system prompt: the echo", aider("You are helpful. *SEARCH/REPLACE block*", GREET_REQUEST), null],
    ];
    const answers = ask(cases.map(([, body]) => body));
    test.each(cases.map(([title, , step], i) => [title, step, i] as const))("%s -> %s", (_title, step, i) => {
        expect(answers[i].step).toBe(step);
    });

    test("the diff appends greet() to hello.py: an empty SEARCH, greet() in REPLACE", () => {
        expect(answers[0].content).toMatch(/^hello\.py\n```python\n<<<<<<< SEARCH\n=======\n\n\ndef greet\(name="world"\):\n    return f"Hello, \{name\}!"\n>>>>>>> REPLACE\n```$/m);
    });

    test("the whole file is the file Aider sent with greet() after it", () => {
        expect(answers[1].content).toBe('hello.py\n```python\ndef hello():\n    return "hello"\n\n\ndef greet(name="world"):\n    return f"Hello, {name}!"\n```\n');
    });
});

describe("scripted model (test-only): the story's constants", () => {
    test("tests/e2e/storyScript.ts holds the script's own request and reply", () => {
        expect(pyConstant("GREET_REQUEST")).toBe(GREET_REQUEST);
        expect(pyConstant("DONE_TEXT")).toBe(DONE_TEXT);
        expect(STORY_STEPS).toEqual(["agent:read-skill", "agent:run-aider", "aider:diff", "agent:done"]);
    });
});
