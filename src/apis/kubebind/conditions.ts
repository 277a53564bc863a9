// kube-bind's conditions: a fork of Cluster API's v1beta1 conditions (upstream
// pkg/apis/third_party/conditions/util/conditions), not metav1.Condition. The status objects we
// write must be byte-identical to the Go controllers', so this follows upstream's setter.go,
// getter.go and merge.go rule by rule, quirks included.
//
// Everything here is pure: helpers take a condition list and return a new one, and never read the
// clock — callers pass `now` from their own Clock (src/apis is the bottom layer and imports nothing).
import type { Condition, ConditionStatus } from './types.gen.ts';
import { ReadyCondition } from './wire.ts';

/**
 * The status of a condition (generated from metav1.Condition's enum). kube-bind's own condition
 * schema does not validate it, so stored values are plain strings.
 */
export type { ConditionStatus };

/** How bad a False condition is; empty means "not classified". */
export type ConditionSeverity = '' | 'Error' | 'Warning' | 'Info';

/** kube-bind's condition (the CRDs' schema, generated from src/apis/kubebind/crds/shared.ts). */
export type { Condition };

/** A condition to set: `lastTransitionTime` is computed by `set`. */
export interface ConditionInput {
  type: string;
  status: string;
  severity?: string | undefined;
  /** Kept for a new entry when given (upstream only stamps a zero time); ignored otherwise. */
  lastTransitionTime?: string | undefined;
  reason?: string | undefined;
  message?: string | undefined;
}

/** Any kube-bind object that carries conditions. */
export interface Conditioned {
  status?: { conditions?: Condition[] | undefined } | undefined;
}

export { ReadyCondition };

/** A point in time: a Date or milliseconds since the epoch (what `Clock.now()` returns). */
export type Instant = Date | number;

/**
 * `now` as a condition timestamp: RFC 3339 in UTC, truncated to whole seconds, as upstream's
 * `metav1.NewTime(time.Now().UTC().Truncate(time.Second))`. Throws RangeError for an invalid date.
 */
export function conditionTime(now: Instant): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The conditions of an object; empty when it has none. */
export function conditionsOf(obj: Conditioned): readonly Condition[] {
  return obj.status?.conditions ?? [];
}

/** A copy of `obj` whose `status.conditions` is `conditions` (other status fields are kept). */
export function withConditions<T extends Conditioned>(obj: T, conditions: Condition[]): T {
  return { ...obj, status: { ...obj.status, conditions } };
}

// --- getters (getter.go) ---

/** The first condition of the given type, or undefined. */
export function getCondition(
  conditions: readonly Condition[],
  type: string,
): Condition | undefined {
  return conditions.find((c) => c.type === type);
}

export function hasCondition(conditions: readonly Condition[], type: string): boolean {
  return getCondition(conditions, type) !== undefined;
}

