import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["build/**", "public/build/**", "public/sw.js", "node_modules/**", ".data/**", ".cache/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", URL: "readonly", fetch: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      // Untrusted input is cleaned of control characters on purpose.
      "no-control-regex": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // bff/ is the application core: it never reaches into the UI.
      "no-restricted-imports": "off",
    },
  },
  {
    files: ["bff/**/*.ts", "db/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/app/**", "react", "react-dom", "@remix-run/react"],
              message: "bff/ and db/ never import the UI.",
            },
          ],
        },
      ],
    },
  },
  {
    // Every transaction goes through inTransaction (db/transaction.ts), which re-runs it when
    // PostgreSQL reports a deadlock or serialization failure: a bare db.transaction() turns them
    // into 500s (issue 13: 19 of 70 same-slot booking rounds).
    files: ["bff/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name='transaction'][arguments.length=0]",
          message: "Use inTransaction(db, (trx) => …) from db/transaction.ts: it re-runs on 40P01/40001.",
        },
      ],
    },
  },
  {
    // A route module's top level runs in the browser too: a call there (a loader made by a
    // factory in a .server module) keeps the server import in the browser bundle, and the page
    // never hydrates. Wrap it in a function instead (ARCHITECTURE rule 9).
    files: ["app/routes/**/*.tsx", "app/routes/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "Program > ExportNamedDeclaration > VariableDeclaration > VariableDeclarator > CallExpression.init",
          message: "No calls at a route module's top level: write `export const loader = (args) => make(…)(args)`.",
        },
      ],
    },
  },
);
