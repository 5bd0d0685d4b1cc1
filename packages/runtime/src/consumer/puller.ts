/**
 * The pull loop: asks the durable for as many messages as the consumer can take now (`want`,
 * from the free handler slots and the breaker), hands each to `dispatch`, and sleeps until woken
 * (a slot freed, a pull ended, a breaker change) when it wants none. A pull that failed or ended
 * at once with nothing pauses pulling briefly (no spinning) and reports `onIdle`.
 */
import type { Consumer, ConsumerMessages, FetchMessages, JsMsg } from "@nats-io/jetstream";
import { ConfigurationError } from "../errors.js";

/** Pause after a pull that failed or came back empty at once. */
const PULL_COOLDOWN_MS = 250;
/** A pull that ends sooner than this with nothing counts as "at once". */
const INSTANT_PULL_MS = 100;

export interface PullLoopOptions {
  /** How long one pull request waits on the server (ms). */
  readonly expiresMs: number;
  /** How many messages to ask for, given how many were asked for and not yet received. */
  readonly want: (requested: number) => number;
  /** How long to sleep when nothing is wanted (undefined: until woken). */
  readonly idleMs: () => number | undefined;
  readonly dispatch: (m: JsMsg) => void;
  readonly onError: (error: unknown) => void;
  /** A pull failed or ended at once with nothing. */
  readonly onIdle: () => void;
}

export class PullLoop {
  #running = false;
  #requested = 0;
  #loop: Promise<void> | undefined;
  #wakeUp: (() => void) | undefined;
  #cooldownUntilMs = 0;
  readonly #fetches = new Set<ConsumerMessages>();
  readonly #tasks = new Set<Promise<void>>();

  constructor(
    private readonly consumer: Consumer,
    private readonly options: PullLoopOptions,
  ) {}

  start(): void {
    this.#running = true;
    this.#loop = this.#pump();
  }

  /** Wakes a sleeping loop (a slot freed, a breaker change). */
  wake(): void {
    const w = this.#wakeUp;
    this.#wakeUp = undefined;
    w?.();
  }

  /** Stops pulling: closes the open pulls at once and waits for the loop to end. */
  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await Promise.allSettled([...this.#fetches].map((f) => f.close()));
    await this.#loop;
  }

  /** Resolves when every pull has ended (after `stop()`). */
  async ended(): Promise<void> {
    await Promise.allSettled([...this.#tasks]);
  }

  async #pump(): Promise<void> {
    while (this.#running) {
      const now = Date.now();
      if (now < this.#cooldownUntilMs) {
        await this.#sleep(this.#cooldownUntilMs - now);
        continue;
      }
      const want = this.options.want(this.#requested);
      if (want <= 0) {
        await this.#sleep(this.options.idleMs());
        continue;
      }
      this.#requested += want;
      const task = this.#fetch(want);
      this.#tasks.add(task);
      void task.finally(() => this.#tasks.delete(task));
    }
  }

  /** Waits for a wake-up, or `maxMs` if given. */
  #sleep(maxMs: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer =
        maxMs === undefined
          ? undefined
          : setTimeout(() => {
              this.#wakeUp = undefined;
              resolve();
            }, maxMs);
      this.#wakeUp = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }

  async #fetch(n: number): Promise<void> {
    const started = Date.now();
    let received = 0;
    let iter: ConsumerMessages | undefined;
    let failed = false;
    try {
      // Messages come to a callback rather than through the async iterator, which resolves a
      // promise per message (nats.js's fetch honours `callback` as consume does; the type of
      // its options does not list it). The pull's end, or its error, is what `closed()` gives.
      const options: FetchMessages & { callback: (m: JsMsg) => void } = {
        max_messages: n,
        expires: this.options.expiresMs,
        callback: (m) => {
          received++;
          this.#requested--;
          this.options.dispatch(m);
        },
      };
      iter = await this.consumer.fetch(options);
      this.#fetches.add(iter);
      if (!this.#running) void iter.close();
      const error = await iter.closed();
      if (error) throw error;
      if (iter.getReceived() > received) {
        // The messages went to the iterator, where nothing reads them: say so, loudly.
        throw new ConfigurationError(
          "this nats.js version does not hand fetched messages to a callback: upgrade @jetcontract/runtime",
        );
      }
    } catch (error) {
      failed = true;
      if (this.#running) this.options.onError(error);
    } finally {
      this.#requested -= n - received;
      if (iter) this.#fetches.delete(iter);
      if (failed || (received === 0 && Date.now() - started < INSTANT_PULL_MS)) {
        this.#cooldownUntilMs = Date.now() + PULL_COOLDOWN_MS;
        this.options.onIdle();
      }
      this.wake();
    }
  }
}
