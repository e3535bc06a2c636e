export function installedElectron(root: string): { path: string; reason: null } | { path: null; reason: string };
