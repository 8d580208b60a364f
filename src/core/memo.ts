/**
 * `build` of an argument, kept by the argument's id for the last `limit` ids built: for values that cost
 * more to build than to use (a compiled glob, an egress matcher), asked for again and again with the
 * same few arguments while a Forge container stays warm. The oldest id built goes first when full.
 */
export function memoized<A, V>(limit: number, idOf: (arg: A) => string, build: (arg: A) => V): (arg: A) => V {
  const kept = new Map<string, V>();
  return (arg) => {
    const id = idOf(arg);
    let value = kept.get(id);
    if (value === undefined) {
      value = build(arg);
      if (kept.size >= limit) kept.delete(kept.keys().next().value as string);
      kept.set(id, value);
    }
    return value;
  };
}
