// Request logs (`lambdas/observability.ts`) would print a line per API call of every test; errors still print.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
