import { ReplyError } from 'ioredis';
import { mayHaveRun } from './redis-errors';

describe('mayHaveRun', () => {
  it('is false when Redis answered with an error: the command ran and failed', () => {
    expect(mayHaveRun(new ReplyError('NOSCRIPT No matching script'))).toBe(false);
  });

  it('is false when the client refused to send the command', () => {
    expect(mayHaveRun(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(false);
  });

  it('is true when the connection died with the command in flight', () => {
    const lost = new Error('Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.');
    expect(mayHaveRun(lost)).toBe(true);
    expect(mayHaveRun(new Error('read ECONNRESET'))).toBe(true);
  });
});
