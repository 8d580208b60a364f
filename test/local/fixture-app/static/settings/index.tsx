// Placeholder resource: the platform tests only need manifest.yml to name an existing file.
export {};
