import type { z } from "zod";

/**
 * `when` for a refinement that reads only `fields` of an object: it runs even while other fields
 * have issues, so one response can list every problem, but never on a value that is not an object
 * or whose own `fields` are invalid.
 */
export function whenFieldsValid(...fields: string[]): { when: (payload: z.core.ParsePayload) => boolean } {
  return {
    when: (payload) =>
      typeof payload.value === "object" &&
      payload.value !== null &&
      !payload.issues.some((issue) => {
        const path = issue.path ?? [];
        return path.length === 0 ? issue.code !== "unrecognized_keys" : fields.includes(String(path[0]));
      }),
  };
}
