/**
 * `build` of an argument, kept by the argument's id for the last `limit` ids built: for values that cost
 * more to build than to use (a compiled glob, an egress matcher), asked for again and again with the
 * same few arguments while a Forge container stays warm. When full, the id used longest ago goes.
 */
export function memoized<A, V>(limit: number, idOf: (arg: A) => string, build: (arg: A) => V): (arg: A) => V {
  const kept = new Map<string, V>();
  return (arg) => {
    const id = idOf(arg);
    let value = kept.get(id);
    if (value === undefined) {
      value = build(arg);
      if (kept.size >= limit) kept.delete(kept.keys().next().value as string);
    } else {
      // A Map keeps insertion order: moved to the end, the id is the last to go.
      kept.delete(id);
    }
    kept.set(id, value);
    return value;
  };
}
