// AVA configuration for the opt-in Linux boot tests (test/linux), which the
// default configuration (package.json) leaves out: they need
// `node scripts/fetch-linux.mjs` first and run for minutes on the interpreter.
//   TSVISOR_LINUX_TESTS=1 npx ava --config ava.linux.config.mjs
export default {
  files: ['dist/test/linux/**/*.test.js'],
  timeout: '20m',
  workerThreads: false,
};
