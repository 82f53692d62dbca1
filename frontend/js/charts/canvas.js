// A canvas that stays sharp (device pixel ratio), follows its box's size, and redraws at
// most once per animation frame however many updates arrive.

export class CanvasView {
  #frame = 0;

  constructor(canvas, draw) {
    this.canvas = canvas;
    this.draw = draw;
    this.width = 0;
    this.height = 0;
    this.observer = new ResizeObserver(() => this.invalidate());
    this.observer.observe(canvas.parentElement);
  }

  dispose() {
    this.observer.disconnect();
    cancelAnimationFrame(this.#frame);
  }

  invalidate() {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#paint();
    });
  }

  #paint() {
    const box = this.canvas.parentElement.getBoundingClientRect();
    const width = Math.max(1, Math.floor(box.width));
    const height = Math.max(1, Math.floor(box.height));
    const ratio = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    this.width = width;
    this.height = height;
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    this.draw(ctx, width, height);
  }
}
