export * from './chart-source';
export * from './drift-ignores';
export * from './gitops-values';
export * from './components';
export * from './export-tree';
export * from './detect-owner';
export * from './gitops-source';
