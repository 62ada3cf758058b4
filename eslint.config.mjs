import tseslint from "typescript-eslint";

const rootProviderImport = {
  message:
    "Import provider resources by deep path (e.g. @cdktf/provider-aws/lib/kms-key): the package root re-exports ~2,200 resources and costs ~5 s and ~500 MB per process.",
};

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "cdktf.out/**", "coverage/**", "**/*.js", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "@cdktf/provider-aws", ...rootProviderImport },
            { name: "@cdktf/provider-aws/lib", ...rootProviderImport },
            { name: "@cdktf/provider-aws/lib/index", ...rootProviderImport },
          ],
        },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
);
