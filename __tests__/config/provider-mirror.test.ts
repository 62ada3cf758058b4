import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AWS_PROVIDER_VERSION, readProviderMirror } from "../../config/provider-mirror";

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "provider-mirror-test-"));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function mirror(name: string, files: string[]): string {
  const root = path.join(tmp, name);
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), "");
  }
  return root;
}

test("the provider version looked for is the one every stack requires", () => {
  const stack = new TerraformStack(Testing.app(), "stack");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  expect(JSON.parse(Testing.synth(stack)).terraform.required_providers.aws.version).toBe(AWS_PROVIDER_VERSION);
});

test("without TF_PROVIDER_MIRROR, or with an empty one, there is no mirror", () => {
  expect(readProviderMirror({})).toBeUndefined();
  expect(readProviderMirror({ TF_PROVIDER_MIRROR: " " })).toBeUndefined();
});

test("accepts an unpacked mirror and a packed one, as terraform providers mirror writes it", () => {
  const unpacked = mirror("unpacked", [`registry.terraform.io/hashicorp/aws/${AWS_PROVIDER_VERSION}/linux_amd64/terraform-provider-aws_v${AWS_PROVIDER_VERSION}_x5`]);
  expect(readProviderMirror({ TF_PROVIDER_MIRROR: unpacked })).toBe(unpacked);
  const packed = mirror("packed", [
    `registry.terraform.io/hashicorp/aws/terraform-provider-aws_${AWS_PROVIDER_VERSION}_linux_amd64.zip`,
    "registry.terraform.io/hashicorp/aws/index.json",
  ]);
  expect(readProviderMirror({ TF_PROVIDER_MIRROR: `${packed}/` })).toBe(packed);
});

test("makes a relative path absolute", () => {
  const root = mirror("relative", [`registry.terraform.io/hashicorp/aws/${AWS_PROVIDER_VERSION}/linux_amd64/provider`]);
  expect(readProviderMirror({ TF_PROVIDER_MIRROR: path.relative(process.cwd(), root) })).toBe(root);
});

test("fails when the mirror has another version only, naming the value, the version and the fix", () => {
  const other = mirror("other-version", [
    "registry.terraform.io/hashicorp/aws/6.0.0/linux_amd64/provider",
    "registry.terraform.io/hashicorp/aws/terraform-provider-aws_6.0.0_linux_amd64.zip",
  ]);
  expect(() => readProviderMirror({ TF_PROVIDER_MIRROR: other })).toThrow(
    new RegExp(
      `^TF_PROVIDER_MIRROR=".*other-version" holds no hashicorp/aws ${AWS_PROVIDER_VERSION.replace(/\./g, "\\.")}: looked for the folder .*terraform providers mirror.*unset TF_PROVIDER_MIRROR`,
    ),
  );
});

test("fails when the folder does not exist", () => {
  expect(() => readProviderMirror({ TF_PROVIDER_MIRROR: path.join(tmp, "nowhere") })).toThrow(/holds no hashicorp\/aws/);
});
