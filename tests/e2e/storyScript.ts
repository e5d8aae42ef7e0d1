/**
 * What the vLLM stand-in's TEST-ONLY script (tests/e2e/images/gpu-host/scripted_model.py)
 * says and expects in the user story. No imports: the unit test of the script
 * reads these without loading the e2e harness.
 */

/** The owner's words (scripted_model.GREET_REQUEST). */
export const GREET_REQUEST = "add a function greet() to hello.py";
/** The reply the script ends the owner's turn with (scripted_model.DONE_TEXT). */
export const DONE_TEXT = "Done: Aider added greet() to hello.py in /workspace.";
/** The model calls of the story, in order: OpenClaw reads the skill, runs Aider, Aider asks for the edit, OpenClaw reports. */
export const STORY_STEPS = ["agent:read-skill", "agent:run-aider", "aider:diff", "agent:done"];
/** What the test seeds: a file without greet(). */
export const SEED_HELLO = 'def hello():\n    return "hello"\n';
