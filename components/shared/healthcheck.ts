import * as docker from "@pulumi/docker";
import { goDuration } from "./canonical";

/** A health check with its durations in whole seconds, written in the provider's canonical form. */
export function healthcheck(test: string[], s: { interval: number; timeout: number; startPeriod: number; retries?: number }): docker.types.input.ContainerHealthcheck {
    return {
        tests: ["CMD", ...test],
        interval: goDuration(s.interval),
        timeout: goDuration(s.timeout),
        startPeriod: goDuration(s.startPeriod),
        retries: s.retries ?? 3,
    };
}
