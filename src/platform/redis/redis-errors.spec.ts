import { ReplyError } from 'ioredis';
import { mayHaveRun, pipelineReplies } from './redis-errors';

describe('mayHaveRun', () => {
  it('is false when Redis answered with an error: the command ran and failed', () => {
    expect(mayHaveRun(new ReplyError('NOSCRIPT No matching script'))).toBe(false);
  });

  it('is false when the client refused to send the command', () => {
    expect(
      mayHaveRun(new Error("Stream isn't writeable and enableOfflineQueue options is false")),
    ).toBe(false);
  });

  it('is false when a Redis Cluster client refused to send it (not ready, or ended)', () => {
    expect(
      mayHaveRun(new Error("Cluster isn't ready and enableOfflineQueue options is false")),
    ).toBe(false);
    expect(mayHaveRun(new Error('Cluster is ended.'))).toBe(false);
  });

  it("is true for a cluster node's closed connection: in-flight commands fail with it too", () => {
    expect(mayHaveRun(new Error('Connection is closed.'))).toBe(true);
  });

  it('is true when the connection died with the command in flight', () => {
    const lost = new Error(
      'Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.',
    );
    expect(mayHaveRun(lost)).toBe(true);
    expect(mayHaveRun(new Error('read ECONNRESET'))).toBe(true);
  });
});

describe('pipelineReplies', () => {
  it('returns the replies in order when every command answered', () => {
    expect(
      pipelineReplies([
        [null, ['1', '2']],
        [null, {}],
        [null, null],
      ]),
    ).toEqual([['1', '2'], {}, null]);
  });

  it("throws the first command's error instead of reading it as an empty reply", () => {
    const timedOut = new Error('Command timed out');
    expect(() =>
      pipelineReplies([
        [null, 'OK'],
        [timedOut, undefined],
        [new Error('later'), undefined],
      ]),
    ).toThrow(timedOut);
    expect(() => pipelineReplies(null)).toThrow(/not executed/);
  });
});
