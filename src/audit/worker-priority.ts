import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * How much lower than the node's the trail's worker threads run (nice, capped at 19): the trail is
 * background work. At the node's own priority, each batch posted woke the worker onto the main
 * thread's core whenever the other one was busy and preempted it, between its group commits, for as
 * long as the batch took (measured: a batch's post took as long as its hashing and inserts). Lower, it
 * runs when a core is free (the main thread waits on every group commit's fsync) and still gets its
 * share of a busy one, so it keeps up with the log instead of falling behind under load.
 */
const NICE_INCREMENT = 10;

/**
 * Lowers the calling thread's priority by NICE_INCREMENT (Linux: setpriority on a thread id affects
 * that thread only). Call it first thing in a worker thread.
 */
export function lowerThisThreadsPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0)
      setPriority(tid, Math.min(19, getPriority(tid) + NICE_INCREMENT));
  } catch {
    // Elsewhere (no /proc/thread-self) it runs at the node's priority.
  }
}
