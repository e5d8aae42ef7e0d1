/** Runs the LiteLLM stand-in in its own process (for the benchmark): prints {"port":N}, stops on SIGTERM. */
import { startFakeLiteLLM } from "./fakeLiteLLM.ts";

const fake = await startFakeLiteLLM({ record: false });
console.log(JSON.stringify({ port: fake.port }));
process.once("SIGTERM", () => void fake.close().then(() => process.exit(0)));
