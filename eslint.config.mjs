// ESLint (flat config) as NestJS projects have it: the recommended JavaScript and typescript-eslint rules,
// with every formatting rule left to Prettier (eslint-config-prettier). `npm run lint`; CI runs it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'client/dist/', 'coverage/', 'test-artifacts/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      // as in a generated NestJS project: `any` is allowed where a type would say nothing more
      '@typescript-eslint/no-explicit-any': 'off',
      // a leading underscore marks a parameter or binding kept on purpose (a signature, a rest-omit)
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // `a && b()` and `c ? d() : e()` as statements are part of this code's style
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // deliberate here: shared listeners and wrapper classes name the outer `this` (`adapter`, `lb`) where
      // `this` is rebound to the socket
      '@typescript-eslint/no-this-alias': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e.ts', 'test/**/*.ts', 'client/test/**/*.ts'],
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
  },
  {
    files: ['client/src/**/*.ts', 'client/src/**/*.tsx', 'src/demo/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
