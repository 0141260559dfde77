// A minimal `process` for npm code bundled for XS (Moddable has no `process`). esbuild injects this
// binding wherever bundled code reads the free variable `process` (readable-stream, process-nextick-args).
// nextTick rides the promise job queue, which XS runs to completion after every host callback.
const queue = (fn, ...args) => {
  Promise.resolve().then(() => fn(...args));
};

export const process = {
  env: { NODE_ENV: 'production' },
  version: '',
  versions: {},
  platform: 'moddable',
  browser: true,
  argv: [],
  nextTick: queue,
  emitWarning() {},
  cwd: () => '/',
};
