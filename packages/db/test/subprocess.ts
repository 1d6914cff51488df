// The db package's own tests run scripts with the helper every package's tests share.
export { type ProcessResult, runNodeScript as runScript } from "../src/testing/nodeProcess.ts";
