// A no-op `debug`: mqtt-packet creates loggers at load time; on the device they cost only RAM.
function createDebug() {
  const log = () => {};
  log.enabled = false;
  log.extend = createDebug;
  return log;
}
createDebug.enable = () => {};
createDebug.disable = () => '';
createDebug.enabled = () => false;

export default createDebug;
