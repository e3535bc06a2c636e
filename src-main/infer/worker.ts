/** The inference worker: a process kept warm by Core, with loaded models cached (issue 7). */
process.on('message', () => {
  process.send?.({ type: 'error', error: 'the inference worker is not built yet' });
});
