"""TEST-ONLY scripted "model" for SecureClaw's e2e user story. Not a model.

The vLLM stand-in (vllm_standin.py) asks this module first; when no rule
matches it answers with its plain echo, so every other e2e test is unchanged.

The story (tests/e2e/story.ts) is the agent's job end to end: the owner asks
over Telegram for "add a function greet() to hello.py", OpenClaw asks the model
what to do, runs the Aider skill, Aider asks the model for the edit, and
OpenClaw replies. Two callers reach this stand-in through the door and
LiteLLM, and each is told apart by what it sends, never by a header:

  OpenClaw  sends `tools` (function calling, "openai-completions" API) with an
            `exec` tool, and the owner's words in a user message. The script
            answers in three deterministic steps, each chosen from the tool
            results that follow the owner's message:
              1. no result yet       -> call `read` on the aider skill's
                                        SKILL.md (its <location> in the system
                                        prompt, as OpenClaw's prompt asks);
              2. SKILL.md read       -> call `exec` with the wrapper command
                                        SKILL.md gives (path, yieldMs,
                                        timeoutSeconds);
              3. the wrapper's output -> a final text for the owner.
  Aider     sends no tools; its system prompt names its edit format. For
            "diff" the reply is a SEARCH/REPLACE block with an empty SEARCH
            (Aider appends the REPLACE text to the file); for "whole", the
            file as Aider sent it with greet() appended.

Every rule is a pure function of the request body, so the same request always
gets the same answer. Python standard library only.
"""

import json
import re
import time
import uuid

# The owner's request in the story. A request whose owner message lacks it is
# not scripted.
GREET_REQUEST = "add a function greet() to hello.py"
# What Aider is asked to add, and what the story test looks for in hello.py.
GREET_SOURCE = 'def greet(name="world"):\n    return f"Hello, {name}!"\n'
# The story's repository: the agent's workspace itself, where the test seeds hello.py.
REPO_DIR = "/workspace"
TARGET_FILE = "hello.py"
# The final answer OpenClaw relays to the owner (the test asserts it verbatim).
DONE_TEXT = "Done: Aider added greet() to hello.py in /workspace."
FAILED_TEXT = "Aider did not finish; its output ends with: %s"
NO_SKILL_TEXT = "scripted model: no aider skill in the system prompt"

INJECTED_CONTEXT_RE = re.compile(
    r"<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>.*?<<<END_OPENCLAW_INTERNAL_CONTEXT>>>", re.S)
SKILL_LOCATION_RE = re.compile(
    r"<skill>\s*<name>aider</name>.*?<location>([^<]+)</location>", re.S)
# SKILL.md's usage line: "<wrapper> <repo-dir> "<instruction>" [file ...]".
WRAPPER_RE = re.compile(r"^(/\S+/run-aider\.sh) <repo-dir>", re.M)
YIELD_RE = re.compile(r"yieldMs: (\d+)")
TIMEOUT_RE = re.compile(r"timeoutSeconds: (\d+)")
# Aider's system prompts, one per edit format (aider/coders/*_prompts.py, 0.86).
AIDER_DIFF_MARK = "*SEARCH/REPLACE block*"
AIDER_WHOLE_MARK = "output a copy of each file that needs changes"
AIDER_PREAMBLE = "Act as an expert software developer."
# Where Aider's reminder starts in its last user message (diff format).
AIDER_RULES_RE = re.compile(r"\n\n+# \*SEARCH/REPLACE block\* Rules:", re.S)


def text_of(content):
    """OpenAI message content (a string or a list of parts) as text, OpenClaw's injected context removed."""
    if isinstance(content, list):
        content = " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    if not isinstance(content, str):
        return ""
    return INJECTED_CONTEXT_RE.sub("", content).strip()


def _messages(body):
    messages = body.get("messages") if isinstance(body, dict) else None
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []


def _tool_names(body):
    tools = body.get("tools") if isinstance(body, dict) else None
    names = set()
    for t in tools if isinstance(tools, list) else []:
        fn = t.get("function") if isinstance(t, dict) else None
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            names.add(fn["name"])
    return names


