/**
 * Input that AWS would refuse, or that is dangerous, is refused when the
 * configuration is loaded, with the field path: regions that do not exist,
 * partitions mixed in one account, tags AWS rejects, code from outside the
 * repository and handlers that name no file.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, ConfigIssue, validateConfig } from "../../config/validate-config";

const REPO = path.resolve(__dirname, "..", "..");
const DEFAULT_DOCUMENT = JSON.parse(fs.readFileSync(path.join(REPO, "config", "default.json"), "utf8"));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

// <tmp>/repo is a Git repository (it has .git) holding config.json and code/; <tmp>/elsewhere is outside it.
let tmp: string;
let repo: string;
let configFile: string;

beforeAll(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "refused-at-load-")));
  repo = path.join(tmp, "repo");
  configFile = path.join(repo, "config", "config.json");
  fs.mkdirSync(path.join(repo, ".git"), { recursive: true });
  fs.mkdirSync(path.join(repo, "config"));
  fs.mkdirSync(path.join(repo, "code", "src"), { recursive: true });
  fs.writeFileSync(path.join(repo, "code", "index.js"), "exports.handler = async () => 'ok';\n");
  fs.writeFileSync(path.join(repo, "code", "src", "app.mjs"), "export const handler = async () => 'ok';\n");
  fs.writeFileSync(path.join(repo, "code", "worker.py"), "def handler(event, context):\n    return 'ok'\n");
  fs.mkdirSync(path.join(tmp, "elsewhere"));
  fs.writeFileSync(path.join(tmp, "elsewhere", "index.js"), "exports.handler = async () => 'ok';\n");
  fs.writeFileSync(path.join(tmp, "elsewhere", "credentials"), "[default]\n");
  fs.symlinkSync(path.join(tmp, "elsewhere"), path.join(repo, "code-link"), "dir");
  fs.symlinkSync(path.join(tmp, "elsewhere", "index.js"), path.join(repo, "code", "linked.js"));
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** config/default.json with its functions' code in <repo>/code, without the ciphertexts (they are per stack, and these tests change the stacks). */
function doc(): Doc {
  const copy = structuredClone(DEFAULT_DOCUMENT);
  for (const fn of copy.functions) {
    fn.codeDirectory = "../code";
    delete fn.encryptedEnvironment;
  }
  return copy;
}

function issues(document: Doc): ConfigIssue[] {
  try {
    validateConfig(document, configFile);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [...error.issues];
  }
}

test("the base document is accepted", () => {
  expect(issues(doc())).toEqual([]);
});

describe("regions", () => {
  test.each([
    ["eu-wset-1", 'did you mean "eu-west-1"?'],
    ["us-east-9", 'did you mean "us-east-1" or "us-east-2"?'],
    ["qq-mars-7", 'use a region code such as "eu-west-1".'],
  ])("refuses %s, a region that does not exist, with a suggestion and the escape", (region, suggestion) => {
    const document = doc();
    document.accounts[1].regions = ["eu-west-1", region];
    expect(issues(document)).toEqual([
      {
        path: "accounts[1].regions[1]",
        message: `"${region}" is not an AWS region this release knows; ${suggestion} If it is a region newer than this release, add it to additionalRegions`,
        code: "REGION",
      },
    ]);
  });

  test("accepts a region listed in additionalRegions", () => {
    const document = doc();
    document.additionalRegions = ["ap-south-9"];
    document.accounts[1].regions = ["eu-west-1", "ap-south-9"];
    expect(issues(document)).toEqual([]);
  });

  test("checks a home region and an S3 backend region that are not among the account's regions", () => {
    const document = doc();
    document.accounts[0].audit.homeRegion = "eu-centrl-1";
    document.backend = { type: "s3", bucket: "payments-terraform-state", region: "us-wets-2" };
    expect(issues(document).map((issue) => [issue.path, issue.message.split(";")[1]])).toEqual([
      ["backend.region", ' did you mean "us-west-2"? If it is a region newer than this release, add it to additionalRegions'],
      ["accounts[0].audit.homeRegion", ' did you mean "eu-central-1"? If it is a region newer than this release, add it to additionalRegions'],
    ]);
  });
});

describe("one partition per account", () => {
  test("refuses an account whose regions are in two partitions", () => {
    const document = doc();
    document.accounts[0].regions = ["eu-west-1", "cn-north-1"];
    expect(issues(document)).toContainEqual({
      path: "accounts[0].regions[1]",
      message: '"cn-north-1" is in partition "aws-cn", but "eu-west-1" is in "aws"; an account lives in one partition, so give this region its own account entry',
    });
  });

  test("refuses principals of another partition, wherever they are in the account entry", () => {
    const document = doc();
    const account = document.accounts[0];
    account.regions = ["cn-north-1"];
    const arns = (list: string[]) => list.map((arn) => arn.replace("arn:aws:", "arn:aws-cn:"));
    account.keyAdministratorArns = arns(account.keyAdministratorArns);
    account.deployerArns = arns(account.deployerArns);
    // These two stay in the commercial partition.
    account.keyUserArns = ["arn:aws:iam::111111111111:role/reader"];
    expect(issues(document).filter((issue) => issue.message.includes("partition"))).toEqual([
      {
        path: "accounts[0].keyUserArns[0]",
        message: '"arn:aws:iam::111111111111:role/reader" is in partition "aws", but the account\'s regions are in "aws-cn"; use arn:aws-cn:…',
      },
      {
        path: "accounts[0].deployer.oidc.providerArn",
        message:
          '"arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com" is in partition "aws", but the account\'s regions are in "aws-cn"; use arn:aws-cn:…',
      },
    ]);
  });
});

