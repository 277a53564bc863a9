// Whether a live object already has what we want: compared as JSON with sorted keys, because the
// API server returns fields in its own order (a PolicyRule comes back verbs first). Comparing in
// our order would see a difference every time, write, get the write back as an event, and loop.
import { byCodeUnits } from '../../apis/order.ts';
export function sameContent(a: unknown, b: unknown): boolean {
  return canonical(a ?? null) === canonical(b ?? null);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => byCodeUnits(a, b)))
      : v,
  );
}
