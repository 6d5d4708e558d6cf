export * from './config.schema.ts';
export * from './jobs.schema.ts';
export * from './report.schema.ts';
export * from './resolution.schema.ts';
export * from './tenants.schema.ts';
export * from './ticket.schema.ts';
