/**
 * The only request targets the door lets through, matched byte for byte
 * against the raw request target. Nothing is decoded or normalised first:
 * `/v1/%63hat/completions`, `/v1//chat/completions`, `/V1/models`,
 * `/v1/models?x`, `/v1/models.` and `http://host/v1/models` are simply not in
 * the table, so no normaliser can disagree with LiteLLM's about what they mean.
 */
export type RouteKind = "chat" | "completion" | "models";

export interface Route {
    method: "GET" | "POST";
    kind: RouteKind;
    /** The path sent upstream: always the table's own string, never the client's. */
    path: string;
}

const ALLOWED: ReadonlyMap<string, Route> = new Map(
    ([
        ["POST", "chat", "/v1/chat/completions"],
        ["POST", "chat", "/chat/completions"],
        ["POST", "completion", "/v1/completions"],
        ["POST", "completion", "/completions"],
        ["GET", "models", "/v1/models"],
        ["GET", "models", "/models"],
    ] as const).map(([method, kind, path]) => [path, { method, kind, path }]),
);

export type RouteMatch =
    | { kind: "allowed"; route: Route }
    | { kind: "wrong-method"; allow: string }
    | { kind: "unknown" };

export function matchRoute(method: string | undefined, target: string | undefined): RouteMatch {
    const route = target === undefined ? undefined : ALLOWED.get(target);
    if (route === undefined) return { kind: "unknown" };
    return method === route.method ? { kind: "allowed", route } : { kind: "wrong-method", allow: route.method };
}
