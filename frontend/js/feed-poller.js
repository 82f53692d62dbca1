// The feed's status is not pushed over subscriptions: read it every few seconds over HTTP.
// One request at a time (the next is scheduled when one settles). A failure keeps the last
// state shown and tries again next tick; the event log hears of a failing streak once.

export class FeedPoller {
  #timer = 0;
  #runs = 0;
  #run = 0; // the current run's number, 0 when stopped: an answer to a stopped run is dropped
  #failing = false;

  constructor({ api, onFeed, log, intervalMs = 2000 }) {
    Object.assign(this, { api, onFeed, log, intervalMs });
  }

  start() {
    if (this.#run) return;
    this.#run = ++this.#runs;
    this.#tick(this.#run);
  }

  stop() {
    this.#run = 0;
    clearTimeout(this.#timer);
  }

  async #tick(run) {
    try {
      const feed = await this.api.feed();
      if (run !== this.#run) return;
      if (this.#failing) this.log.info("feed status: reachable again");
      this.#failing = false;
      this.onFeed(feed);
    } catch (error) {
      if (run !== this.#run) return;
      if (!this.#failing) this.log.error(`feed status: ${error.message}; retrying every ${this.intervalMs / 1000} s`);
      this.#failing = true;
    }
    this.#timer = setTimeout(() => this.#tick(run), this.intervalMs);
  }
}
