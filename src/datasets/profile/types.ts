/** A dataset's profile as the panel shows it (no Node imports: the webview imports these types). */
import type { ColumnProfile } from './column';

export interface DatasetWarning {
  kind: 'constant' | 'empty' | 'manyMissing' | 'mixedTypes' | 'identifier' | 'raggedRows' | 'duplicateNames' | 'noRows';
  column?: string;
  message: string;
}

export interface DatasetProfile {
  file: string;
  bytes: number;
  delimiter: string;
  rows: number;
  columns: ColumnProfile[];
  warnings: DatasetWarning[];
  /** The first rows, for an instant first page of the table. */
  head: string[][];
  durationMs: number;
}
