// New-stream admission (src/xds/admission.ts): streams over the token bucket wait for a token, in arrival order, up
// to one burst's worth; beyond that they are refused; a stream cancelled while waiting never starts; close() hands
// the waiting ones back to be refused. (With R1's hostile test in hostile.test.ts: a burst over rate and queue is
// still refused with UNAVAILABLE and every client that retries is answered.)
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { StreamAdmission, SyncSlots } from "../../src/xds/admission.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("admission: a burst over the bucket waits for tokens in order (one burst's worth), the rest is refused", async () => {
  // 5/s: a token refills only after 200 ms, so a loaded machine running the admits slowly does not blur the burst.
  const a = new StreamAdmission(5, 5);
  const started: number[] = [];
  const calls = Array.from({ length: 12 }, () => new EventEmitter());
  const admitted = calls.map((c, i) => a.admit(c, () => started.push(i)));
  assert.deepEqual(started, [0, 1, 2, 3, 4], "the burst starts at once");
  assert.deepEqual(admitted, [...Array(10).fill(true), false, false], "five wait, the two beyond are refused");
  assert.equal(a.waiting, 5);
  calls[7]!.emit("cancelled"); // its client gave up while waiting
  const t0 = performance.now();
  for (let i = 0; i < 300 && started.length < 9; i++) await sleep(20);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 8, 9], "the waiting ones start in arrival order; the cancelled one never");
  assert.ok(performance.now() - t0 >= 500, "no faster than the rate (5/s: 4 tokens take 800 ms)");
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

test("admission: initial-sync slots: at most maxSyncing at once, the next waits in order until one is released, the queue is bounded", async () => {
  const slots = new SyncSlots(2, 2, 60_000);
  const releases = new Map<number, () => void>();
  const calls = Array.from({ length: 6 }, () => new EventEmitter());
  const admitted = calls.map((c, i) => slots.admit(c, (release) => releases.set(i, release)));
  assert.deepEqual([...releases.keys()], [0, 1], "two sync at once");
  assert.deepEqual(admitted, [true, true, true, true, false, false], "two wait, the rest is refused");
  assert.equal(slots.syncing, 2);
  assert.equal(slots.waiting, 2);
  calls[2]!.emit("cancelled"); // gave up while waiting: never starts
  assert.equal(slots.waiting, 1);
  releases.get(0)!();
  releases.get(0)!(); // idempotent
  assert.deepEqual([...releases.keys()], [0, 1, 3], "a released slot goes to the next live waiter");
  assert.equal(slots.syncing, 2);
  assert.equal(slots.waiting, 0);
  releases.get(1)!();
  releases.get(3)!();
  assert.equal(slots.syncing, 0);
  const refused: unknown[] = [];
  const a = new EventEmitter();
  const b = new EventEmitter();
  const tiny = new SyncSlots(1, 5, 60_000);
  assert.ok(tiny.admit(a, () => {}));
  assert.ok(tiny.admit(b, () => assert.fail("refused at close, never started")));
  tiny.close((c) => refused.push(c));
  assert.deepEqual(refused, [b]);
  assert.equal(tiny.admit(new EventEmitter(), () => {}), false, "closed: refused");
});

test("admission: an initial-sync slot is given back after the slot timeout if the stream never ACKs", async () => {
  const slots = new SyncSlots(1, 1, 100);
  const started: number[] = [];
  assert.ok(slots.admit(new EventEmitter(), () => started.push(0)));
  assert.ok(slots.admit(new EventEmitter(), () => started.push(1)));
  assert.deepEqual(started, [0]);
  for (let i = 0; i < 100 && started.length < 2; i++) await sleep(20);
  assert.deepEqual(started, [0, 1]);
  const open = new SyncSlots(0, 0, 100);
  let n = 0;
  for (let i = 0; i < 1000; i++) assert.ok(open.admit(new EventEmitter(), () => n++));
  assert.equal(n, 1000, "0: no limit");
});

test("admission: a connection holds at most its share of initial-sync slots; its other streams wait without holding up other connections'", async () => {
  const slots = new SyncSlots(3, 10, 60_000, () => {}, 2);
  const [a, b, c] = [{ conn: "a" }, { conn: "b" }, { conn: "c" }];
  const releases = new Map<string, () => void>();
  const calls = new Map<string, EventEmitter>();
  const admit = (name: string, owner: object | undefined) => {
    const call = new EventEmitter();
    calls.set(name, call);
    assert.ok(slots.admit(call, (release) => releases.set(name, release), owner));
  };
  admit("a1", a);
  admit("a2", a);
  admit("a3", a); // a holds its share (2): waits though a slot is free
  admit("a4", a);
  assert.deepEqual([...releases.keys()], ["a1", "a2"]);
  assert.equal(slots.waiting, 2);
  admit("b1", b); // the free slot goes to another connection, past a's waiting streams
  assert.deepEqual([...releases.keys()], ["a1", "a2", "b1"]);
  admit("c1", c); // all 3 slots taken: waits behind a3, a4
  admit("b2", b);
  assert.equal(slots.syncing, 3);
  assert.equal(slots.waiting, 4);
  releases.get("b1")!(); // a is still at its share: c1, the earliest other waiter, goes
  assert.deepEqual([...releases.keys()], ["a1", "a2", "b1", "c1"]);
  calls.get("a3")!.emit("cancelled");
  releases.get("a1")!(); // a under its share again: a4 (a3 left) before b2, in arrival order
  assert.deepEqual([...releases.keys()], ["a1", "a2", "b1", "c1", "a4"]);
  releases.get("c1")!();
  assert.deepEqual([...releases.keys()], ["a1", "a2", "b1", "c1", "a4", "b2"]);
  assert.equal(slots.waiting, 0);
  for (const k of ["a2", "a4", "b2"]) releases.get(k)!();
  assert.equal(slots.syncing, 0);
  // Without an owner, or with no per-connection bound, streams are counted only against maxSyncing.
  const plain = new SyncSlots(2, 10, 60_000, () => {}, 0);
  let started = 0;
  for (let i = 0; i < 3; i++) plain.admit(new EventEmitter(), () => started++, a);
  assert.equal(started, 2);
  const anonymous = new SyncSlots(2, 10, 60_000, () => {}, 1);
  started = 0;
  for (let i = 0; i < 3; i++) anonymous.admit(new EventEmitter(), () => started++);
  assert.equal(started, 2);
});

test("admission: a stream started from the queue that releases its slot at once passes it on in order", () => {
  const slots = new SyncSlots(1, 10, 60_000, () => {}, 1);
  const order: string[] = [];
  const owner = (n: string) => ({ n });
  let first!: () => void;
  slots.admit(new EventEmitter(), (release) => ((first = release), order.push("x")), owner("x"));
  slots.admit(new EventEmitter(), (release) => (order.push("y"), release()), owner("y")); // e.g. refused while starting
  slots.admit(new EventEmitter(), () => order.push("z"), owner("z"));
  first();
  assert.deepEqual(order, ["x", "y", "z"]);
  assert.equal(slots.syncing, 1);
  assert.equal(slots.waiting, 0);
});
