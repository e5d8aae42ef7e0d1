/**
 * Quotes a word for POSIX sh: unchanged when it holds only characters sh
 * never interprets, else single-quoted (a single quote inside becomes '"'"').
 * The one quoter for every script the program renders.
 */
export function shellQuote(word: string): string {
    return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'"'"'`)}'`;
}
