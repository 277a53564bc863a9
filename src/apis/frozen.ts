// Values shared by reference instead of copied. A cache that hands out the same object to every
// caller (a BoundSchema spec derived once per CRD, a spec's Go encoding keyed by the spec) is only
// correct while nobody changes that object, so it is frozen, all the way down: a change then
// throws (modules run in strict mode) instead of silently making the cache lie.

/** Freezes `value` and everything reachable from it (plain JSON-like data: no cycles); returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  Object.freeze(value);
  for (const member of Object.values(value)) deepFreeze(member);
  return value;
}

/**
 * `derive(key, variant)`, computed once per key object and variant and frozen: later calls with
 * the same key (by identity) and variant return the same object. Keys are held weakly, so an
 * informer's replaced object takes its derived values with it. `derive` must depend only on the
 * key's content and the variant; the key is frozen too, as its content must not change either.
 */
export function derivedOnce<K extends object, R, V extends string = ''>(
  derive: (key: K, variant: V) => R,
): (key: K, ...variant: V extends '' ? [] : [V]) => R {
  const cache = new WeakMap<K, Map<string, R>>();
  return (key, ...rest) => {
    const variant = (rest[0] ?? '') as V;
    let byVariant = cache.get(key);
    if (!byVariant) {
      byVariant = new Map();
      cache.set(key, byVariant);
    }
    if (byVariant.has(variant)) return byVariant.get(variant) as R;
    const derived = deepFreeze(derive(deepFreeze(key), variant));
    byVariant.set(variant, derived);
    return derived;
  };
}
