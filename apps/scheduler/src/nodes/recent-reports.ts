/**
 * Report ids already acknowledged, so that a node's retry of a report is answered without reading
 * the task's stream again. Bounded: forgetting one only costs that read, the decider keeps repeats
 * harmless.
 */
export class RecentReports {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  has(reportId: string): boolean {
    return this.ids.has(reportId);
  }

  add(reportId: string): void {
    this.ids.add(reportId);
    if (this.ids.size <= this.capacity) return;
    for (const oldest of this.ids) {
      this.ids.delete(oldest);
      break;
    }
  }
}
