// New-stream admission (src/xds/admission.ts): streams over the token bucket wait for a token, in arrival order, up
// to one burst's worth; beyond that they are refused; a stream cancelled while waiting never starts; close() hands
// the waiting ones back to be refused. (With R1's hostile test in hostile.test.ts: a burst over rate and queue is
// still refused with UNAVAILABLE and every client that retries is answered.)
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { StreamAdmission } from "../../src/xds/admission.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("admission: a burst over the bucket waits for tokens in order (one burst's worth), the rest is refused", async () => {
  const a = new StreamAdmission(20, 5);
  const started: number[] = [];
  const calls = Array.from({ length: 12 }, () => new EventEmitter());
  const admitted = calls.map((c, i) => a.admit(c, () => started.push(i)));
  assert.deepEqual(started, [0, 1, 2, 3, 4], "the burst starts at once");
  assert.deepEqual(admitted, [...Array(10).fill(true), false, false], "five wait, the two beyond are refused");
  assert.equal(a.waiting, 5);
  calls[7]!.emit("cancelled"); // its client gave up while waiting
  const t0 = performance.now();
  for (let i = 0; i < 100 && started.length < 9; i++) await sleep(20);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 8, 9], "the waiting ones start in arrival order; the cancelled one never");
  assert.ok(performance.now() - t0 >= 100, "no faster than the rate (20/s: 4 tokens take 200 ms)");
  assert.equal(a.waiting, 0);
});

test("admission: close() refuses the streams still waiting; rate 0 admits everything at once", async () => {
  const a = new StreamAdmission(1, 1);
  const started: string[] = [];
  const first = new EventEmitter();
  const second = new EventEmitter();
  assert.ok(a.admit(first, () => started.push("first")));
  assert.ok(a.admit(second, () => started.push("second")));
  const refused: unknown[] = [];
  a.close((c) => refused.push(c));
  assert.deepEqual(refused, [second]);
  await sleep(1100);
  assert.deepEqual(started, ["first"], "a refused stream never starts");

  const open = new StreamAdmission(0, 1);
  let n = 0;
  for (let i = 0; i < 1000; i++) assert.ok(open.admit(new EventEmitter(), () => n++));
  assert.equal(n, 1000);
});
