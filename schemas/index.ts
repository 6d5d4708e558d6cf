export * from './config.schema.ts';
export * from './report.schema.ts';
