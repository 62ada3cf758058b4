import { excerpt } from "./safe-output";

/**
 * The AWS Regions that exist, per partition, so that a typo such as
 * "eu-wset-1" or a region that does not exist such as "us-east-9" is refused
 * when the config is read instead of failing at deploy time. The pattern check
 * (`REGION_PATTERN` in aws-limits) still runs first; this is the extra check.
 *
 * Where the list comes from: the partition metadata that the AWS SDK for
 * JavaScript v3 ships (`partitionsInfo` in the `@aws-sdk/core` package, which
 * `@aws-sdk/client-kms` depends on; file
 * `dist-es/submodules/client/util-endpoints/lib/aws/partitions.js`, version
 * 3.981.2 when this list was written), matching the AWS list of Regions
 * (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html).
 * Left out: the SDK's `*-global` pseudo-regions (endpoint aliases, not places
 * to deploy), and the partitions this project does not support (ISO,
 * European Sovereign Cloud), whose codes REGION_PATTERN refuses anyway.
 *
 * How to update it: add the new code to its partition below (sorted). The test
 * `__tests__/modules/aws-regions.test.ts` compares this list with the SDK's,
 * so after the AWS SDK packages are updated it names every region the SDK
 * knows and this list lacks. Until a release has it, a user can name a newer
 * region in `additionalRegions`.
 */
export const KNOWN_REGIONS = {
  aws: [
    "af-south-1", // Africa (Cape Town)
    "ap-east-1", // Asia Pacific (Hong Kong)
    "ap-east-2", // Asia Pacific (Taipei)
    "ap-northeast-1", // Asia Pacific (Tokyo)
    "ap-northeast-2", // Asia Pacific (Seoul)
    "ap-northeast-3", // Asia Pacific (Osaka)
    "ap-south-1", // Asia Pacific (Mumbai)
    "ap-south-2", // Asia Pacific (Hyderabad)
    "ap-southeast-1", // Asia Pacific (Singapore)
    "ap-southeast-2", // Asia Pacific (Sydney)
    "ap-southeast-3", // Asia Pacific (Jakarta)
    "ap-southeast-4", // Asia Pacific (Melbourne)
    "ap-southeast-5", // Asia Pacific (Malaysia)
    "ap-southeast-6", // Asia Pacific (New Zealand)
    "ap-southeast-7", // Asia Pacific (Thailand)
    "ca-central-1", // Canada (Central)
    "ca-west-1", // Canada West (Calgary)
    "eu-central-1", // Europe (Frankfurt)
    "eu-central-2", // Europe (Zurich)
    "eu-north-1", // Europe (Stockholm)
    "eu-south-1", // Europe (Milan)
    "eu-south-2", // Europe (Spain)
    "eu-west-1", // Europe (Ireland)
    "eu-west-2", // Europe (London)
    "eu-west-3", // Europe (Paris)
    "il-central-1", // Israel (Tel Aviv)
    "me-central-1", // Middle East (UAE)
    "me-south-1", // Middle East (Bahrain)
    "me-west-1", // Middle East (Saudi Arabia)
    "mx-central-1", // Mexico (Central)
    "sa-east-1", // South America (São Paulo)
    "sa-west-1", // South America (Chile)
    "us-east-1", // US East (N. Virginia)
    "us-east-2", // US East (Ohio)
    "us-west-1", // US West (N. California)
    "us-west-2", // US West (Oregon)
  ],
  "aws-cn": [
    "cn-north-1", // China (Beijing)
    "cn-northwest-1", // China (Ningxia)
  ],
  "aws-us-gov": [
    "us-gov-east-1", // AWS GovCloud (US-East)
    "us-gov-west-1", // AWS GovCloud (US-West)
  ],
} as const satisfies Record<string, readonly string[]>;

/** A partition this project supports, as named in ARNs. */
export type KnownPartition = keyof typeof KNOWN_REGIONS;

const ALL_KNOWN_REGIONS: readonly string[] = Object.values(KNOWN_REGIONS).flat();

/** Largest edit distance at which a known region is offered as the one meant. */
const MAX_SUGGESTION_DISTANCE = 2;
/** Most regions named when several are equally close (e.g. "ap-southeast-9"). */
const MAX_SUGGESTIONS = 3;

/**
 * Why `region` is not a region this release knows, with the closest known
 * region(s) when one is at most two edits away, or undefined when it is listed
 * in {@link KNOWN_REGIONS} or in `additionalRegions` (regions newer than this
 * release, named by the user). The message has no subject: the caller puts
 * the field in front.
 */
export function regionProblem(region: string, additionalRegions: readonly string[] = []): string | undefined {
  if (ALL_KNOWN_REGIONS.includes(region) || additionalRegions.includes(region)) return undefined;
  const candidates = [...ALL_KNOWN_REGIONS, ...additionalRegions.filter((r) => !ALL_KNOWN_REGIONS.includes(r))];
  const suggestions = closest(region.trim().toLowerCase(), candidates);
  const hint = suggestions.length > 0 ? `did you mean ${joinOr(suggestions.map(excerpt))}?` : 'use a region code such as "eu-west-1".';
  return `${excerpt(region)} is not an AWS region this release knows; ${hint} If it is a region newer than this release, add it to additionalRegions`;
}

/** The candidates nearest to `value` (in list order, at most MAX_SUGGESTIONS), if any is within MAX_SUGGESTION_DISTANCE. */
function closest(value: string, candidates: readonly string[]): string[] {
  let best = MAX_SUGGESTION_DISTANCE + 1;
  let found: string[] = [];
  for (const candidate of candidates) {
    // The distance is at least the difference in length: skip the work (and long input) when that is already too far.
    if (Math.abs(value.length - candidate.length) > MAX_SUGGESTION_DISTANCE) continue;
    const distance = editDistance(value, candidate);
    if (distance < best) {
      best = distance;
      found = [candidate];
    } else if (distance === best) {
      found.push(candidate);
    }
  }
  return found.slice(0, MAX_SUGGESTIONS);
}

/**
 * Edit distance counting an insertion, deletion, substitution or swap of two
 * adjacent characters as one edit (optimal string alignment), so a typo such as
 * `wset` for `west` is one edit.
 */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function joinOr(items: readonly string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}