describe("tags", () => {
  test.each([
    ["a key starting with aws:", { "AWS:team": "x" }, "defaultTags.AWS:team", /^tag key "AWS:team" starts with "AWS:"; AWS reserves that prefix/, "TAG_KEY"],
    ["a key with a character AWS refuses", { "cost#center": "x" }, "defaultTags.cost#center", /^tag key "cost#center" contains "#" \(U\+0023\)/, "TAG_KEY"],
    ["a key of 129 characters", { ["k".repeat(129)]: "x" }, `defaultTags.${"k".repeat(129)}`, /has 129 characters; a tag key has at most 128/, "TAG_KEY"],
    ["a value of 257 characters", { Team: "v".repeat(257) }, "defaultTags.Team", /has 257 characters; a tag value has at most 256/, "TAG_VALUE"],
    ["a value starting with aws:", { Team: "aws:payments" }, "defaultTags.Team", /starts with "aws:"; AWS reserves that prefix \(in any case\) in tag values/, "TAG_VALUE"],
    ["a value with a control character", { Team: "pay\u001b[31mments" }, "defaultTags.Team", /^"pay\\u001b\[31mments" contains "\\u001b"/, "TAG_VALUE"],
  ])("refuses %s", (_what, tags, at, message, code) => {
    const document = doc();
    document.defaultTags = tags;
    const found = issues(document);
    expect(found).toHaveLength(1);
    expect(found[0]).toEqual({ path: at, message: expect.stringMatching(message), code });
  });

  test("refuses more than 50 tags on an account's resources, counting defaultTags and the account's tags together", () => {
    const document = doc();
    document.defaultTags = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`Default${i}`, "x"]));
    document.accounts[1].tags = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`Account${i}`, "x"]));
    expect(issues(document)).toEqual([
      { path: "accounts[1].tags", message: "with defaultTags, every resource of the account would get 51 tags; AWS allows 50 per resource, so drop 1" },
    ]);
    // An account tag that overrides a default one is one tag, not two.
    document.accounts[1].tags = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`Default${i}`, "y"]));
    expect(issues(document)).toEqual([]);
  });
});

describe("code and handlers", () => {
  test("refuses a code folder outside the configuration's Git repository, by a relative or an absolute path", () => {
    for (const codeDirectory of ["../../elsewhere", path.join(tmp, "elsewhere")]) {
      const document = doc();
      document.functions[0].codeDirectory = codeDirectory;
      expect(issues(document)).toEqual([
        {
          path: "functions[0].codeDirectory",
          message: `${path.join(tmp, "elsewhere")} is outside ${repo}, the folder code may come from (codeRoot; by default the configuration file's Git repository); move the code into it, or set codeRoot to a folder that holds it`,
        },
      ]);
    }
  });

  test("follows symbolic links: a link inside the repository to a folder outside it is outside", () => {
    const document = doc();
    document.functions[1].codeDirectory = "../code-link";
    expect(issues(document).map((issue) => issue.path)).toEqual(["functions[1].codeDirectory"]);
  });

  test("accepts code outside the repository inside an explicit codeRoot", () => {
    const document = doc();
    document.codeRoot = "../..";
    document.functions[0].codeDirectory = "../../elsewhere";
    expect(issues(document)).toEqual([]);
  });

  test("without a Git repository, the configuration file's folder is the code root", () => {
    const loose = path.join(tmp, "loose");
    fs.mkdirSync(path.join(loose, "code"), { recursive: true });
    fs.writeFileSync(path.join(loose, "code", "index.js"), "");
    const document = doc();
    document.functions[0].codeDirectory = "code";
    document.functions[1].codeDirectory = "../elsewhere";
    expect(() => validateConfig(document, path.join(loose, "config.json"))).toThrow(
      `functions[1].codeDirectory: ${path.join(tmp, "elsewhere")} is outside ${loose}, the folder code may come from`,
    );
  });

  test.each([
    ["a file that does not exist", "main.handler", "nodejs22.x", '"main.handler" names main.js, main.mjs or main.cjs, which is not in'],
    [
      "a link to a file outside the code folder",
      "linked.handler",
      "nodejs22.x",
      '"linked.handler" names linked.js, a link to a file outside the code folder; put the handler\'s file itself into',
    ],
    ["a Python module that does not exist", "pkg.worker.handler", "python3.12", '"pkg.worker.handler" names pkg/worker.py, which is not in'],
  ])("refuses a handler naming %s", (_what, handler, runtime, message) => {
    const document = doc();
    Object.assign(document.functions[1], { handler, runtime });
    expect(issues(document)).toEqual([{ path: "functions[1].handler", message: expect.stringContaining(message) }]);
  });

  test.each([
    ["index.handler", "nodejs22.x"],
    ["src/app.handler", "nodejs20.x"],
    ["worker.handler", "python3.12"],
    // Java, .NET and custom runtimes name classes and binaries, not files in the folder.
    ["com.example.Handler::handleRequest", "java21"],
  ])("accepts the handler %s on %s", (handler, runtime) => {
    const document = doc();
    Object.assign(document.functions[1], { handler, runtime });
    expect(issues(document)).toEqual([]);
  });
});
