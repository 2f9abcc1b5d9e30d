// The SotW subscription update's fast path (src/xds/sotw.ts `subscriptionUnchanged`): most requests of a full sync are
// ACKs that repeat the subscription, and the fast path skips building sets for them. Differential check: for random
// subscription states and requests (wildcard and not, "*", duplicates, names added, dropped and repeated), the update
// with the fast path leaves exactly the state the full update leaves.
import assert from "node:assert/strict";
import { test } from "node:test";
import { subscriptionUnchanged, updateSubscription, updateSubscriptionFull, type Subscription } from "../../src/xds/sotw.js";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const ALPHABET = ["a", "b", "c", "d", "*"];

function randomState(r: () => number): Subscription {
  const pickSome = (xs: string[]) => xs.filter(() => r() < 0.5);
  const names = new Set(pickSome(ALPHABET.slice(0, 4)));
  const held = new Map(pickSome(ALPHABET.slice(0, 4)).map((n) => [n, `h${Math.floor(r() * 3)}`] as [string, string]));
  const st: Subscription = {
    spec: { wildcard: r() < 0.5 },
    namesEverSent: r() < 0.5,
    wildcard: r() < 0.4,
    names,
    held,
    dirty: r() < 0.3,
    forceAll: r() < 0.3,
    force: new Set(pickSome(ALPHABET.slice(0, 4))),
    added: new Set(pickSome(ALPHABET.slice(0, 4))),
  };
  if (r() < 0.5) st.heldClusters = new Map([...held.keys()].map((n) => [n, { name: n }]));
  return st;
}

function clone(st: Subscription): Subscription {
  return {
    ...st,
    spec: { ...st.spec },
    names: new Set(st.names),
    held: new Map(st.held),
    force: new Set(st.force),
    added: new Set(st.added),
    ...(st.heldClusters ? { heldClusters: new Map(st.heldClusters) } : {}),
  };
}

test("SotW subscription: the fast path leaves the state the full update leaves (20,000 random requests)", () => {
  const r = rng(7);
  let fast = 0;
  for (let i = 0; i < 20_000; i++) {
    const st = randomState(r);
    // Half the requests repeat the subscription (an ACK), in a random order; the rest are random lists.
    const listed =
      r() < 0.5 ? [...st.names].sort(() => r() - 0.5) : Array.from({ length: Math.floor(r() * 5) }, () => ALPHABET[Math.floor(r() * ALPHABET.length)]!);
    if (subscriptionUnchanged(st, listed)) fast++;
    const a = clone(st);
    const b = clone(st);
    updateSubscription(a, [...listed]);
    updateSubscriptionFull(b, [...listed]);
    assert.deepEqual(a, b, `state ${JSON.stringify({ ...st, names: [...st.names], held: [...st.held] })}, listed ${JSON.stringify(listed)}`);
  }
  assert.ok(fast > 2_000, `the fast path ran in ${fast} of 20,000 cases`);
});

test("SotW subscription: a repeated name or a '*' is never taken for an unchanged subscription", () => {
  const st: Subscription = { spec: { wildcard: true }, namesEverSent: true, wildcard: false, names: new Set(["a", "b"]), held: new Map(), dirty: false, forceAll: false, force: new Set(), added: new Set() };
  assert.equal(subscriptionUnchanged(st, ["b", "a"]), true);
  assert.equal(subscriptionUnchanged(st, ["a", "a"]), false);
  assert.equal(subscriptionUnchanged(st, ["a", "*"]), false);
  assert.equal(subscriptionUnchanged(st, ["a"]), false);
  assert.equal(subscriptionUnchanged({ ...st, names: new Set(), wildcard: true, namesEverSent: false }, []), true);
  assert.equal(subscriptionUnchanged({ ...st, names: new Set(), wildcard: false, namesEverSent: false }, []), false);
});
