import { expect, test } from '@jest/globals';
import { axisNumber, largestValue, niceCeiling } from './chart-scale.js';

test('the top of a chart is a round number at least the largest value', () => {
  expect([0, 0.3, 1, 3, 7, 11, 120, 999].map(niceCeiling)).toEqual([
    1, 0.5, 1, 5, 10, 20, 200, 1000,
  ]);
  expect(largestValue([[1, null, 4], [null], [2]])).toBe(4);
  expect(largestValue([[null]])).toBe(0);
  expect(axisNumber(0.123456)).toBe('0.123');
  expect(axisNumber(12)).toBe('12');
});
