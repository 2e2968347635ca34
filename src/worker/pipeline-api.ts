import type { MediaInput, Plan } from '../types/options';
import { planJob, runJob, type JobHooks, type JobOptions, type JobResult } from '../pipeline/transcode-job';

/**
 * The pipeline as a callable object. The worker exposes it through Comlink; the same class runs inline when a
 * Worker cannot start (hls.js's transmuxer-interface does the same).
 */
export class PipelineApi {
  readonly #jobs = new Map<number, AbortController>();

  async plan(input: MediaInput, options: JobOptions): Promise<Plan> {
    return planJob(input, options);
  }

  async transcode(jobId: number, input: MediaInput, options: JobOptions, hooks: JobHooks): Promise<JobResult> {
    const ac = new AbortController();
    this.#jobs.set(jobId, ac);
    try {
      return await runJob(input, options, hooks, ac.signal);
    } finally {
      this.#jobs.delete(jobId);
    }
  }

  abort(jobId: number, reason?: string): void {
    this.#jobs.get(jobId)?.abort(reason ? new Error(reason) : undefined);
  }
}
