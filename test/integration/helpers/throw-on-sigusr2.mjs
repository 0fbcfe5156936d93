// Preloaded into a launcher by test/integration/stack/lifecycle.test.ts (`node --import`): SIGUSR2
// makes the launcher throw an error nothing catches, the "crash" whose cleanup the test checks.
process.on('SIGUSR2', () => {
  throw new Error('a launcher crash provoked by the lifecycle test');
});
