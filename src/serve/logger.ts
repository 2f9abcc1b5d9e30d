// The logger of `meshc serve`: `--log-format json` (default) writes pino's JSON lines, one object per line, for log
// pipelines; `--log-format pretty` writes them for people through pino-pretty (in-process, synchronous, so no
// worker thread and nothing lost on exit) with ISO-8601 UTC timestamps. Lines about a proxy carry `service` and
// `node` (the xDS stream binds them on its child logger) in both formats.
import { createRequire } from "node:module";
import { pino, type Logger } from "pino";
import type pinoPrettyModule from "pino-pretty";

// Loaded only for --log-format pretty (it costs ~0.1 s of start-up, issue 12).
const pinoPretty = (options: pinoPrettyModule.PrettyOptions) => (createRequire(import.meta.url)("pino-pretty") as typeof pinoPrettyModule)(options);

export type LogFormat = "json" | "pretty";

export function createServeLogger(o: { level: string; format: LogFormat; destination?: NodeJS.WritableStream }): Logger {
  if (o.format === "pretty") {
    const stream = pinoPretty({
      translateTime: "UTC:yyyy-mm-dd'T'HH:MM:ss.l'Z'",
      ignore: "pid,hostname",
      colorize: !process.env.NO_COLOR && (o.destination ?? process.stdout) === process.stdout && process.stdout.isTTY === true,
      sync: true,
      ...(o.destination && { destination: o.destination }),
    });
    return pino({ name: "meshc", level: o.level }, stream);
  }
  return o.destination ? pino({ name: "meshc", level: o.level }, o.destination) : pino({ name: "meshc", level: o.level });
}