/** False when the condition is missing. */
export function isTrue(conditions: readonly Condition[], type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

/** False when the condition is missing. */
export function isFalse(conditions: readonly Condition[], type: string): boolean {
  return getCondition(conditions, type)?.status === 'False';
}

/** True when the condition is missing too: upstream's IsUnknown treats "not reported" as unknown. */
export function isUnknown(conditions: readonly Condition[], type: string): boolean {
  const c = getCondition(conditions, type);
  return c === undefined || c.status === 'Unknown';
}

// --- setters (setter.go) ---

/**
 * Sets `condition`, replacing the entry of the same type or appending one, and returns the new,
 * sorted list. The transition time moves to `now` only when status, reason, severity or message
 * changed (Go has no "missing" string, so missing and '' are the same); otherwise the old one is
 * kept. A new entry gets `now` unless the input already carries a time, as upstream.
 *
 * Every entry is written back in Go's shape — empty optional fields and unknown keys dropped, keys
 * in struct order — because that is what a Go client's decode/encode round trip does.
 */
export function set(
  conditions: readonly Condition[],
  condition: ConditionInput,
  now: Instant,
): Condition[] {
  const next = conditions.map(canonical);
  const i = conditions.findIndex((c) => c.type === condition.type);
  const existing = conditions[i];
  if (existing === undefined) {
    const given = condition.lastTransitionTime ?? '';
    next.push(canonical({ ...condition, lastTransitionTime: given || conditionTime(now) }));
  } else if (!sameState(existing, condition)) {
    next[i] = canonical({ ...condition, lastTransitionTime: conditionTime(now) });
  }
  return sortConditions(next);
}

/** Sets a True condition; True carries no reason, severity or message. */
export function markTrue(
  conditions: readonly Condition[],
  type: string,
  now: Instant,
): Condition[] {
  return set(conditions, { type, status: 'True' }, now);
}

/**
 * Sets a False condition. `message` is used as is: upstream's MarkFalse takes a format string and
 * arguments, so callers format first (with goSprintfNoArgs where upstream passes a bare message).
 */
export function markFalse(
  conditions: readonly Condition[],
  type: string,
  reason: string,
  severity: ConditionSeverity,
  message: string,
  now: Instant,
): Condition[] {
  return set(conditions, { type, status: 'False', severity, reason, message }, now);
}

/** Sets an Unknown condition (no severity). `message` is used as is, as for markFalse. */
export function markUnknown(
  conditions: readonly Condition[],
  type: string,
  reason: string,
  message: string,
  now: Instant,
): Condition[] {
  return set(conditions, { type, status: 'Unknown', reason, message }, now);
}

/**
 * Sets `Ready` to the summary of all the other conditions (upstream SetSummary with no options).
 * When there are none, nothing is written: the list comes back as it was (in Go shape, unsorted).
 */
export function setSummary(conditions: readonly Condition[], now: Instant): Condition[] {
  const ready = summary(conditions);
  return ready === undefined ? conditions.map(canonical) : set(conditions, ready, now);
}

// --- the summary (merge.go, merge_strategies.go) ---

/**
 * Upstream's mergePriority: the lower, the more relevant. Note the gap: a False condition with an
 * empty (or unrecognised) severity matches none of the False cases and falls through to the
 * "should never happen" 99, as does any status other than True/False/Unknown. So an unclassified
 * False ranks *below* True and Unknown — it only decides Ready when nothing else is there, and then
 * Ready is False with no severity. Checked against kube-bind's merge.go (conditionGroup.mergePriority,
 * a Go switch without fallthrough) and Cluster API v1beta1's util/conditions/merge.go, which is the
 * same code.
 */
function mergePriority(status: string, severity: string): number {
  if (status === 'False') {
    if (severity === 'Error') return 0;
    if (severity === 'Warning') return 1;
    if (severity === 'Info') return 2;
    return 99;
  }
  if (status === 'True') return 3;
  if (status === 'Unknown') return 4;
  return 99;
}

function summary(conditions: readonly Condition[]): ConditionInput | undefined {
  // Groups by (status, severity) in list order; Array#sort is stable, like Go's sort.Sort on the
  // handful of groups there can be (insertion sort below 13 elements), so equal priorities keep
  // their first-seen order.
  const groups: { status: string; severity: string; members: Condition[] }[] = [];
  for (const c of conditions) {
    if (c.type === ReadyCondition) continue;
    const severity = c.severity ?? '';
    const group = groups.find((g) => g.status === c.status && g.severity === severity);
    if (group) group.members.push(c);
    else groups.push({ status: c.status, severity, members: [c] });
  }
  const top = groups
    .map((g) => ({ ...g, priority: mergePriority(g.status, g.severity) }))
    .sort((a, b) => a.priority - b.priority)[0];
  if (top === undefined) return undefined;
  if (top.status === 'True') return { type: ReadyCondition, status: 'True' };

  // Reason and message come from the top group's first condition in Ready-first/by-type order.
  const first = sortConditions(top.members)[0];
  const reason = first?.reason ?? '';
  // Upstream passes the message to FalseCondition/UnknownCondition as a *format string* with no
  // arguments, so a `%` in it is mangled by fmt.Sprintf. Reproduce that.
  const message = goSprintfNoArgs(first?.message ?? '');
  if (top.status === 'False') {
    return { type: ReadyCondition, status: 'False', severity: top.severity, reason, message };
  }
  return { type: ReadyCondition, status: 'Unknown', reason, message };
}

// --- internals ---

/** Same state as upstream's hasSameState: everything but the transition time. */
function sameState(a: ConditionInput, b: ConditionInput): boolean {
  return (
    a.type === b.type &&
    a.status === b.status &&
    (a.reason ?? '') === (b.reason ?? '') &&
    (a.severity ?? '') === (b.severity ?? '') &&
    (a.message ?? '') === (b.message ?? '')
  );
}

/** The condition as Go would serialise it: struct key order, empty optional strings omitted. */
function canonical(c: ConditionInput & { lastTransitionTime: string }): Condition {
  return {
    type: c.type,
    status: c.status,
    ...(c.severity ? { severity: c.severity } : {}),
    lastTransitionTime: c.lastTransitionTime,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  };
}

/**
 * Ready first, then by type — upstream sorts "for convenience of the consumer, i.e. kubectl", so
 * the summary shows first. (Go compares bytes and JS compares UTF-16 units; they agree for the
 * ASCII type names in use.)
 */
function sortConditions<T extends { type: string }>(list: readonly T[]): T[] {
  return list.toSorted((a, b) => {
    if (a.type === b.type) return 0;
    if (a.type === ReadyCondition) return -1;
    if (b.type === ReadyCondition) return 1;
    return a.type < b.type ? -1 : 1;
  });
}

/**
 * Go's `fmt.Sprintf(format)` with no arguments: `%%` becomes `%`, and every other directive turns
 * into an error marker (`%!d(MISSING)`, `%!d(BADINDEX)`, `%!(NOVERB)`, `%!(BADWIDTH)`,
 * `%!(BADPREC)`), following fmt's doPrintf. Exported for ports of upstream call sites that pass a
 * ready-made message as the format, e.g. `conditions.MarkFalse(obj, t, r, s, err.Error())`.
 */
export function goSprintfNoArgs(format: string): string {
  const end = format.length;
  const isDigit = (k: number): boolean => {
    const c = format.charCodeAt(k); // NaN past the end
    return c >= 48 && c <= 57;
  };
  // parsenum: skips the digits from k; a number over 1e6 makes fmt give up and skip to the end.
  const skipNumber = (k: number): number => {
    for (let n = 0; isDigit(k); k++) {
      if (n > 1e6) return end;
      n = n * 10 + format.charCodeAt(k) - 48;
    }
    return k;
  };
  let out = '';
  let i = 0;
  while (i < end) {
    const pct = format.indexOf('%', i);
    if (pct < 0) return out + format.slice(i);
    out += format.slice(i, pct);
    i = pct + 1;
    let badIndex = false;
    // argNumber: with no arguments an index `[n]` can never be valid, so it always makes the verb
    // BADINDEX; returns whether it parsed as `[digits]` (fmt's afterIndex).
    const argIndex = (): boolean => {
      if (format[i] !== '[') return false;
      badIndex = true;
      const close = end - i < 3 ? -1 : format.indexOf(']', i + 1);
      if (close < 0) {
        i += 1;
        return false;
      }
      const ok = close > i + 1 && skipNumber(i + 1) === close;
      i = close + 1;
      return ok;
    };
    while (i < end && '#0+- '.includes(format.charAt(i))) i++;
    let afterIndex = argIndex();
    if (format[i] === '*') {
      i++;
      out += '%!(BADWIDTH)';
      afterIndex = false;
    } else {
      i = skipNumber(i);
    }
    if (i + 1 < end && format[i] === '.') {
      i++;
      if (afterIndex) badIndex = true;
      afterIndex = argIndex();
      if (format[i] === '*') {
        i++;
        out += '%!(BADPREC)';
        afterIndex = false;
      } else {
        i = skipNumber(i);
      }
    }
    if (!afterIndex) argIndex();
    if (i >= end) return out + '%!(NOVERB)';
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    i += verb.length;
    out += verb === '%' ? '%' : `%!${verb}(${badIndex ? 'BADINDEX' : 'MISSING'})`;
  }
  return out;
}
