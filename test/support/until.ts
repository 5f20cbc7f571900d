import { vi } from 'vitest';

/** Resolves with what `probe` answers once it answers something (vitest's waitFor polls it). */
export function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  return vi.waitFor(
    () => {
      const value = probe();
      if (value === undefined) throw new Error(`timed out waiting for ${what}`);
      return value;
    },
    { timeout: timeoutMs, interval: 5 },
  );
}
