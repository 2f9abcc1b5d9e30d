import assert from "node:assert/strict";
import { test } from "node:test";
import { assertProportion, splitTolerance } from "./proportion.js";

test("split tolerance: 4.5 sd of the binomial, wide enough for chance, narrow enough to tell splits apart", () => {
  assert.equal(splitTolerance(400, 0.8).toFixed(1), "36.0"); // sd 8
  assertProportion(341, 400, 0.8, "the 20/80 split CI saw (59/341)");
  assert.throws(() => assertProportion(200, 400, 0.8, "50/50 is not 80/20"), /200 of 400/);
  assert.throws(() => assertProportion(80, 400, 0.8, "20/80 is not 80/20"));
  assert.throws(() => assertProportion(400, 400, 0.8, "100/0 is not 80/20"));
});
