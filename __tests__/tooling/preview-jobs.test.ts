/** How many stacks the preview plans at once (tooling/preview-jobs.ts). */
import * as os from "os";
import { PREVIEW_JOBS_ENV, PreviewJobsError, previewJobs } from "../../tooling/preview-jobs";

test("defaults to the number of CPUs the process may use; the environment variable and then --jobs override it", () => {
  expect(previewJobs(undefined, {})).toBe(os.availableParallelism());
  expect(previewJobs(undefined, { [PREVIEW_JOBS_ENV]: "3" })).toBe(3);
  expect(previewJobs("5", { [PREVIEW_JOBS_ENV]: "3" })).toBe(5);
});

test.each(["0", "-1", "1.5", "two", "", " ", "1e3"])("refuses --jobs %j, naming the value", (value) => {
  expect(() => previewJobs(value, {})).toThrow(PreviewJobsError);
  expect(() => previewJobs(value, {})).toThrow(`--jobs must be a positive integer (the number of stacks planned at once), got ${JSON.stringify(value)}`);
});
