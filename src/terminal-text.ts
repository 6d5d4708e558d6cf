/**
 * Text from a mail (a subject, an object name, a tenant, a reason quoting them) made safe to
 * print on a terminal or in a file people `cat`: every C0 and C1 control character and DEL,
 * but tab and line feed, is shown as its escape (`\u001b`). Printed raw, ESC and BEL from a
 * mail recolour the screen, retitle the window or hide the rest of the line.
 *
 * Why `\u001b` and not a control picture (`␛`): it is plain ASCII, so it reads the same in
 * every font, locale and log viewer, and it is how `--json` writes ESC and the other C0
 * characters, so the text and JSON forms of one value match. Backslashes already in the text
 * are left as they are (`CONTOSO\jdoe` must read as typed); `--json` tells the two apart.
 *
 * Here, not in src/cli: the file desk's Markdown needs it too.
 */

// C0 (but tab and line feed), DEL and C1; and the bidirectional controls and line and
// paragraph separators, which reorder or break the line the terminal shows
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function terminalText(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
