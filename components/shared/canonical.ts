/**
 * Inputs written in the form the Docker provider reads back.
 *
 * The provider reads a container's settings back from the engine and formats
 * them its own way; a difference from what the program wrote counts as a
 * change on the next `pulumi up`. For `cpus` that change replaces the
 * container, so writing "2" instead of the provider's "2.0" would restart the
 * agent on every run. Every such input goes through one of these functions.
 */

/**
 * Go's time.Duration.String() for whole seconds ("15s", "1m0s", "30m0s",
 * "1h0m0s"): how the provider reads back healthcheck durations.
 */
export function goDuration(seconds: number): string {
    if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`goDuration: ${seconds} is not a whole number of seconds`);
    if (seconds === 0) return "0s";
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (h > 0) return `${h}h${m}m${s}s`;
    if (m > 0) return `${m}m${s}s`;
    return `${s}s`;
}

/**
 * A CPU count as the provider reads it back: Go's `%#.2g` of the engine's
 * NanoCPUs / 1e9, so two significant digits with the point kept ("0.50",
 * "2.0", "10."). The config validator only accepts counts that survive this
 * round trip (see config/), so the value written is the value meant.
 */
export function dockerCpus(cpus: number): string {
    if (!(cpus > 0 && cpus < 100)) throw new Error(`dockerCpus: ${cpus} is outside 0 < cpus < 100`);
    // toPrecision(2) gives two significant digits ("0.50", "2.0", "10"); Go's # flag keeps the point.
    const text = cpus.toPrecision(2);
    return text.includes(".") ? text : `${text}.`;
}
