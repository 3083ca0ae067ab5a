// The minimal logger the exporter writes its few lines to (start-up decisions, downgrades, fallbacks).

import { rootLogger } from '../../util/log.ts';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
}

/** The process logger (src/util/log.ts) when no logger is given: stderr, with level and time. */
export const stderrLogger: Logger = rootLogger.child({ component: 'exporter' });
