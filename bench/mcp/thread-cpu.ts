import { readFileSync } from 'node:fs';

/**
 * CPU time this process's main thread has run so far, in microseconds, from Linux's
 * `/proc/self/task/<pid>/schedstat` (nanoseconds on a CPU); undefined where there is no such file.
 * Unlike `process.cpuUsage()` it leaves out the worker threads (projections, audit) and V8's helper
 * threads, so it shows what a call costs the server's event loop, the resource concurrent calls share.
 */
export function mainThreadCpuMicros(): number | undefined {
  try {
    const ns = Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
    return Number.isFinite(ns) ? ns / 1000 : undefined;
  } catch {
    return undefined;
  }
}
