import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a module of this package that sits beside the caller: `entry` (a file name
 * without extension) resolved against `base`, the caller's `import.meta.url`. Built (`.js`), the
 * module runs as is. From the TypeScript sources (tests, benches, tsx), which a worker does not inherit
 * the loader of, it runs through tsx: an eval'd worker imports `tsx/esm/api` and loads the `.ts` entry
 * with `tsImport`, which also compiles everything that entry imports.
 */
export function startModuleWorker(base: string, entry: string, options: WorkerOptions = {}): Worker {
  if (!base.endsWith('.ts')) return new Worker(new URL(`./${entry}.js`, base), options);
  const module = JSON.stringify(new URL(`./${entry}.ts`, base).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${tsx}).then((tsx) => tsx.tsImport(${module}, ${module}))`, {
    ...options,
    eval: true,
  });
}
