/**
 * Calls `onSilence` once when `timeoutMs` pass without {@link SilenceWatchdog.heard}: the clock that
 * tells a silently dead connection (half-open, no byte and no error) from a quiet one. Starts armed.
 * The timer is unref'd: a watchdog never keeps a process alive.
 */
export class SilenceWatchdog {
  readonly #timer: NodeJS.Timeout;

  constructor(timeoutMs: number, onSilence: () => void) {
    this.#timer = setTimeout(onSilence, timeoutMs);
    this.#timer.unref();
  }

  /** Something arrived: the silence starts over. */
  heard(): void {
    this.#timer.refresh();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}
