/**
 * Where a request names a file or folder on the host's disk. The host applies one path policy to
 * exactly these places (browser mode: only inside the folders given with `cvb serve --data-root`),
 * so no method can forget it; a test checks this table against every `HostPathSchema` field.
 */
import type { MethodName, ParsedRequestOf } from './api';

export interface HostPathLocation {
  /** Where in the params: `['images', 2, 'path']`; joined with dots it is the error's `field`. */
  keys: readonly (string | number)[];
  path: string;
}

interface HostPathMethod<M extends MethodName> {
  find(params: ParsedRequestOf<M>): HostPathLocation[];
  /** What a browser-mode client can send instead of a path the policy refuses. */
  instead: string;
}

const at = (keys: readonly (string | number)[], path: string | undefined): HostPathLocation[] => (path === undefined ? [] : [{ keys, path }]);

const oneImage: HostPathMethod<'infer.featureMaps' | 'infer.seWeights'> = {
  find: ({ image }) => ('path' in image ? at(['image', 'path'], image.path) : []),
  instead: 'send the image\'s bytes as "data"',
};

export const HOST_PATH_METHODS: { [M in MethodName]?: HostPathMethod<M> } = {
  'datasets.import': {
    find: ({ source }) => (source.kind === 'path' ? at(['source', 'path'], source.path) : at(['source', 'localPath'], source.localPath)),
    instead: 'import a standard dataset from the catalog (the server downloads it)',
  },
  'infer.predict': {
    find: ({ images }) => images.flatMap((image, index) => ('path' in image ? at(['images', index, 'path'], image.path) : [])),
    instead: 'send each image\'s bytes as "data"',
  },
  'infer.featureMaps': oneImage,
  'infer.seWeights': oneImage,
  'runs.import': {
    find: ({ source }) => ('path' in source ? at(['source', 'path'], source.path) : []),
    instead: "send the archive's bytes as source.data",
  },
  'runs.exportJob': {
    find: ({ out }) => at(['out'], out),
    instead: 'leave out empty: the job folder is written to the exports folder',
  },
  'experiments.exportJobs': {
    find: ({ out }) => at(['out'], out),
    instead: 'leave out empty: the jobs folder is written to the exports folder',
  },
  'experiments.import': {
    find: ({ source }) => at(['source', 'path'], source.path),
    instead: 'copy the jobs folder under a --data-root folder of the server and name it there',
  },
};

/** The host paths in a parsed request, in request order. */
export function hostPathsIn<M extends MethodName>(method: M, params: ParsedRequestOf<M>): HostPathLocation[] {
  return (HOST_PATH_METHODS[method] as HostPathMethod<M> | undefined)?.find(params) ?? [];
}

/** What to send instead of a refused path; undefined for a method that takes none. */
export function hostPathAlternative(method: MethodName): string | undefined {
  return HOST_PATH_METHODS[method]?.instead;
}
