// The minimal logger the exporter writes its few lines to (start-up decisions, downgrades, fallbacks).
// The logger names the exporter, not the line: `run` hands each exporter a logger whose lines start with
// "<name>: " (src/pipeline/routes.ts), so the exporter's own messages never repeat its name (one prefix).

import { rootLogger } from '../../util/log.ts';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
}

/**
 * The logger an exporter writes to: the one given (it names the exporter already, as `run`'s does),
 * else the process logger (src/util/log.ts: stderr, with level and time) with "<name>: " in front of every line, once.
 */
export function exporterLogger(given: Logger | undefined, name: string): Logger {
  return given ?? rootLogger.child({ component: 'exporter', exporter: name }, `${name}: `);
}
