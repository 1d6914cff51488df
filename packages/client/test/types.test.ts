import { describe, expectTypeOf, it } from "vitest";
import type { RouterInputs, RouterOutputs } from "../src/index.ts";

describe("exported procedure types", () => {
  it("describe inputs and outputs without importing server code", () => {
    expectTypeOf<RouterInputs["tickets"]["get"]>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<RouterOutputs["chat"]["complete"]["costMicros"]>().toEqualTypeOf<number>();
    expectTypeOf<RouterOutputs["tickets"]["stats"]["byUrgency"]>().toEqualTypeOf<Record<string, number>>();
  });
});
