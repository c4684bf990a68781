/**
 * A multimap whose value is the one item itself, or a Set once a key holds
 * two or more: most users hold one connection, and an entry per user without
 * a Set is a good part of an idle connection's memory.
 */
export type OneOrSet<T> = T | Set<T>;

export function addOne<K, T>(index: Map<K, OneOrSet<T>>, key: K, item: T): void {
  const held = index.get(key);
  if (held === undefined) index.set(key, item);
  else if (held instanceof Set) held.add(item);
  else if (held !== item) index.set(key, new Set([held, item]));
}

export function removeOne<K, T>(index: Map<K, OneOrSet<T>>, key: K, item: T): void {
  const held = index.get(key);
  if (held === item) index.delete(key);
  else if (held instanceof Set) {
    held.delete(item);
    if (held.size === 1) index.set(key, held.values().next().value!);
  }
}

export function countOf<K, T>(index: Map<K, OneOrSet<T>>, key: K): number {
  const held = index.get(key);
  return held === undefined ? 0 : held instanceof Set ? held.size : 1;
}
