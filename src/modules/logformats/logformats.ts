/**
 * The log formats module's public surface: what other modules (detection, the command line)
 * use of the log readers. Formats, field maps and error handling: docs/DETECT-FORMATS.md.
 */
export {
  checkReadOptions, DEFAULT_MAX_LINE_BYTES, LOG_FORMATS,
  type EventValue, type LogError, type LogEvent, type LogFormat, type ReadLogOptions,
} from './logformats.options.js';
export { isLineFormat, settleFormat, type LineFormat } from './logformats.dispatch.js';
export { inputBytes, LineRunReader, oversizedLineMessage, readLogEvents } from './logformats.read.js';
export type { EventSink, ReaderFormat, Report } from './logformats.reader.js';
export { parseTimestamp } from './logformats.time.js';
