// A no-op `debug` (CommonJS, because its users call `require('debug')(name)`): mqtt-packet creates loggers at load time; on the device they cost only RAM.
function createDebug() {
  const log = () => {};
  log.enabled = false;
  log.extend = createDebug;
  return log;
}
createDebug.enable = () => {};
createDebug.disable = () => '';
createDebug.enabled = () => false;

module.exports = createDebug;
