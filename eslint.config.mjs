import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'coverage/', 'dist/', '.local-data/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The core must stay free of the platform: only src/forge and the entry points may import @forge.
      'no-restricted-imports': 'off',
    },
  },
  {
    // The local platform loads the app's functions by the paths manifest.yml names, and the lint script
    // loads optional packages: both need a runtime require.
    files: ['local/**/*.ts', 'scripts/**/*.{ts,js}'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/core/**/*.ts', 'src/providers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@forge/*'], message: 'The core and providers stay free of @forge: platform code lives in src/forge.' }] },
      ],
    },
  },
  {
    files: [
      'test/platform/**/*.ts',
      'test/peers/**/*.ts',
      'test/page/**/*.{ts,tsx}',
      'test/security/**/*.ts',
      'test/reliability/**/*.ts',
      'test/load/**/*.ts',
      'bench/**/*.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='jest'][callee.property.name='mock'] > Literal[value=/^@forge\\//]",
          message: 'End-to-end tests run the real @forge SDK through local/; mock at the seams instead.',
        },
      ],
    },
  },
);
