import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { getPriority } from 'node:os';

/** Linux, with room below this thread's priority (a worker goes at most to nice 19). */
export const canLowerThreads = existsSync('/proc/thread-self') && getPriority() < 10;

/** The nice value of every thread of this process (Linux /proc). */
export function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

/** The nice value of the calling thread. */
export function ownThreadNice(): number {
  return getPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()));
}
