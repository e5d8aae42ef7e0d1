/**
 * Per-agent limits, checked before anything reaches LiteLLM: requests in
 * flight, requests per minute, tokens per minute and tokens per day (any 60 s
 * and any 24 h, so the retry hint is exact rather than "next midnight").
 *
 * Tokens are reserved before the call at an estimate (prompt size +
 * max_tokens), so a burst of concurrent calls can't overshoot a limit while
 * none has reported its usage yet; the reservation is then settled to the
 * real count from the response.
 */
import type { AgentLimits } from "./settings.ts";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** A sum over a sliding window, kept in fixed buckets (1 s for a minute, 1 min for a day). */
export class RollingCounter {
    private readonly slots: number;
    private readonly stamps: Float64Array;
    private readonly amounts: Float64Array;
    private readonly windowMs: number;
    private readonly bucketMs: number;

    constructor(windowMs: number, bucketMs: number) {
        this.windowMs = windowMs;
        this.bucketMs = bucketMs;
        this.slots = Math.ceil(windowMs / bucketMs);
        this.stamps = new Float64Array(this.slots).fill(-1);
        this.amounts = new Float64Array(this.slots);
    }

    total(now: number): number {
        const oldest = this.stamp(now) - this.slots + 1;
        let sum = 0;
        for (let i = 0; i < this.slots; i++) if (this.stamps[i] >= oldest) sum += this.amounts[i];
        return sum;
    }

    /** Adds `amount` at `now`; returns the bucket stamp to settle against later. */
    add(now: number, amount: number): number {
        const stamp = this.stamp(now);
        const i = stamp % this.slots;
        // An older stamp than the slot's is already outside the window.
        if (this.stamps[i] > stamp) return stamp;
        if (this.stamps[i] !== stamp) {
            this.stamps[i] = stamp;
            this.amounts[i] = 0;
        }
        this.amounts[i] += amount;
        return stamp;
    }

    /** Corrects an earlier add, if its bucket is still in the window. */
    adjust(stamp: number, delta: number): void {
        const i = stamp % this.slots;
        if (this.stamps[i] === stamp) this.amounts[i] = Math.max(0, this.amounts[i] + delta);
    }

    /** Milliseconds until `needed` more fits under `limit`, as buckets age out. */
    waitMs(now: number, needed: number, limit: number): number {
        const current = this.stamp(now);
        let total = this.total(now);
        for (let stamp = current - this.slots + 1; stamp <= current; stamp++) {
            const i = stamp % this.slots;
            if (this.stamps[i] === stamp) total -= this.amounts[i];
            if (total + needed <= limit) return (stamp + this.slots) * this.bucketMs - now;
        }
        return this.windowMs;
    }

    private stamp(now: number): number {
        return Math.floor(now / this.bucketMs);
    }
}

export interface Refusal {
    status: 400 | 429;
    code: string;
    message: string;
    retryAfterSeconds?: number;
}

export interface Reservation {
    estimate: number;
    minuteStamp: number;
    dayStamp: number;
}

export class AgentLimiter {
    limits: AgentLimits;
    private inFlight = 0;
    private readonly requests = new RollingCounter(MINUTE_MS, 1000);
    private readonly tokensMinute = new RollingCounter(MINUTE_MS, 1000);
    private readonly tokensDay = new RollingCounter(DAY_MS, MINUTE_MS);

    constructor(limits: AgentLimits) {
        this.limits = limits;
    }

    /** Takes a slot and counts the request, or says which limit stands in the way. Pair with release(). */
    admit(now: number): Refusal | undefined {
        const { concurrentRequests, requestsPerMinute } = this.limits;
        if (this.inFlight >= concurrentRequests) {
            return tooMany("concurrent_requests", `${concurrentRequests} concurrent requests already in flight`, 1);
        }
        if (this.requests.total(now) + 1 > requestsPerMinute) {
            return tooMany("requests_per_minute", `requests per minute (${requestsPerMinute}) reached`, this.requests.waitMs(now, 1, requestsPerMinute) / 1000);
        }
        this.inFlight++;
        this.requests.add(now, 1);
        return undefined;
    }

    release(): void {
        this.inFlight--;
    }

    reserve(now: number, estimate: number): Refusal | Reservation {
        const { tokensPerMinute, tokensPerDay } = this.limits;
        for (const [code, what, limit] of [["tokens_per_minute", "tokens per minute", tokensPerMinute], ["tokens_per_day", "tokens per 24 hours", tokensPerDay]] as const) {
            if (estimate > limit) {
                return { status: 400, code, message: `this request may use ${estimate} tokens (prompt estimate + max_tokens), more than the limit of ${limit} ${what}; lower max_tokens or shorten the prompt` };
            }
        }
        if (this.tokensMinute.total(now) + estimate > tokensPerMinute) {
            return tooMany("tokens_per_minute", `tokens per minute (${tokensPerMinute}) reached`, this.tokensMinute.waitMs(now, estimate, tokensPerMinute) / 1000);
        }
        if (this.tokensDay.total(now) + estimate > tokensPerDay) {
            return tooMany("tokens_per_day", `tokens per 24 hours (${tokensPerDay}) reached`, this.tokensDay.waitMs(now, estimate, tokensPerDay) / 1000);
        }
        return { estimate, minuteStamp: this.tokensMinute.add(now, estimate), dayStamp: this.tokensDay.add(now, estimate) };
    }

    /** Replaces a reservation's estimate with the tokens actually used. */
    settle(reservation: Reservation, actual: number): void {
        const delta = actual - reservation.estimate;
        this.tokensMinute.adjust(reservation.minuteStamp, delta);
        this.tokensDay.adjust(reservation.dayStamp, delta);
    }

    /** Counts tokens used before a restart (from the usage log) against the windows. */
    replay(at: number, tokens: number): void {
        this.requests.add(at, 1);
        this.tokensMinute.add(at, tokens);
        this.tokensDay.add(at, tokens);
    }
}

export function isRefusal(r: Refusal | Reservation): r is Refusal {
    return "code" in r;
}

function tooMany(code: string, what: string, retryAfterSeconds: number): Refusal {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    return { status: 429, code, message: `rate limit: ${what}; retry in ${seconds} s`, retryAfterSeconds: seconds };
}
