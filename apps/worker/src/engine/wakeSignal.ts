/** Wakes a sleeping loop early: a notification, a freed slot, a stop. */
export interface WakeSignal {
  wake(): void;
  /** Sleeps up to `ms`, or until woken (a wake while awake is kept for the next sleep). */
  sleep(ms: number): Promise<void>;
}

/** Creates a wake signal. */
export function createWakeSignal(): WakeSignal {
  let pending = false;
  let resolveSleep: (() => void) | undefined;
  return {
    wake() {
      if (resolveSleep) {
        const resolve = resolveSleep;
        resolveSleep = undefined;
        resolve();
      } else pending = true;
    },
    sleep(ms) {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          resolveSleep = undefined;
          resolve();
        }, ms);
        timer.unref();
        resolveSleep = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}
