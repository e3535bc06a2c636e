/**
 * Datasets: the list, import, detail, samples and the catalog of standard datasets.
 * Pure TypeScript + zod: no node:, electron or DOM imports, so both runtimes can import this file.
 */
import { z } from 'zod';
import { DatasetIdSchema, HostPathSchema } from './ids';

export const DatasetInfoSchema = z.object({
  id: DatasetIdSchema,
  name: z.string(),
  classes: z.array(z.string()),
  input: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  trainCount: z.number().int(),
  testCount: z.number().int(),
  source: z.string(),
  /** Images in the dataset's own validation split (0: each run holds out its validationFraction). */
  valCount: z.number().int().optional(),
  /** Bundled with the app: read-only, cannot be deleted. */
  bundled: z.boolean().optional(),
  createdAt: z.string().optional(),
});
export type DatasetInfo = z.infer<typeof DatasetInfoSchema>;

export const DATASET_LIMITS = {
  minSize: 8,
  maxSize: 1024,
  maxValidationFraction: 0.5,
  maxTestFraction: 0.5,
  maxSamplesPerClass: 32,
  maxPreviewCount: 32,
} as const;

/**
 * Held out for testing when a source has no test split of its own (an image folder without a
 * `test/` folder), stratified by class with the import's seed: without it a run cannot be evaluated.
 */
export const DEFAULT_TEST_FRACTION = 0.1;

/** Chosen by the client so that it can cancel an import it started and match progress events. */
export const ImportIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "-" or "_"');

export const CatalogNameSchema = z.enum(['mnist', 'fashion-mnist', 'cifar-10', 'cifar-100']);
export type CatalogName = z.infer<typeof CatalogNameSchema>;

export const ResizeModeSchema = z.enum(['squash', 'crop', 'pad']);
export const DatasetSplitSchema = z.enum(['train', 'val', 'test']);
export type DatasetSplit = z.infer<typeof DatasetSplitSchema>;


export const DatasetImportRequestSchema = z.strictObject({
  source: z.discriminatedUnion('kind', [
    /** An image folder, a folder of IDX files, or a CIFAR archive/folder, on the host. */
    z.strictObject({ kind: z.literal('path'), path: HostPathSchema }),
    /** A standard dataset: downloaded, or imported from `localPath` (a machine without internet). */
    z.strictObject({ kind: z.literal('catalog'), name: CatalogNameSchema, localPath: HostPathSchema.optional() }),
  ]),
  importId: ImportIdSchema.optional(),
  name: z.string().trim().min(1).max(100).optional(),
  /** Cache resolution (square); default: native for IDX/CIFAR, 64 for image folders. */
  size: z.number().int('must be a whole number').min(DATASET_LIMITS.minSize).max(DATASET_LIMITS.maxSize).optional(),
  resize: ResizeModeSchema.default('squash'),
  channels: z.union([z.literal('auto'), z.literal(1), z.literal(3)]).default('auto'),
  /** Behind transparent pixels and around padded images. */
  background: z.enum(['white', 'black']).default('white'),
  /** Held out from train when the source has no validation split; 0 leaves it to each run. */
  validationFraction: z.number().min(0).max(DATASET_LIMITS.maxValidationFraction).default(0),
  /** Held out from train when the source has no test split; 0 imports without one. */
  testFraction: z.number().min(0).max(DATASET_LIMITS.maxTestFraction).default(DEFAULT_TEST_FRACTION),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
});
export type DatasetImportRequest = z.input<typeof DatasetImportRequestSchema>;

export const SkippedFileSchema = z.object({ path: z.string(), reason: z.string() });
export type SkippedFile = z.infer<typeof SkippedFileSchema>;

const ClassCountsSchema = z.record(z.string(), z.number().int());

/** What `datasets.import` and `cvb data import --json` answer. */
export const DatasetImportResultSchema = z.object({
  id: DatasetIdSchema,
  name: z.string(),
  classes: z.array(z.string()),
  input: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  counts: z.object({ train: ClassCountsSchema, val: ClassCountsSchema, test: ClassCountsSchema }),
  skipped: z.array(SkippedFileSchema),
  warnings: z.array(z.string()),
  source: z.string(),
  durationMs: z.number(),
});
export type DatasetImportResult = z.infer<typeof DatasetImportResultSchema>;

export const DatasetDetailSchema = DatasetInfoSchema.extend({
  /** Images per class for each split, indexed like `classes` (the bar chart). */
  classCounts: z.object({ train: z.array(z.number().int()), val: z.array(z.number().int()), test: z.array(z.number().int()) }),
  normalization: z.object({ mean: z.array(z.number()), std: z.array(z.number()) }).nullable(),
  resize: z.string().nullable(),
  bytes: z.number().int().nullable(),
  /** The import report; null for bundled datasets. */
  report: z
    .object({ skipped: z.array(SkippedFileSchema), warnings: z.array(z.string()), scanned: z.number().int(), imported: z.number().int(), durationMs: z.number() })
    .nullable(),
});
export type DatasetDetail = z.infer<typeof DatasetDetailSchema>;

/** A sample image: PNG bytes in base64 (show as `data:image/png;base64,...`, pixelated when small). */
export const DatasetSampleSchema = z.object({ label: z.number().int(), index: z.number().int(), png: z.string() });
export type DatasetSample = z.infer<typeof DatasetSampleSchema>;

export const CatalogEntryInfoSchema = z.object({
  name: CatalogNameSchema,
  title: z.string(),
  classCount: z.number().int(),
  input: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  trainCount: z.number().int(),
  testCount: z.number().int(),
  downloadBytes: z.number().int(),
  licence: z.string(),
  /** Every file already downloaded into the home (an import will not download again). */
  downloaded: z.boolean(),
  /** Ids of imported datasets made from this entry. */
  imported: z.array(DatasetIdSchema),
});
export type CatalogEntryInfo = z.infer<typeof CatalogEntryInfoSchema>;

export const ImportPhaseSchema = z.enum(['downloading', 'reading', 'decoding', 'writing']);
