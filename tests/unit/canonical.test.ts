/**
 * The canonical forms the Docker provider reads back. Each row is what the
 * provider (terraform-provider-docker's Read) prints for the value; writing
 * anything else makes the second `pulumi up` see a change.
 */
import { cpusRoundTrip, dockerCpus, goDuration } from "../../components/shared/canonical";

test.each<[number, string]>([
    [0.5, "0.5"], [1, "1.0"], [1.25, "1.25"], [1.5, "1.5"], [2, "2.0"], [4, "4.0"], [8, "8.0"],
    [10, "10."], [16, "16.0"], [20, "20."], [32, "32.0"], [64, "64.0"], [100, "100."], [128, "128.0"],
])("cpus %p reads back as %p", (cpus, text) => {
    expect(dockerCpus(cpus)).toBe(text);
});

test.each<[number, boolean]>([
    [2, true], [1.25, true], [10, true], [10.5, true], [10.05, false], [0.05, false], [1e-10, false],
])("cpus %p survives the round trip: %p", (cpus, ok) => {
    expect(cpusRoundTrip(cpus)).toBe(ok);
});

test.each<[number, string]>([
    [0, "0s"], [5, "5s"], [15, "15s"], [59, "59s"], [60, "1m0s"], [90, "1m30s"], [1800, "30m0s"], [3600, "1h0m0s"], [3725, "1h2m5s"],
])("a duration of %p s reads back as %p (Go's Duration.String)", (seconds, text) => {
    expect(goDuration(seconds)).toBe(text);
});
