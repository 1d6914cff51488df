import type OpenAI from "openai";

/** The arguments of the `get_weather` tool the tool-calling suites declare: two required fields. */
export const weatherParameters = {
  type: "object",
  properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
  required: ["city", "unit"],
};

/** `get_weather` as a chat completions tool. */
export const chatWeatherTool: OpenAI.ChatCompletionFunctionTool = {
  type: "function",
  function: { name: "get_weather", description: "Current weather in a city", parameters: weatherParameters },
};
