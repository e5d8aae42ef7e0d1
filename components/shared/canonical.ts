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
 * A CPU count as the provider reads it back. The engine keeps NanoCPUs; the
 * provider prints them with nine decimals, and then either keeps one decimal
 * when the string holds exactly nine '0' characters, or trims trailing zeros.
 * So 2 reads back as "2.0", 1.5 as "1.5", but 10 as "10." (its own '0' makes
 * ten). Mirrors terraform-provider-docker's nanoInt64ToDecimalString.
 * A count the round trip would change (10.05 prints as "10.1") is refused by
 * the config validator (cpusRoundTrip).
 */
export function dockerCpus(cpus: number): string {
    const nano = Math.round(cpus * 1e9);
    if (!(nano > 0) || !Number.isSafeInteger(nano) || Math.abs(nano - cpus * 1e9) > 1e-3) {
        throw new Error(`dockerCpus: ${cpus} is not a positive CPU count with at most nine decimals`);
    }
    const whole = Math.floor(nano / 1e9);
    const nine = `${whole}.${String(nano % 1e9).padStart(9, "0")}`;
    if ((nine.match(/0/g) ?? []).length !== 9) return nine.replace(/0+$/, "");
    const tenths = Math.round(nano / 1e8); // FloatString(1): to the nearest tenth, halves away from zero
    return `${Math.floor(tenths / 10)}.${tenths % 10}`;
}

/** True when `cpus` survives the provider's read-back unchanged, so writing it is a no-op the second time. */
export function cpusRoundTrip(cpus: number): boolean {
    try {
        return Number(dockerCpus(cpus)) === cpus;
    } catch {
        return false;
    }
}
