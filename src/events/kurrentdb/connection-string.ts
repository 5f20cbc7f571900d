/**
 * The connection string handed to the client: `esdb://` forms become their `kurrentdb://`
 * equivalents (same meaning, without the client's deprecation warning), and the deadline of the
 * store becomes the client's default deadline unless the string sets one.
 */
export function clientConnectionString(connectionString: string, deadlineMs: number): string {
  let value = connectionString.replace(/^esdb(\+discover)?:\/\//i, 'kurrentdb$1://');
  if (deadlineFromConnectionString(value) === undefined) {
    value += `${value.includes('?') ? '&' : '?'}defaultDeadline=${deadlineMs}`;
  }
  return value;
}

/** The `defaultDeadline` (ms) a connection string sets, if any: it then bounds the store's calls too. */
export function deadlineFromConnectionString(connectionString: string): number | undefined {
  const match = /[?&]defaultDeadline=(\d+)(?:&|$)/i.exec(connectionString);
  const value = match ? Number(match[1]) : undefined;
  return value !== undefined && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}
