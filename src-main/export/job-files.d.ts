/** The job folder's files are bundled as text (esbuild's text loader; a Vite plugin in tests). */
declare module '*.py' {
  const source: string;
  export default source;
}
declare module '*.sh' {
  const source: string;
  export default source;
}
declare module '*.sbatch' {
  const source: string;
  export default source;
}
declare module '*.txt' {
  const source: string;
  export default source;
}
declare module '*.md' {
  const source: string;
  export default source;
}
