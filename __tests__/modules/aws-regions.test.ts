import * as fs from "fs";
import * as path from "path";
import { REGION_PATTERN, partitionForRegion } from "../../modules/private/aws-limits";
import { KNOWN_REGIONS, KnownPartition, regionProblem } from "../../modules/private/aws-regions";

const listed = Object.entries(KNOWN_REGIONS).flatMap(([partition, regions]) => regions.map((region) => [region, partition] as const));

/**
 * The regions per partition that the installed AWS SDK knows: `partitionsInfo`
 * in @aws-sdk/core, resolved from @aws-sdk/client-kms (a dependency in
 * package.json) so that it is the copy the project's SDK clients use.
 */
function sdkRegions(): Map<string, string[]> {
  const clientDir = path.dirname(require.resolve("@aws-sdk/client-kms/package.json"));
  const coreDir = path.dirname(require.resolve("@aws-sdk/core/package.json", { paths: [clientDir] }));
  const file = path.join(coreDir, "dist-es", "submodules", "client", "util-endpoints", "lib", "aws", "partitions.js");
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: the AWS SDK moved its partition metadata; find the file that holds "partitionsInfo" in @aws-sdk/core and update this test`);
  }
  // The file is `export const partitionsInfo = { ...JSON... };`.
  const text = fs.readFileSync(file, "utf8");
  const info = JSON.parse(text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1)) as { partitions: { id: string; regions: Record<string, unknown> }[] };
  return new Map(info.partitions.map((p) => [p.id, Object.keys(p.regions).filter((region) => !region.endsWith("-global"))]));
}

describe("KNOWN_REGIONS", () => {
  it.each(listed)("%s matches REGION_PATTERN and belongs to %s", (region, partition) => {
    expect(region).toMatch(REGION_PATTERN);
    expect(partitionForRegion(region)).toBe(partition);
  });

  it("lists each region once, sorted within its partition", () => {
    const all = listed.map(([region]) => region);
    expect(new Set(all).size).toBe(all.length);
    for (const regions of Object.values(KNOWN_REGIONS)) expect([...regions]).toEqual([...regions].sort());
  });

  it("lists exactly the regions the installed AWS SDK knows for the supported partitions", () => {
    const sdk = sdkRegions();
    for (const partition of Object.keys(KNOWN_REGIONS) as KnownPartition[]) {
      const ours: readonly string[] = KNOWN_REGIONS[partition];
      const theirs = sdk.get(partition);
      expect(theirs).toBeDefined();
      // An SDK update that adds a region fails here: add the region to KNOWN_REGIONS in modules/private/aws-regions.ts.
      const addToKnownRegions = (theirs ?? []).filter((region) => !ours.includes(region));
      expect({ partition, addToKnownRegions }).toEqual({ partition, addToKnownRegions: [] });
      // A region the SDK dropped (or a typo in the list).
      const notKnownToSdk = ours.filter((region) => !(theirs ?? []).includes(region));
      expect({ partition, notKnownToSdk }).toEqual({ partition, notKnownToSdk: [] });
    }
  });

  it("has no region the SDK puts in another partition", () => {
    const sdk = sdkRegions();
    for (const [region, partition] of listed) {
      const owners = [...sdk].filter(([, regions]) => regions.includes(region)).map(([id]) => id);
      expect({ region, owners }).toEqual({ region, owners: [partition] });
    }
  });
});

describe("regionProblem", () => {
  it.each(["us-east-1", "eu-west-1", "ap-southeast-7", "mx-central-1", "cn-north-1", "cn-northwest-1", "us-gov-west-1", "us-gov-east-1"])("accepts %s", (region) => {
    expect(regionProblem(region)).toBeUndefined();
  });

  it("suggests the region a typo was meant to be", () => {
    expect(regionProblem("eu-wset-1")).toBe(
      '"eu-wset-1" is not an AWS region this release knows; did you mean "eu-west-1"? If it is a region newer than this release, add it to additionalRegions',
    );
    expect(regionProblem("us-esat-1")).toContain('did you mean "us-east-1"?');
    expect(regionProblem("eu-centrl-1")).toContain('did you mean "eu-central-1"?');
    expect(regionProblem("ap-southest-2")).toContain('did you mean "ap-southeast-2"?');
    expect(regionProblem("us-gov-wets-1")).toContain('did you mean "us-gov-west-1"?');
    expect(regionProblem("cn-nrothwest-1")).toContain('did you mean "cn-northwest-1"?');
    expect(regionProblem("EU-WEST-1")).toContain('did you mean "eu-west-1"?');
  });

  it("names the equally close regions (at most three) when several are", () => {
    expect(regionProblem("us-east-9")).toContain('did you mean "us-east-1" or "us-east-2"?');
    expect(regionProblem("us-est-1")).toContain('did you mean "us-east-1" or "us-west-1"?');
    expect(regionProblem("ap-southeast-9")).toContain('did you mean "ap-southeast-1", "ap-southeast-2" or "ap-southeast-3"?');
  });

  it("suggests nothing when no known region is within two edits", () => {
    const problem = regionProblem("xx-nowhere-1");
    expect(problem).toBe(
      '"xx-nowhere-1" is not an AWS region this release knows; use a region code such as "eu-west-1". If it is a region newer than this release, add it to additionalRegions',
    );
    expect(regionProblem("eusc-de-east-1")).toContain("is not an AWS region this release knows");
  });

  it("accepts a region newer than the release when it is in additionalRegions", () => {
    expect(regionProblem("eu-north-2")).toContain("add it to additionalRegions");
    expect(regionProblem("eu-north-2", ["eu-north-2"])).toBeUndefined();
    expect(regionProblem("eu-north-2", ["ap-east-3"])).toContain("add it to additionalRegions");
  });

  it("offers additional regions as suggestions too", () => {
    expect(regionProblem("xx-newplace-1", ["xx-newplace-2"])).toContain('did you mean "xx-newplace-2"?');
  });

  it("keeps the message short and escaped for long or odd input", () => {
    const problem = regionProblem(`eu-west-1\u001b[31m${"x".repeat(5000)}`) ?? "";
    expect(problem).not.toContain("\u001b");
    expect(problem).toContain("\\u001b");
    expect(problem.length).toBeLessThan(350);
  });
});
