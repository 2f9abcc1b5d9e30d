// `meshc serve --log-format json|pretty` (issue 10): JSON lines for pipelines, pretty lines with ISO-8601 UTC
// timestamps for people; a proxy's lines carry its service and node id in both (the xDS stream's child logger).
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createServeLogger } from "../../src/serve/logger.js";

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) });
  return { stream, text: () => chunks.join("") };
}

test("json: one object per line with service and node on proxy lines", () => {
  const out = sink();
  const log = createServeLogger({ level: "info", format: "json", destination: out.stream });
  log.child({ component: "xds", service: "web", node: "web-1" }).info("proxy connected");
  const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
  assert.equal(line.msg, "proxy connected");
  assert.equal(line.service, "web");
  assert.equal(line.node, "web-1");
});

test("pretty: ISO timestamp, message, service and node", () => {
  const out = sink();
  const log = createServeLogger({ level: "info", format: "pretty", destination: out.stream });
  log.child({ component: "xds", service: "web", node: "web-1" }).info("proxy connected");
  const text = out.text();
  assert.match(text, /^\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\] INFO/);
  assert.match(text, /proxy connected/);
  assert.match(text, /service: "web"/);
  assert.match(text, /node: "web-1"/);
});
