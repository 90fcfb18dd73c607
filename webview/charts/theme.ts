/**
 * chart.js reads no CSS variables and a canvas rejects `var(--x)`: read the theme's computed
 * colours, apply them to Chart.defaults, and re-apply when VS Code switches theme (body class).
 */
import { Chart } from 'chart.js';

export interface ThemeColors {
  foreground: string;
  muted: string;
  grid: string;
  font: string;
  /** Series colours from the theme's chart palette (VS Code 1.73+). */
  series: string[];
  status: Record<'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'crashed', string>;
}

export function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export function themeColors(): ThemeColors {
  const foreground = cssVar('--vscode-foreground', '#cccccc');
  const blue = cssVar('--vscode-charts-blue', '#3794ff');
  const green = cssVar('--vscode-charts-green', '#89d185');
  const red = cssVar('--vscode-charts-red', '#f14c4c');
  const yellow = cssVar('--vscode-charts-yellow', '#cca700');
  const orange = cssVar('--vscode-charts-orange', '#d18616');
  const purple = cssVar('--vscode-charts-purple', '#b180d7');
  return {
    foreground,
    muted: cssVar('--vscode-descriptionForeground', foreground),
    grid: cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.35)'),
    font: cssVar('--vscode-font-family', 'sans-serif'),
    series: [blue, orange, green, purple, red, yellow],
    status: { queued: orange, running: blue, completed: green, failed: red, cancelled: yellow, crashed: purple },
  };
}

export function applyThemeDefaults(colors = themeColors()): ThemeColors {
  Chart.defaults.color = colors.foreground;
  Chart.defaults.borderColor = colors.grid;
  Chart.defaults.font.family = colors.font;
  return colors;
}

/** Calls `onChange` whenever VS Code changes the theme of this webview; returns the unsubscribe. */
export function watchTheme(onChange: (colors: ThemeColors) => void): () => void {
  const observer = new MutationObserver(() => onChange(applyThemeDefaults()));
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  return () => observer.disconnect();
}
