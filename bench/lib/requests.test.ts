import { describe, expect, it } from 'vitest';
import { minus, readsAndWrites, RequestCounter, samples, total } from './requests.ts';

const exposition = [
  '# HELP apiserver_request_total Counter of apiserver requests',
  'apiserver_request_total{code="200",resource="cowboys",subresource="",verb="LIST"} 3',
  'apiserver_request_total{code="201",resource="cowboys",subresource="",verb="POST"} 5',
  'apiserver_request_total{code="200",resource="cowboys",subresource="status",verb="PUT"} 2',
  'apiserver_request_total{code="200",resource="leases",subresource="",verb="PUT"} 40',
  'apiserver_request_total_other{resource="cowboys",verb="GET"} 7',
  'process_start_time_seconds 1.7e9',
].join('\n');

describe('samples', () => {
  it('reads the labels and value of one metric, and no other', () => {
    const all = [...samples(exposition, 'apiserver_request_total')];
    expect(all).toHaveLength(4);
    expect(all[2]).toEqual({
      labels: { code: '200', resource: 'cowboys', subresource: 'status', verb: 'PUT' },
      value: 2,
    });
    expect([...samples(exposition, 'process_start_time_seconds')]).toEqual([
      { labels: {}, value: 1.7e9 },
    ]);
  });
});

describe('RequestCounter', () => {
  const counter = new RequestCounter(['cowboys']);

  it('counts the apiserver metric by verb and resource, counted resources only', () => {
    expect(counter.fromMetrics(exposition, 'apiserver_request_total')).toEqual(
      new Map([
        ['LIST cowboys', 3],
        ['POST cowboys', 5],
        ['PUT cowboys/status', 2],
      ]),
    );
  });

  it("counts a client's records in the apiserver's spelling", () => {
    const record = (verb: string, resource: string) => ({
      verb,
      resource,
      code: '200',
      seconds: 0,
    });
    const counts = counter.fromRecords([
      record('create', 'cowboys'),
      record('update', 'cowboys/status'),
      record('list', 'cowboys'),
      record('get', 'secrets'),
    ]);
    expect(counts).toEqual(
      new Map([
        ['POST cowboys', 1],
        ['PUT cowboys/status', 1],
        ['LIST cowboys', 1],
      ]),
    );
  });
});

describe('readsAndWrites, minus, total', () => {
  it('splits reads from writes in either spelling of the verbs', () => {
    const counts = new Map([
      ['GET a', 1],
      ['watch b', 2],
      ['LIST c', 3],
      ['create d', 4],
      ['PATCH e', 5],
    ]);
    expect(readsAndWrites(counts)).toEqual({ reads: 6, writes: 9 });
    expect(total(counts)).toBe(15);
  });

  it('subtracts key by key, keeping keys of either side', () => {
    const a = new Map([
      ['x', 5],
      ['y', 1],
    ]);
    const b = new Map([
      ['x', 2],
      ['z', 1],
    ]);
    expect(minus(a, b)).toEqual(
      new Map([
        ['x', 3],
        ['y', 1],
        ['z', -1],
      ]),
    );
  });
});
