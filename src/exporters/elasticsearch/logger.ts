// The minimal logger the exporter writes its few lines to (start-up decisions, downgrades, fallbacks).

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
}

export const stderrLogger: Logger = {
  info: (msg) => process.stderr.write(`${msg}\n`),
  warn: (msg) => process.stderr.write(`WARN ${msg}\n`),
};
