export { BOSS_SCHEMA, type StartBossOptions, startBoss, stopBoss } from "./boss.ts";
