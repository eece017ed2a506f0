// The linter (`npm run lint`): ESLint's and typescript-eslint's recommended rules over every folder. Formatting is
// prettier's (.prettierrc.json); import direction is dependency-cruiser's (.dependency-cruiser.js).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const node = Object.fromEntries(
  ["require", "module", "exports", "process", "__dirname", "__filename", "console", "Buffer", "setTimeout", "clearTimeout", "URL"].map((g) => [g, "readonly"]),
);

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "**/.cache/**", "coverage/**", "examples/**/node_modules/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names are deliberately unused (destructuring a field away, a callback's unused argument).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true, caughtErrors: "none" },
      ],
      // Regexes over libvirt's XML and virsh's tables match runs of spaces as printed; counting them ({6}) reads worse.
      "no-regex-spaces": "off",
    },
  },
  // CommonJS scripts run by node directly.
  { files: ["**/*.js", "**/*.cjs"], languageOptions: { sourceType: "commonjs", globals: node }, rules: { "@typescript-eslint/no-require-imports": "off" } },
);
