/** QMP (QEMU Machine Protocol) and the human monitor over the Node API. */
export { QmpServer, qmpTimestamp } from './server.js';
export { MonitorTarget, type RunStatus, type ShutdownCause } from './monitor.js';
export { QmpError, type QmpErrorClass } from './errors.js';
export { QMP_COMMANDS } from './commands.js';
export { qmpVersion, tsvisorVersion } from './version.js';
export { JsonObjectSplitter } from './json-stream.js';
export { HumanMonitor } from './human-monitor.js';
