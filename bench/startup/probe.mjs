// Loaded with `node --import` into each process bench/startup.ts starts: writes this process's own
// CPU time and peak RSS (process.resourceUsage) to $STARTUP_PROBE_OUT at the moment it is ready:
// when `run` logs its telemetry address (pipeline prepared, waiting for the first event), or at
// exit for a command that ends (`map`, `node -e 0`). Plain JavaScript: the same cost in every process.
import fs from 'node:fs';

const out = process.env.STARTUP_PROBE_OUT;
let written = false;
function report() {
  if (written || !out) return;
  written = true;
  const u = process.resourceUsage();
  fs.writeFileSync(out, JSON.stringify({ cpu_s: (u.userCPUTime + u.systemCPUTime) / 1e6, rss_mb: u.maxRSS / 1024 }));
}
const write = process.stderr.write.bind(process.stderr);
process.stderr.write = (chunk, ...rest) => {
  if (String(chunk).includes('telemetry: listening on')) report();
  return write(chunk, ...rest);
};
process.on('exit', report);
