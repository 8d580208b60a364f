/** The first line of a commit message, cut to `max` characters with an ellipsis: what lists and titles show. */
export function firstLine(message: string, max: number): string {
  const line = (message.split('\n')[0] ?? '').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
