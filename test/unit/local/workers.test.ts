import { profilerFlags } from '../../../local/workers';

describe('profilerFlags', () => {
  it("passes the primary's --cpu-prof flags and their values on to the workers, and nothing else", () => {
    expect(
      profilerFlags([
        '--import',
        'tsx',
        '--cpu-prof',
        '--cpu-prof-dir',
        '/tmp/profiles',
        '--cpu-prof-interval=500',
        '--max-old-space-size=4096',
      ]),
    ).toEqual(['--cpu-prof', '--cpu-prof-dir', '/tmp/profiles', '--cpu-prof-interval=500']);
    expect(profilerFlags(['--import', 'tsx'])).toEqual([]);
  });
});
