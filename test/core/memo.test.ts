import { memoized } from '../../src/core/memo';

describe('memoized', () => {
  it('builds once per id and, when full, drops the id used longest ago', () => {
    const built: string[] = [];
    const lengthOf = memoized(
      2,
      (words: string[]) => words.join(' '),
      (words) => {
        built.push(words.join(' '));
        return words.join('').length;
      },
    );
    expect(lengthOf(['a', 'b'])).toBe(2);
    expect(lengthOf(['a', 'b'])).toBe(2);
    expect(lengthOf(['abc'])).toBe(3);
    expect(built).toEqual(['a b', 'abc']);
    // 'a b' used again: now 'abc' is the one used longest ago, and a third id drops it.
    expect(lengthOf(['a', 'b'])).toBe(2);
    expect(lengthOf(['x'])).toBe(1);
    expect(lengthOf(['a', 'b'])).toBe(2);
    expect(built).toEqual(['a b', 'abc', 'x']);
    expect(lengthOf(['abc'])).toBe(3);
    expect(built).toEqual(['a b', 'abc', 'x', 'abc']);
  });
});
