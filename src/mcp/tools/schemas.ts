import { z } from 'zod';

/** Shapes shared by several tools' output schemas. */
export const agentSummarySchema = z.object({
  id: z.string(),
  role: z.string(),
  capabilities: z.array(z.string()),
  specialization: z.string(),
  status: z.string(),
  available: z.boolean(),
  performance: z.number(),
  max_tasks: z.number(),
  project: z.string().nullable(),
});

export const parsedAddressSchema = z.object({
  agent: z.string().nullable(),
  role: z.string().nullable(),
  project: z.string().nullable(),
  task: z.string().nullable(),
  path: z.string().nullable(),
  raw: z.string(),
});

/** `$all` position of a command's last event, as a decimal string (positions are 64-bit). */
export const positionSchema = z.string().regex(/^\d+$/).nullable();
