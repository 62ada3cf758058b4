import tseslint from "typescript-eslint";

const rootProviderImport = {
  message: "Import provider resources by deep path (e.g. @cdktf/provider-aws/lib/kms-key): the package root re-exports ~2,200 resources and costs ~5 s and ~500 MB per process.",
};
const rootProviderPaths = ["@cdktf/provider-aws", "@cdktf/provider-aws/lib", "@cdktf/provider-aws/lib/index"].map((name) => ({ name, ...rootProviderImport }));

// runtime/ runs inside Lambda: cdktf and constructs are not there (and would
// cost seconds of cold start if bundled). modules/ and stacks/ import them.
const runtimeBoundary = {
  group: ["cdktf", "cdktf/*", "constructs", "constructs/*", "@cdktf/*", "../modules", "../modules/*", "../stacks", "../stacks/*", "../config", "../config/*", "../main"],
  message: "runtime/ runs inside Lambda and may import only the AWS SDK v3 and Node built-ins: never cdktf, constructs, @cdktf/* or the modules/stacks/config that use them.",
};

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "cdktf.out/**", ".preview/**", "coverage/**", "**/*.js", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: rootProviderPaths,
        },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // Later config objects replace a rule's options, so this one restates the
    // provider-root paths as well.
    files: ["runtime/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: rootProviderPaths,
          patterns: [runtimeBoundary],
        },
      ],
    },
  },
);
