import { describe, expect, it } from 'vitest';
// @ts-expect-error plain-JavaScript build script without declarations
import { RENDERER_BUILD, staleness } from '../../../scripts/lib/build.mjs';

describe('build staleness (npm start, npm run cvb -- serve)', () => {
  it('a missing output is stale, and says so', () => {
    expect(staleness({ inputs: ['package.json'], outputs: ['dist/no-such-output'] })).toBe('missing');
  });

  it('an output no newer than its sources is stale; one newer than all of them is not', () => {
    expect(staleness({ inputs: ['package.json'], outputs: ['package.json'] })).toBe('older than its sources');
    expect(staleness({ inputs: [], outputs: ['package.json'] })).toBeNull();
  });

  it('the renderer is rebuilt when the contract it imports changes', () => {
    expect(RENDERER_BUILD.inputs).toEqual(expect.arrayContaining(['src-renderer', 'src-main/contract']));
    expect(RENDERER_BUILD.outputs).toEqual(['dist/renderer/index.html']);
  });
});
