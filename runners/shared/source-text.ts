/** How much of one piece of source text (a header name, a value) a message may show. */
export const SOURCE_TEXT_BYTES = 64;

/** Control, format (bidi overrides, zero-width) and line/paragraph separator characters. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * The one way text that came from a source (CSV header names and values, PostgreSQL messages that quote them; an http
 * reply shows only its status code and standard reason phrase, never its own text or body) goes into an error, a log line, the summary, a condition or an Event: cut to at most
 * maxBytes of UTF-8 (never inside a character), the cut marked with how much is left out, and control characters
 * shown as escapes (\n, \u001b) so a value can neither forge a line nor hide what it is. A source may be anything,
 * /proc/self/environ included; a message shows a recognisable piece of it, never all of it.
 */
export function clipText(text: string, maxBytes: number = SOURCE_TEXT_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  let kept = text;
  if (bytes.length > maxBytes) {
    let end = maxBytes;
    // Back up to the start of a character: continuation bytes are 10xxxxxx.
    while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
    kept = bytes.subarray(0, end).toString('utf8');
  }
  const shown = kept.replace(INVISIBLE, (c) => NAMED[c] ?? `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`);
  return kept === text ? shown : `${shown}…[${bytes.length - Buffer.byteLength(kept)} more bytes]`;
}
