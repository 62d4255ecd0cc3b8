import {
  InDoubtGroupRecord,
  decodeInDoubtGroup,
  encodeInDoubtGroup,
} from './in-doubt-group-record';

describe('in-doubt vote group records', () => {
  const record: InDoubtGroupRecord = {
    nodeId: 'host-12-abcdef',
    at: 1_700_000_000_123,
    group: {
      groupId: 'g1',
      totals: new Map([
        [7, 2],
        [9, 1],
      ]),
      uses: [
        { token: 't1', ticket: 'T', userIds: [7, 9] },
        { token: 't2', ticket: 'T', userIds: [7] },
      ],
    },
  };

  it('decodes what it encodes, totals as a map', () => {
    const decoded = decodeInDoubtGroup('g1', encodeInDoubtGroup(record));
    expect(decoded).toEqual(record);
    expect(decoded?.group.totals.get(7)).toBe(2);
  });

  it.each([
    ['not JSON', '{'],
    ['JSON null', 'null'],
    ['no node', JSON.stringify({ at: 1, totals: [], uses: [] })],
    ['a non-numeric time', JSON.stringify({ node: 'n', at: 'now', totals: [], uses: [] })],
    [
      'a total that is not a pair of ids',
      JSON.stringify({ node: 'n', at: 1, totals: [[7, -1]], uses: [] }),
    ],
    [
      'a use without a token',
      JSON.stringify({ node: 'n', at: 1, totals: [], uses: [{ ticket: 'T', userIds: [1] }] }),
    ],
    [
      'a use with a fractional user id',
      JSON.stringify({
        node: 'n',
        at: 1,
        totals: [],
        uses: [{ token: 't', ticket: 'T', userIds: [1.5] }],
      }),
    ],
  ])('refuses a value it did not write: %s', (_what, value) => {
    expect(decodeInDoubtGroup('g1', value)).toBeUndefined();
  });
});
