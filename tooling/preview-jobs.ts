/**
 * How many stacks `npm run preview` plans at once: `--jobs N`, else the
 * environment variable {@link PREVIEW_JOBS_ENV}, else one per CPU the process
 * may use. Each plan is one Terraform process with the provider (~1 CPU while
 * it loads the provider schema, 0.6 to 1.3 GB of memory): lower it on a
 * machine with many cores and little memory.
 */
import * as os from "os";

/** Environment variable with the default of `--jobs`. */
export const PREVIEW_JOBS_ENV = "LAMBDA_KMS_PREVIEW_JOBS";

/** A `--jobs` value (or {@link PREVIEW_JOBS_ENV}) that is not a positive integer. */
export class PreviewJobsError extends Error {
  override readonly name = "PreviewJobsError";
}

/**
 * The number of parallel plans.
 * @param flag the `--jobs` value; @default from the environment, else the CPU count
 * @param env the environment; @default process.env
 */
export function previewJobs(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (flag !== undefined) return parseJobs(flag, "--jobs");
  const fromEnv = env[PREVIEW_JOBS_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") return parseJobs(fromEnv, PREVIEW_JOBS_ENV);
  return os.availableParallelism();
}

function parseJobs(value: string, source: string): number {
  const jobs = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(jobs) || jobs < 1) {
    throw new PreviewJobsError(
      `${source} must be a positive integer (the number of stacks planned at once), got ${JSON.stringify(value)}; ` +
        `e.g. --jobs ${os.availableParallelism()} (the CPU count, the default)`,
    );
  }
  return jobs;
}