class Answer:
    """A scripted reply: text, or one tool call; `step` names the rule for the request log."""

    def __init__(self, step, content=None, tool=None, arguments=None):
        self.step = step
        self.content = content
        self.tool = tool
        self.arguments = arguments

    def call_id(self):
        # Letters only: OpenClaw rewrites ids with other characters.
        return "callstory" + re.sub(r"[^a-z]", "", self.step)


def answer(body):
    """The scripted Answer for a chat completion request, or None (echo)."""
    messages = _messages(body)
    if not messages:
        return None
    if "exec" in _tool_names(body):
        return _agent_step(messages)
    if not body.get("tools"):
        return _aider_step(messages)
    return None


def _agent_step(messages):
    """OpenClaw's turn: read the skill, run it, report; chosen by the calls and results after the owner's request.

    Steps are recognised by the calls already made (OpenClaw rewrites call
    ids), and none is ever made twice: an unexpected state ends the turn with
    a text, so a script that goes wrong cannot loop.
    """
    # The owner's latest words (OpenClaw's injected-context messages are empty
    # once stripped) must be the request: a later turn of the same session
    # (a heartbeat, another message) is not scripted.
    said = [i for i, m in enumerate(messages) if m.get("role") == "user" and text_of(m.get("content"))]
    start = said[-1] if said else None
    if start is None or GREET_REQUEST not in text_of(messages[start].get("content")):
        return None
    calls, results = [], {}
    for m in messages[start + 1:]:
        if m.get("role") == "assistant" and isinstance(m.get("tool_calls"), list):
            for call in m["tool_calls"]:
                fn = call.get("function") if isinstance(call, dict) else None
                if isinstance(fn, dict):
                    calls.append((fn.get("name"), str(fn.get("arguments") or ""), call.get("id")))
        elif m.get("role") == "tool":
            results[m.get("tool_call_id")] = text_of(m.get("content"))
    ran = [results.get(cid) for name, args, cid in calls if name == "exec" and "run-aider.sh" in args]
    read = [results.get(cid) for name, args, cid in calls if name == "read" and "SKILL.md" in args]
    if ran:
        output = ran[-1] or ""
        if "--- git status" in output and "Traceback" not in output:
            return Answer("agent:done", content=DONE_TEXT)
        return Answer("agent:failed", content=FAILED_TEXT % output[-300:])
    if read:
        skill = next((r for r in read if r and WRAPPER_RE.search(r)), None)
        if skill is None:
            return Answer("agent:failed", content="scripted model: SKILL.md as read names no run-aider.sh wrapper")
        return Answer("agent:run-aider", tool="exec", arguments=_aider_command(skill))
    if calls:
        return Answer("agent:failed", content="scripted model: unexpected tool calls %s" % [c[0] for c in calls])
    system = "\n".join(text_of(m.get("content")) for m in messages if m.get("role") in ("system", "developer"))
    location = SKILL_LOCATION_RE.search(system)
    if location is None:
        return Answer("agent:failed", content=NO_SKILL_TEXT)
    return Answer("agent:read-skill", tool="read", arguments={"path": location.group(1).strip()})


def _aider_command(skill):
    """The exec call SKILL.md asks for: its wrapper on the story's repository, with its yieldMs and timeoutSeconds."""
    wrapper = WRAPPER_RE.search(skill).group(1)
    args = {"command": "%s %s '%s' %s" % (wrapper, REPO_DIR, GREET_REQUEST, TARGET_FILE),
            "title": "Aider: add greet() to hello.py"}
    for key, pattern in (("yieldMs", YIELD_RE), ("timeoutSeconds", TIMEOUT_RE)):
        found = pattern.search(skill)
        if found:
            args[key] = int(found.group(1))
    return args


