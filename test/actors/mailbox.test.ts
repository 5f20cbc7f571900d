import { describe, expect, it } from 'vitest';
import { Mailbox } from '../../src/actors/mailbox.js';

describe('mailbox', () => {
  it('runs items one at a time in arrival order; a failure (thrown or rejected) does not block the rest', async () => {
    const mailbox = new Mailbox();
    const log: string[] = [];
    let running = 0;
    const item = (name: string, outcome: 'ok' | 'reject' | 'throw') => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await new Promise<void>((resolve) => setImmediate(resolve));
      log.push(`end ${name}`);
      running--;
      if (outcome === 'reject') throw new Error(name);
      return name;
    };
    const throwsAtOnce = () => {
      log.push('start sync');
      throw new Error('sync');
    };
    const results = await Promise.allSettled([
      mailbox.run(item('a', 'ok')),
      mailbox.run(item('b', 'reject')),
      mailbox.run(throwsAtOnce as () => Promise<never>),
      mailbox.run(item('c', 'ok')),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      'a',
      'b',
      'sync',
      'c',
    ]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start sync', 'start c', 'end c']);
    expect(mailbox.pending).toBe(0);
  });

  it('counts what is queued or running', async () => {
    const mailbox = new Mailbox();
    let release!: () => void;
    const first = mailbox.run(() => new Promise<void>((resolve) => (release = resolve)));
    const second = mailbox.run(async () => {});
    expect(mailbox.pending).toBe(2);
    release();
    await Promise.all([first, second]);
    expect(mailbox.pending).toBe(0);
  });
});
