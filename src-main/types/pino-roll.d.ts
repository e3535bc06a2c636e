// pino-roll ships no types; this is the part of its API the log file uses.
declare module 'pino-roll' {
  import type SonicBoom from 'sonic-boom';
  import type { SonicBoomOpts } from 'sonic-boom';

  interface PinoRollOptions extends Omit<SonicBoomOpts, 'dest'> {
    /** The base name; rotation appends .1, .2, ... before `extension`. */
    file: string;
    /** Bytes with a unit: '10m', '512k', '4096b'. */
    size?: string | number;
    frequency?: 'daily' | 'hourly' | number;
    extension?: string;
    /** Files kept besides the current one. */
    limit?: { count?: number; removeOtherLogFiles?: boolean };
  }

  /** `file` is the path being written now (SonicBoom has it; its types do not). */
  export default function pinoRoll(options: PinoRollOptions): Promise<SonicBoom & { readonly file: string }>;
}
