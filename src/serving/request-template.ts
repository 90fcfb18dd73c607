/** The serving panel's "try it" request, built from the server's /metadata. No `vscode` here. */

export interface ModelMetadata {
  name: string;
  version: string | null;
  modelClass: string;
  format: string;
  features: string[] | null;
  nFeatures: number | null;
  classes: unknown[] | null;
  task: 'classification' | 'regression';
  methods: string[];
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function parseMetadata(raw: unknown): ModelMetadata | undefined {
  if (!isRecord(raw)) return undefined;
  const features = Array.isArray(raw.features) && raw.features.every((f) => typeof f === 'string') ? (raw.features as string[]) : null;
  return {
    name: typeof raw.name === 'string' ? raw.name : '',
    version: typeof raw.version === 'string' ? raw.version : raw.version == null ? null : String(raw.version),
    modelClass: typeof raw.model_class === 'string' ? raw.model_class : '',
    format: typeof raw.format === 'string' ? raw.format : '',
    features,
    nFeatures: typeof raw.n_features === 'number' ? raw.n_features : features?.length ?? null,
    classes: Array.isArray(raw.classes) ? raw.classes : null,
    task: raw.task === 'classification' ? 'classification' : 'regression',
    methods: Array.isArray(raw.methods) ? raw.methods.filter((m): m is string => typeof m === 'string') : ['predict'],
  };
}

/** A sample row: one value per feature (the caller's when it has real ones, else zeros). */
function sampleRow(width: number, sample?: readonly number[]): number[] {
  return Array.from({ length: width }, (_, i) => (sample && Number.isFinite(sample[i]) ? sample[i] : 0));
}

/** MLflow's dataframe_split with the model's feature names (positional rows when it has none). */
export function jsonTemplate(meta: Pick<ModelMetadata, 'features' | 'nFeatures'> | undefined, sample?: readonly number[]): string {
  const width = meta?.features?.length ?? meta?.nFeatures ?? 1;
  const row = sampleRow(width, sample);
  const body = meta?.features ? { dataframe_split: { columns: meta.features, data: [row] } } : { dataframe_split: { data: [row] } };
  return JSON.stringify(body, null, 2);
}

/** The same row as text/csv, with a header of feature names when the model has them. */
export function csvTemplate(meta: Pick<ModelMetadata, 'features' | 'nFeatures'> | undefined, sample?: readonly number[]): string {
  const width = meta?.features?.length ?? meta?.nFeatures ?? 1;
  const lines = meta?.features ? [meta.features.map(csvCell).join(',')] : [];
  lines.push(sampleRow(width, sample).join(','));
  return `${lines.join('\n')}\n`;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A response body for display: JSON pretty-printed, anything else as is, both cut at `max` characters. */
export function prettyBody(body: string, max = 20_000): string {
  let text = body;
  try {
    text = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    // Not JSON: as is.
  }
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text;
}
