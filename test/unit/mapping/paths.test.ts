import { describe, expect, it } from 'vitest';
import type { TraceeEvent } from '../../../src/model/event.ts';
import type { MapInput } from '../../../src/mapping/input.ts';
import { compilePath } from '../../../src/mapping/paths.ts';

const input = (event: unknown): MapInput => ({
  event: event as TraceeEvent,
  node: {},
  signature: undefined,
  kind: 'event',
  observed: 0n,
});

describe('compilePath', () => {
  const ev = {
    workload: { process: { pid: 7, ancestors: [{ pid: 1 }, { pid: 2 }], thread: { name: 'sh' } } },
    list: ['a', 'b'],
    odd: { '': 'empty', ' 1': 'space', '1e0': 'exp', '-0': 'minus', '01': 'zero' },
  };

  it('reads nested members and canonical array indexes', () => {
    expect(compilePath('workload.process.thread.name')(input(ev))).toBe('sh');
    expect(compilePath('workload.process.ancestors.1.pid')(input(ev))).toBe(2);
    expect(compilePath('event.workload.process.pid')(input(ev))).toBe(7);
  });

  it('stops at missing members, null and non-objects', () => {
    expect(compilePath('workload.container.id')(input(ev))).toBeUndefined();
    expect(compilePath('workload.process.thread.name.length')(input(ev))).toBeUndefined();
    expect(compilePath('workload.process.pid.x.y')(input({ workload: { process: { pid: null } } }))).toBeUndefined();
    expect(compilePath('workload.process.ancestors.5.pid')(input(ev))).toBeUndefined();
  });

  it('segments that Number reads as an index ("1e0", " 1", "", "-0", "01") read arrays by that index, objects by name', () => {
    for (const [seg, fromObject, fromArray] of [
      ['1e0', 'exp', 'b'],
      [' 1', 'space', 'b'],
      ['', 'empty', 'a'],
      ['-0', 'minus', 'a'],
      ['01', 'zero', 'b'],
    ] as const) {
      expect(compilePath(`x.y.odd.${seg}`)(input({ x: { y: ev } }))).toBe(fromObject);
      expect(compilePath(`x.y.list.${seg}`)(input({ x: { y: ev } }))).toBe(fromArray);
    }
  });

  it('a non-index segment reads nothing from an array', () => {
    expect(compilePath('x.list.foo')(input({ x: { list: Object.assign(['a'], {}) } }))).toBeUndefined();
    expect(compilePath('x.list.NaN')(input({ x: { list: ['a'] } }))).toBeUndefined();
  });
});

describe('compilePath data.<arg>', () => {
  const ev = {
    data: [
      { name: 'a', value: { b: [{ c: 1 }, { c: 2 }] } },
      { name: 'l', value: ['x', 'y'] },
      { name: 'a', value: 'second' },
    ],
  };

  it('finds the first argument by name and walks into its value', () => {
    expect(compilePath('data.a')(input(ev))).toEqual(ev.data[0].value);
    expect(compilePath('data.a.b.1.c')(input(ev))).toBe(2);
    expect(compilePath('data.l.1e0')(input(ev))).toBe('y');
    expect(compilePath('data.a.b.9.c')(input(ev))).toBeUndefined();
    expect(compilePath('data.missing')(input(ev))).toBeUndefined();
  });

  it('an argument with a dotted name (binary.path) wins over a shorter one with sub-fields', () => {
    const dotted = {
      data: [
        { name: 'binary', value: { path: '/from/sub-field', x: { y: 1 } } },
        { name: 'binary.path', value: '/from/dotted' },
        { name: 'binary.x', value: { y: 2 } },
      ],
    };
    expect(compilePath('data.binary.path')(input(dotted))).toBe('/from/dotted');
    expect(compilePath('data.binary.x.y')(input(dotted))).toBe(2);
    expect(compilePath('data.binary.x')(input({ data: [dotted.data[0]] }))).toEqual({ y: 1 });
    expect(compilePath('data.binary.nosuch')(input(dotted))).toBeUndefined();
    expect(compilePath('data.binary.path')(input({ data: [] }))).toBeUndefined();
  });
});
