import { describe, expect, it } from 'vitest';
import {
  conditionTime,
  conditionsOf,
  getCondition,
  goSprintfNoArgs,
  hasCondition,
  isFalse,
  isTrue,
  isUnknown,
  markFalse,
  markTrue,
  markUnknown,
  set,
  setSummary,
  withConditions,
  type Condition,
} from './conditions.ts';

const T0 = '2026-11-21T10:00:00Z';
const now = new Date('2026-11-21T12:34:56.789Z');
const NOW = '2026-11-21T12:34:56Z';

/** Freezes the list and every entry, so any mutation by the code under test throws. */
function frozen(list: Condition[]): readonly Condition[] {
  for (const c of list) Object.freeze(c);
  return Object.freeze(list);
}

const cond = (
  type: string,
  status: string,
  extra: Partial<Omit<Condition, 'type' | 'status'>> = {},
): Condition => ({ type, status, lastTransitionTime: T0, ...extra });

describe('conditionTime', () => {
  it('formats UTC RFC 3339 truncated to whole seconds', () => {
    expect(conditionTime(now)).toBe(NOW);
    expect(conditionTime(new Date('2026-11-21T12:34:56.999+02:00'))).toBe('2026-11-21T10:34:56Z');
    expect(conditionTime(Date.parse('2026-11-21T10:00:00Z'))).toBe(T0);
  });
});

describe('set', () => {
  it('appends a new condition stamped with now, without empty optional keys', () => {
    const out = set(frozen([]), { type: 'A', status: 'False', reason: '', message: 'm' }, now);
    expect(out).toEqual([{ type: 'A', status: 'False', lastTransitionTime: NOW, message: 'm' }]);
    expect(Object.keys(out[0] ?? {})).toEqual(['type', 'status', 'lastTransitionTime', 'message']);
  });

  it('keeps a time the new condition already carries, as upstream', () => {
    const out = set(frozen([]), { type: 'A', status: 'True', lastTransitionTime: T0 }, now);
    expect(out).toEqual([{ type: 'A', status: 'True', lastTransitionTime: T0 }]);
  });

  it('keeps the old timestamp when nothing changed', () => {
    const before = frozen([cond('A', 'False', { severity: 'Info', reason: 'R', message: 'm' })]);
    const out = set(
      before,
      { type: 'A', status: 'False', severity: 'Info', reason: 'R', message: 'm' },
      now,
    );
    expect(out).toEqual([
      {
        type: 'A',
        status: 'False',
        severity: 'Info',
        lastTransitionTime: T0,
        reason: 'R',
        message: 'm',
      },
    ]);
    expect(out).not.toBe(before);
  });

  it('treats a missing field and an empty string as equal', () => {
    const before = frozen([cond('A', 'True', { reason: '', severity: '', message: '' })]);
    expect(set(before, { type: 'A', status: 'True' }, now)).toEqual([
      { type: 'A', status: 'True', lastTransitionTime: T0 },
    ]);
    expect(
      set(frozen([cond('A', 'True')]), { type: 'A', status: 'True', reason: '' }, now),
    ).toEqual([{ type: 'A', status: 'True', lastTransitionTime: T0 }]);
  });

  it.each([
    ['status', { status: 'True' }],
    ['reason', { reason: 'Other' }],
    ['severity', { severity: 'Error' }],
    ['message', { message: 'changed' }],
  ])('bumps the timestamp when %s changes', (_field, change) => {
    const before = frozen([cond('A', 'False', { severity: 'Info', reason: 'R', message: 'm' })]);
    const input = { type: 'A', status: 'False', severity: 'Info', reason: 'R', message: 'm' };
    const out = set(before, { ...input, ...change }, now);
    expect(out).toEqual([{ ...input, ...change, lastTransitionTime: NOW }]);
  });

  it('replaces the entry wholesale, dropping fields the new condition lacks', () => {
    const before = frozen([cond('A', 'False', { severity: 'Error', reason: 'R', message: 'm' })]);
    expect(set(before, { type: 'A', status: 'True' }, now)).toEqual([
      { type: 'A', status: 'True', lastTransitionTime: NOW },
    ]);
  });

  it('ignores a supplied time when an existing entry changes or stays', () => {
    const before = frozen([cond('A', 'True')]);
    const supplied = '2000-01-01T00:00:00Z';
    expect(set(before, { type: 'A', status: 'True', lastTransitionTime: supplied }, now)).toEqual([
      cond('A', 'True'),
    ]);
    expect(set(before, { type: 'A', status: 'False', lastTransitionTime: supplied }, now)).toEqual([
      { type: 'A', status: 'False', lastTransitionTime: NOW },
    ]);
  });

  it('sorts Ready first, then by type', () => {
    const before = frozen([cond('B', 'True'), cond('Ready', 'True'), cond('A', 'True')]);
    expect(set(before, { type: 'C', status: 'True' }, now).map((c) => c.type)).toEqual([
      'Ready',
      'A',
      'B',
      'C',
    ]);
    expect(set(before, { type: 'B', status: 'True' }, now).map((c) => c.type)).toEqual([
      'Ready',
      'A',
      'B',
    ]);
    // Byte order, as Go compares strings: upper case before lower case.
    expect(
      set(frozen([cond('a', 'True')]), { type: 'B', status: 'True' }, now).map((c) => c.type),
    ).toEqual(['B', 'a']);
  });

  it('writes every entry in Go shape: key order, no empty or unknown keys', () => {
    const messy = {
      message: '',
      reason: 'R',
      lastTransitionTime: T0,
      extra: 'dropped',
      status: 'False',
      type: 'B',
    } as Condition;
    const out = set(frozen([messy]), { type: 'A', status: 'True' }, now);
    expect(JSON.stringify(out)).toBe(
      `[{"type":"A","status":"True","lastTransitionTime":"${NOW}"},` +
        `{"type":"B","status":"False","lastTransitionTime":"${T0}","reason":"R"}]`,
    );
  });
});

