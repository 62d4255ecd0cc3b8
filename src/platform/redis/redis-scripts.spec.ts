import { withFragments } from './redis-scripts';

describe('withFragments', () => {
  it('puts a named fragment in place of its include line', () => {
    const lua = withFragments('--! keys: 1\n--! include: now-ms\nreturn now_ms()\n', 'x.lua');
    expect(lua).toMatch(
      /^--! keys: 1\n-- Redis' own clock[\s\S]*local function now_ms\(\)[\s\S]*end\nreturn now_ms\(\)\n$/,
    );
  });

  it('names the script and the fragment it cannot find', () => {
    expect(() => withFragments('--! keys: 0\n--! include: nope\n', 'x.lua')).toThrow(
      'x.lua: no Lua fragment named nope',
    );
  });
});
