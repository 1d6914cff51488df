import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { jsonSchemaCheck } from "./jsonSchemaCheck.ts";

describe("jsonSchemaCheck", () => {
  it("matches patterns and pattern properties", () => {
    const check = jsonSchemaCheck(
      {
        type: "object",
        properties: { code: { type: "string", pattern: "^[A-Z]{3}-\\d+$" } },
        patternProperties: { "^x-": { type: "number" } },
      },
      "tools.0.function.parameters",
    );
    expect(check({ code: "ABC-12", "x-rate": 3 })).toBeUndefined();
    expect(check({ code: "abc-12" })).toBe('code: must match pattern "^[A-Z]{3}-\\d+$"');
    expect(check({ code: "ABC-1", "x-rate": "fast" })).toBe("x-rate: must be number");
  });

  it("runs a catastrophic pattern in linear time (a backtracking engine would not finish)", () => {
    const check = jsonSchemaCheck(
      { type: "string", pattern: "^(a+)+$" },
      "response_format.json_schema.schema",
    );
    // 2^60 backtracking steps for a backtracking engine; a linear matcher answers at once.
    expect(check(`${"a".repeat(60)}!`)).toBe('(root): must match pattern "^(a+)+$"');
    expect(check("a".repeat(60))).toBeUndefined();
  });

  it("refuses a pattern only a backtracking engine can run, naming the schema's path", () => {
    const refused = (() => {
      try {
        jsonSchemaCheck({ type: "string", pattern: "^(?=x)x(\\1)$" }, "tools.2.function.parameters");
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(SluiceError);
    expect((refused as SluiceError).code).toBe("validation_error");
    expect((refused as SluiceError).message).toContain(
      "tools.2.function.parameters: is not a usable JSON Schema",
    );
  });
});