describe('markTrue, markFalse, markUnknown', () => {
  it('markTrue writes only type, status and time', () => {
    const before = frozen([cond('A', 'False', { severity: 'Error', reason: 'R', message: 'm' })]);
    const out = markTrue(before, 'A', now);
    expect(out).toEqual([{ type: 'A', status: 'True', lastTransitionTime: NOW }]);
    expect(Object.keys(out[0] ?? {})).toEqual(['type', 'status', 'lastTransitionTime']);
  });

  it('markFalse sets severity, reason and message', () => {
    expect(markFalse(frozen([]), 'A', 'Broken', 'Warning', 'it broke', now)).toEqual([
      {
        type: 'A',
        status: 'False',
        severity: 'Warning',
        lastTransitionTime: NOW,
        reason: 'Broken',
        message: 'it broke',
      },
    ]);
  });

  it('markFalse omits empty fields and does not format the message', () => {
    const out = markFalse(frozen([]), 'A', 'Broken', '', '', now);
    expect(out).toEqual([
      { type: 'A', status: 'False', lastTransitionTime: NOW, reason: 'Broken' },
    ]);
    expect(markFalse(frozen([]), 'A', '', 'Info', '50%', now)).toEqual([
      { type: 'A', status: 'False', severity: 'Info', lastTransitionTime: NOW, message: '50%' },
    ]);
  });

  it('markUnknown has no severity', () => {
    const before = frozen([cond('A', 'False', { severity: 'Error', reason: 'R' })]);
    expect(markUnknown(before, 'A', 'Pending', 'waiting', now)).toEqual([
      {
        type: 'A',
        status: 'Unknown',
        lastTransitionTime: NOW,
        reason: 'Pending',
        message: 'waiting',
      },
    ]);
  });
});

