/**
 * Bot API parameters of a request, from the one body form the relay accepts
 * per content type, so the relay checks the values Telegram will act on:
 *  - JSON (what grammY sends) and forms are re-encoded as JSON: a duplicate
 *    key is refused, and Telegram sees exactly the object that was checked;
 *  - multipart (uploads) is forwarded byte for byte, so its field names are
 *    read here and a field sent twice is refused.
 * A query string is never accepted (Telegram would merge it with the body).
 */
export type Params = Record<string, unknown>;

export interface ParsedBody {
    params: Params;
    /** What to send upstream. */
    body: Buffer;
    contentType: string;
}

export class BadRequest extends Error {}

export function parseBody(contentType: string | undefined, raw: Buffer): ParsedBody {
    const kind = (contentType ?? "").split(";")[0].trim().toLowerCase();
    if (raw.length === 0) return { params: {}, body: raw, contentType: "application/json" };
    if (kind === "application/json") return json(parseJson(raw.toString("utf8")));
    if (kind === "application/x-www-form-urlencoded") {
        const form = new URLSearchParams(raw.toString("utf8"));
        const params: Params = {};
        for (const [key, value] of form) {
            if (key in params) throw new BadRequest(`parameter ${key} is given twice`);
            params[key] = value;
        }
        return json(params);
    }
    if (kind === "multipart/form-data") return { params: multipartFields(contentType!, raw), body: raw, contentType: contentType! };
    throw new BadRequest(`content type ${JSON.stringify(kind)} is not accepted (JSON, a form, or multipart)`);
}

function json(params: Params): ParsedBody {
    return { params, body: Buffer.from(JSON.stringify(params)), contentType: "application/json" };
}

function parseJson(text: string): Params {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        throw new BadRequest("the body is not JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BadRequest("the body must be a JSON object");
    return value as Params;
}

/** The plain (non-file) fields of a multipart body; a name seen twice is refused. */
function multipartFields(contentType: string, raw: Buffer): Params {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
    if (!boundary) throw new BadRequest("multipart body without a boundary");
    const delimiter = `--${boundary[1] ?? boundary[2]}`;
    const text = raw.toString("latin1");
    const params: Params = {};
    const seen = new Set<string>();
    for (const part of text.split(delimiter).slice(1)) {
        if (part.startsWith("--")) break;
        const end = part.indexOf("\r\n\r\n");
        if (end < 0) throw new BadRequest("malformed multipart part");
        const headers = part.slice(0, end);
        const name = /content-disposition:[^\r\n]*;\s*name="([^"]*)"/i.exec(headers)?.[1];
        if (name === undefined) throw new BadRequest("multipart part without a name");
        if (seen.has(name)) throw new BadRequest(`parameter ${name} is given twice`);
        seen.add(name);
        if (!/filename=/i.test(headers)) params[name] = Buffer.from(part.slice(end + 4).replace(/\r\n$/, ""), "latin1").toString("utf8");
    }
    return params;
}
