import { describe, expect, it } from 'vitest';
import { clusterPoints } from './points.ts';

describe('clusterPoints', () => {
  it('runs a quarter first for one count', () => {
    expect(clusterPoints('200')).toEqual([50, 200]);
  });

  it('runs a small count alone', () => {
    expect(clusterPoints('4')).toEqual([4]);
  });

  it('runs a list as given, ascending and once each', () => {
    expect(clusterPoints('1000,50,200,50')).toEqual([50, 200, 1000]);
    expect(clusterPoints('1000,')).toEqual([1000]);
  });

  it('refuses a spec without a count', () => {
    expect(() => clusterPoints('none')).toThrow('no cluster counts');
  });
});
