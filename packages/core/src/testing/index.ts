export { createTestClock, type TestClock } from "./testClock.ts";
export { testPng, testPngDataUrl } from "./testImages.ts";