describe('setSummary', () => {
  const ready = (list: Condition[]): Condition | undefined =>
    getCondition(setSummary(frozen(list), now), 'Ready');

  const err = cond('E', 'False', { severity: 'Error', reason: 'Err', message: 'error' });
  const warn = cond('W', 'False', { severity: 'Warning', reason: 'Warn', message: 'warning' });
  const info = cond('I', 'False', { severity: 'Info', reason: 'Inf', message: 'info' });
  const yes = cond('T', 'True');
  const unknown = cond('U', 'Unknown', { reason: 'Unk', message: 'unknown' });
  const falseNoSeverity = cond('F', 'False', { reason: 'Plain', message: 'plain' });

  it('False/Error beats everything else', () => {
    expect(ready([yes, unknown, info, warn, err])).toEqual({
      type: 'Ready',
      status: 'False',
      severity: 'Error',
      lastTransitionTime: NOW,
      reason: 'Err',
      message: 'error',
    });
  });

  it('False/Warning beats False/Info, True and Unknown', () => {
    expect(ready([unknown, yes, info, warn])).toEqual({
      type: 'Ready',
      status: 'False',
      severity: 'Warning',
      lastTransitionTime: NOW,
      reason: 'Warn',
      message: 'warning',
    });
  });

  it('False/Info beats True and Unknown', () => {
    expect(ready([unknown, yes, info])).toEqual({
      type: 'Ready',
      status: 'False',
      severity: 'Info',
      lastTransitionTime: NOW,
      reason: 'Inf',
      message: 'info',
    });
  });

  it('True beats Unknown, and a True Ready has no reason or message', () => {
    const out = ready([unknown, yes]);
    expect(out).toEqual({ type: 'Ready', status: 'True', lastTransitionTime: NOW });
    expect(Object.keys(out ?? {})).toEqual(['type', 'status', 'lastTransitionTime']);
  });

  it('all Unknown gives Unknown with the first reason and message, no severity', () => {
    expect(ready([unknown, cond('V', 'Unknown', { reason: 'Later' })])).toEqual({
      type: 'Ready',
      status: 'Unknown',
      lastTransitionTime: NOW,
      reason: 'Unk',
      message: 'unknown',
    });
  });

  it('False with no severity ranks below True and Unknown (upstream priority 99)', () => {
    expect(ready([falseNoSeverity, yes])).toEqual({
      type: 'Ready',
      status: 'True',
      lastTransitionTime: NOW,
    });
    expect(ready([falseNoSeverity, unknown])?.reason).toBe('Unk');
    expect(ready([falseNoSeverity, info])?.reason).toBe('Inf');
  });

  it('False with no severity alone gives a False Ready without severity', () => {
    expect(ready([falseNoSeverity])).toEqual({
      type: 'Ready',
      status: 'False',
      lastTransitionTime: NOW,
      reason: 'Plain',
      message: 'plain',
    });
  });

  it('an unrecognised status alone gives Unknown', () => {
    expect(ready([cond('X', 'Maybe', { reason: 'Odd' })])).toEqual({
      type: 'Ready',
      status: 'Unknown',
      lastTransitionTime: NOW,
      reason: 'Odd',
    });
  });

  it('takes reason and message from the first condition of the group by type', () => {
    const zeta = cond('Zeta', 'False', { severity: 'Error', reason: 'Z', message: 'zeta' });
    const alpha = cond('Alpha', 'False', { severity: 'Error', reason: 'A', message: 'alpha' });
    const beta = cond('Beta', 'False', { severity: 'Warning', reason: 'B', message: 'beta' });
    expect(ready([beta, zeta, alpha])).toMatchObject({ reason: 'A', message: 'alpha' });
    // An empty reason or message in the first condition is taken as is (not the next one's).
    const bare = cond('Aa', 'False', { severity: 'Error' });
    expect(ready([zeta, bare])).toEqual({
      type: 'Ready',
      status: 'False',
      severity: 'Error',
      lastTransitionTime: NOW,
    });
  });

  it('ignores the existing Ready condition and updates it', () => {
    const staleReady = cond('Ready', 'False', { severity: 'Error', reason: 'Old' });
    expect(setSummary(frozen([staleReady, yes]), now)).toEqual([
      { type: 'Ready', status: 'True', lastTransitionTime: NOW },
      yes,
    ]);
  });

  it('keeps the Ready timestamp when the summary did not change', () => {
    const current = cond('Ready', 'False', {
      severity: 'Info',
      reason: 'Inf',
      message: 'info',
    });
    expect(setSummary(frozen([current, info]), now)).toEqual([current, info]);
  });

  it('writes nothing when there are no other conditions', () => {
    expect(setSummary(frozen([]), now)).toEqual([]);
    const onlyReady = frozen([cond('Ready', 'False', { reason: 'R' })]);
    expect(setSummary(onlyReady, now)).toEqual(onlyReady);
  });

  it('sorts the result Ready first', () => {
    expect(
      setSummary(frozen([cond('B', 'True'), cond('A', 'True')]), now).map((c) => c.type),
    ).toEqual(['Ready', 'A', 'B']);
  });

  it('mangles a % in the summarised message as Go fmt.Sprintf(message) does', () => {
    const pct = cond('A', 'False', { severity: 'Error', reason: 'R', message: 'GET /a%2Fb: 50%' });
    expect(ready([pct])?.message).toBe('GET /a%!F(MISSING)b: 50%!(NOVERB)');
    // ...but the source condition keeps its message.
    expect(getCondition(setSummary(frozen([pct]), now), 'A')).toEqual(pct);
  });
});

