export { createTestClock, type TestClock } from "./testClock.ts";
export { testPng, testPngDataUrl } from "./testImages.ts";
export { simulatorModelEntry, textOnlyModelEntry } from "./testModels.ts";
