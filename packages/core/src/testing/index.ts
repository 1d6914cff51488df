export { createTestClock, type TestClock } from "./testClock.ts";