describe('getters', () => {
  const list = frozen([cond('Ready', 'True'), cond('A', 'False'), cond('B', 'Unknown')]);

  it('getCondition and hasCondition', () => {
    expect(getCondition(list, 'A')).toEqual(cond('A', 'False'));
    expect(getCondition(list, 'Z')).toBeUndefined();
    expect(hasCondition(list, 'B')).toBe(true);
    expect(hasCondition(list, 'Z')).toBe(false);
  });

  it('isTrue, isFalse, isUnknown; a missing condition counts as unknown only', () => {
    expect([isTrue(list, 'Ready'), isFalse(list, 'Ready'), isUnknown(list, 'Ready')]).toEqual([
      true,
      false,
      false,
    ]);
    expect([isTrue(list, 'A'), isFalse(list, 'A'), isUnknown(list, 'A')]).toEqual([
      false,
      true,
      false,
    ]);
    expect([isTrue(list, 'B'), isFalse(list, 'B'), isUnknown(list, 'B')]).toEqual([
      false,
      false,
      true,
    ]);
    expect([isTrue(list, 'Z'), isFalse(list, 'Z'), isUnknown(list, 'Z')]).toEqual([
      false,
      false,
      true,
    ]);
  });
});

describe('object helpers', () => {
  interface Thing {
    metadata: { name: string };
    status?: { phase?: string; conditions?: Condition[] };
  }

  it('conditionsOf and withConditions', () => {
    const obj: Thing = Object.freeze({
      metadata: { name: 'x' },
      status: Object.freeze({ phase: 'P' }),
    });
    expect(conditionsOf(obj)).toEqual([]);
    const next = withConditions(obj, markTrue(conditionsOf(obj), 'A', now));
    expect(next).toEqual({
      metadata: { name: 'x' },
      status: { phase: 'P', conditions: [{ type: 'A', status: 'True', lastTransitionTime: NOW }] },
    });
    expect(conditionsOf(next)).toHaveLength(1);
    expect(withConditions({}, [])).toEqual({ status: { conditions: [] } });
  });
});

describe('goSprintfNoArgs', () => {
  // Expected values produced by Go 1.26's fmt.Sprintf(format).
  it.each([
    ['', ''],
    ['plain', 'plain'],
    ['50%', '50%!(NOVERB)'],
    ['100%% done', '100% done'],
    ['a %s b', 'a %!s(MISSING) b'],
    ['%2F', '%!F(MISSING)'],
    ['%#v', '%!v(MISSING)'],
    ['%-%', '%'],
    ['%%%', '%%!(NOVERB)'],
    ['%!', '%!!(MISSING)'],
    ['%é', '%!é(MISSING)'],
    ['a%😀b', 'a%!😀(MISSING)b'],
    ['x%.', 'x%!.(MISSING)'],
    ['%.2', '%!(NOVERB)'],
    ['%5', '%!(NOVERB)'],
    ['%9999999999d', '%!(NOVERB)'],
    ['%*d', '%!(BADWIDTH)%!d(MISSING)'],
    ['%.*d', '%!(BADPREC)%!d(MISSING)'],
    ['%[1]d', '%!d(BADINDEX)'],
    ['%[1]*d', '%!(BADWIDTH)%!d(BADINDEX)'],
    ['%.[1]*d', '%!(BADPREC)%!d(BADINDEX)'],
    ['%3[1]d', '%!d(BADINDEX)'],
    ['%.[1]d', '%!d(BADINDEX)'],
    ['%[1].5[2]d', '%!d(BADINDEX)'],
    ['%[1]2.d', '%!d(BADINDEX)'],
    ['%+ #0-5.3[4]v', '%!v(BADINDEX)'],
    ['%[', '%!(NOVERB)'],
    ['%[2', '%!(NOVERB)'],
    ['%[1]', '%!(NOVERB)'],
    ['%[]', '%!](BADINDEX)'],
    ['%[]x', '%!x(BADINDEX)'],
    ['%[ab]c', '%!c(BADINDEX)'],
    ['%.[x]y', '%!y(BADINDEX)'],
    ['%[99999999999]d', '%!d(BADINDEX)'],
    ['url %2Fpath 100%', 'url %!F(MISSING)path 100%!(NOVERB)'],
  ])('%j → %j', (format, expected) => {
    expect(goSprintfNoArgs(format)).toBe(expected);
  });
});