def _aider_step(messages):
    """Aider's request for the edit, in the format its system prompt names."""
    system = text_of(messages[0].get("content")) if messages[0].get("role") == "system" else ""
    if not system.startswith(AIDER_PREAMBLE):
        return None
    last = messages[-1]
    if last.get("role") != "user" or GREET_REQUEST not in AIDER_RULES_RE.split(text_of(last.get("content")))[0]:
        return None
    if AIDER_DIFF_MARK in system:
        block = "%s\n```python\n<<<<<<< SEARCH\n=======\n\n\n%s>>>>>>> REPLACE\n```\n" % (TARGET_FILE, GREET_SOURCE)
        return Answer("aider:diff", content="Append greet() to %s.\n\n%s" % (TARGET_FILE, block))
    if AIDER_WHOLE_MARK in system:
        current = _file_from_chat(messages, TARGET_FILE)
        new = (current.rstrip("\n") + "\n\n\n" if current.strip() else "") + GREET_SOURCE
        return Answer("aider:whole", content="%s\n```python\n%s```\n" % (TARGET_FILE, new))
    return None


def _file_from_chat(messages, name):
    """The last copy of `name` Aider put in the chat ("name\\n```\\n...\\n```"), or ""."""
    pattern = re.compile(r"(?:^|\n)%s\n```[^\n]*\n(.*?)```" % re.escape(name), re.S)
    found = ""
    for m in messages:
        if m.get("role") == "user":
            for match in pattern.finditer(text_of(m.get("content"))):
                found = match.group(1)
    return found


def record_fields(body):
    """Extra fields for the stand-in's request log: the scripted step (or None) and every user message's text."""
    scripted = answer(body)
    return {
        "script": scripted.step if scripted else None,
        "user_texts": [text_of(m.get("content"))[:4000] for m in _messages(body) if m.get("role") == "user"],
    }


# ---- the reply in OpenAI's chat completion shapes ---------------------------

def message(a):
    """The assistant message of a non-streamed completion."""
    if a.tool is None:
        return {"role": "assistant", "content": a.content, "tool_calls": []}
    return {"role": "assistant", "content": None, "tool_calls": [{
        "id": a.call_id(), "type": "function",
        "function": {"name": a.tool, "arguments": json.dumps(a.arguments)}}]}


def finish_reason(a):
    return "stop" if a.tool is None else "tool_calls"


def deltas(a):
    """The stream's deltas, as vLLM sends them: the role, then the text or the call (name, then arguments)."""
    if a.tool is None:
        return [{"role": "assistant", "content": ""}] + [{"content": w} for w in re.findall(r"\S+\s*", a.content)]
    return [
        {"role": "assistant", "content": None},
        {"tool_calls": [{"index": 0, "id": a.call_id(), "type": "function",
                         "function": {"name": a.tool, "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": json.dumps(a.arguments)}}]},
    ]


def respond(handler, body, model, a, prompt_words):
    """Writes the scripted reply on the stand-in's handler: one JSON completion, or SSE chunks ending in [DONE]."""
    cid, created = "chatcmpl-" + uuid.uuid4().hex, int(time.time())
    completion_words = len((a.content or json.dumps(a.arguments)).split())
    usage = {"prompt_tokens": prompt_words, "completion_tokens": completion_words,
             "total_tokens": prompt_words + completion_words}
    if body.get("stream") is not True:
        return handler.send_json(200, {
            "id": cid, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "finish_reason": finish_reason(a), "logprobs": None,
                         "message": message(a)}],
            "usage": usage})
    chunk = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model}
    events = [dict(chunk, choices=[{"index": 0, "delta": d, "logprobs": None, "finish_reason": None}])
              for d in deltas(a)]
    events.append(dict(chunk, choices=[{"index": 0, "delta": {}, "logprobs": None,
                                        "finish_reason": finish_reason(a)}]))
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append(dict(chunk, choices=[], usage=usage))
    data = "".join("data: %s\n\n" % json.dumps(e) for e in events) + "data: [DONE]\n\n"
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Cache-Control", "no-cache")
    handler.send_header("Content-Length", str(len(data.encode())))
    handler.end_headers()
    handler.wfile.write(data.encode())
    handler.wfile.flush()
