import { execFileSync } from "child_process";
import { shellQuote } from "../../components/shared/shellQuote";

describe("shellQuote", () => {
    // [word, quoted]: each quoted form is also read back by a real sh.
    test.each([
        ["plain", "plain"],
        ["/etc/openclaw/aider/model.settings.yml", "/etc/openclaw/aider/model.settings.yml"],
        ["http://model-gateway:4000/v1", "http://model-gateway:4000/v1"],
        ["", "''"],
        ["with space", "'with space'"],
        ["it's", `'it'"'"'s'`],
        ["$(rm -rf /)", "'$(rm -rf /)'"],
        ["`id`; $HOME \\ \"x\"", `'\`id\`; $HOME \\ "x"'`],
        ["line\nbreak", "'line\nbreak'"],
        ["*", "'*'"],
        ["~", "'~'"],
    ])("%j", (word, quoted) => {
        expect(shellQuote(word)).toBe(quoted);
        expect(execFileSync("sh", ["-c", `printf %s ${quoted}`]).toString()).toBe(word);
    });
});
