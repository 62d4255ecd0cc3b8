import { ServiceUnavailableError } from '../errors/domain-error';
import { recordOfLostCall } from './lost-answer';

describe('recordOfLostCall', () => {
  const lost = new Error('connection lost');

  it('returns what the call recorded, so the request goes on', async () => {
    await expect(
      recordOfLostCall(lost, { mayHaveRun: true, lookup: () => Promise.resolve('1') }),
    ).resolves.toBe('1');
  });

  it('is unavailable without asking when the call surely did not run', async () => {
    const lookup = jest.fn(() => Promise.resolve('1'));
    await expect(recordOfLostCall(lost, { mayHaveRun: false, lookup })).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );
    expect(lookup).not.toHaveBeenCalled();
  });

  it('is unavailable when the call left no record', async () => {
    for (const none of [null, undefined])
      await expect(
        recordOfLostCall(lost, { mayHaveRun: true, lookup: () => Promise.resolve(none) }),
      ).rejects.toMatchObject({ cause: lost });
  });

  it('asks again until the store answers, and names what to settle if it never does', async () => {
    let calls = 0;
    const flaky = () => (++calls < 3 ? Promise.reject(new Error('down')) : Promise.resolve('ok'));
    await expect(recordOfLostCall(lost, { mayHaveRun: true, lookup: flaky })).resolves.toBe('ok');
    expect(calls).toBe(3);

    const unreachable = jest.fn();
    await expect(
      recordOfLostCall(lost, {
        mayHaveRun: true,
        lookup: () => Promise.reject(new Error('down')),
        onUnreachable: unreachable,
      }),
    ).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(unreachable).toHaveBeenCalledTimes(1);
  }, 10_000);
});
