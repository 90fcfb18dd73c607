/** Colour scales for the explain charts, from the theme's chart colours only. */
import type { ThemeColors } from '../../charts/theme';

type Rgb = [number, number, number];

/** Parses #rgb, #rrggbb(aa) and rgb()/rgba(); undefined for anything else. */
export function parseColor(c: string): Rgb | undefined {
  const hex = c.trim().match(/^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i);
  if (hex) {
    const h = hex[1].length === 3 ? [...hex[1]].map((x) => x + x).join('') : hex[1].slice(0, 6);
    return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as Rgb;
  }
  const rgb = c.match(/^rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)/i);
  return rgb ? ([Number(rgb[1]), Number(rgb[2]), Number(rgb[3])] as Rgb) : undefined;
}

export function alpha(c: string, a: number): string {
  const rgb = parseColor(c);
  return rgb ? `rgba(${rgb[0]}, ${rgb[1]}, ${rgb[2]}, ${a})` : c;
}

/** Low → high: the theme's blue to its red (SHAP's convention), through their mix; NaN: muted grey. */
export function scale(colors: ThemeColors): (t: number) => string {
  const lo = parseColor(colors.series[0]) ?? [55, 148, 255];
  const hi = parseColor(colors.series[4]) ?? [241, 76, 76];
  const missing = alpha(colors.muted, 0.5);
  return (t) => {
    if (!Number.isFinite(t)) return missing;
    const c = lo.map((v, i) => Math.round(v + (hi[i] - v) * t));
    return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
  };
}

/** Positive contributions push the prediction up (red), negative ones down (blue). */
export function signColor(colors: ThemeColors, v: number): string {
  return v >= 0 ? colors.series[4] : colors.series[0];
}
