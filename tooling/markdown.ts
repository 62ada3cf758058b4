/** Markdown helpers shared by the generated documentation. */

/** Text for a table cell: one line, `|` escaped, `<` outside code spans escaped (GitHub would take `<name>` for HTML). */
export function cell(text: string): string {
  return text
    .replace(/\s+/g, " ")
    .trim()
    .split("`")
    .map((part, i) => (i % 2 === 0 ? part.replace(/</g, "&lt;") : part))
    .join("`")
    .replace(/\|/g, "\\|");
}

/** A code span for a cell. */
export function code(text: string): string {
  return cell(`\`${text.replace(/\s+/g, " ").trim()}\``);
}
