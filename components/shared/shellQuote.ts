/**
 * Quotes one word for POSIX sh: left bare when it holds only characters sh
 * never interprets, otherwise single-quoted (a single quote inside becomes
 * '"'"'). The one quoter for every script the program renders.
 */
export function shellQuote(word: string): string {
    return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'"'"'`)}'`;
}
