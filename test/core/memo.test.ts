import { memoized } from '../../src/core/memo';

describe('memoized', () => {
  it('builds once per id and, when full, builds again the id built longest ago', () => {
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
    // A third id: the oldest ('a b') goes, 'abc' stays.
    expect(lengthOf(['x'])).toBe(1);
    expect(lengthOf(['abc'])).toBe(3);
    expect(lengthOf(['a', 'b'])).toBe(2);
    expect(built).toEqual(['a b', 'abc', 'x', 'a b']);
  });
});
