// What a run is told (KBT_BENCH_* variables), and the names of what it creates.
import { join } from 'node:path';

export const objects = Number(process.env['KBT_BENCH_OBJECTS'] ?? 1000);
export const concurrency = Number(process.env['KBT_BENCH_CONCURRENCY'] ?? 16);
export const repo = join(import.meta.dirname, '../..');
export const consumerNamespace = 'wild-west';
/** The export request, export and binding share this name (as `kubectl bind` does it). */
export const exportName = 'cowboys';
/** Generous: a stuck object should fail the run with a list of what is missing, not hang it. */
export const syncTimeoutMs = 120_000 + objects * 100;

export const nameOf = (i: number): string => `cowboy-${String(i).padStart(5, '0')}`;
export const names = Array.from({ length: objects }, (_, i) => nameOf(i));
/** The status the driver sets on the provider copy of `name`, and expects back on the consumer. */
export const resultFor = (name: string): string => `rode ${name}`;

/** The label the export's claim selects Secrets by. */
export const claimLabel = 'bench.kube-bind.io/claimed';
/** The ownership label (upstream's): `provider` marks the provider's claimed objects. */
export const ownerLabel = 'kube-bind.io/owner';
export const claimedName = (i: number): string => `claimed-${String(i).padStart(5, '0')}`;
export const referencedName = (i: number): string => `referenced-${String(i).padStart(5, '0')}`;
export const providedName = (i: number): string => `provided-${String(i).padStart(5, '0')}`;
/** Reference changes per scaling sample, made one at a time. */
export const sampleSize = Number(process.env['KBT_BENCH_REFERENCE_SAMPLE'] ?? 100);
/** Cowboys added between the two samples: the second has this many more referencing objects. */
export const extraReferencing = Number(process.env['KBT_BENCH_EXTRA_COWBOYS'] ?? 4000);
/** How long the provider → consumer warm-up Secret may take before that part is skipped. */
export const providerOwnedProbeMs = 30_000;

/** The claim syncer's controller (resource-syncer.ts names it so). */
export const claimController = 'konnector-claims';
