import type { Branding } from '../api/types';

/**
 * Applies a workspace's branding app-wide as CSS custom properties. Colours come from the
 * workspace, so readability is computed, not assumed: text on the primary colour is black or
 * white by luminance, and the colour used for text on the white page is darkened until it
 * reaches WCAG AA contrast (4.5:1).
 */

export const DEFAULT_PRIMARY = '#4f46e5';
export const DEFAULT_ACCENT = '#0e7490';

type Rgb = [number, number, number];

function parseHex(hex: string | undefined): Rgb | null {
  if (!hex || !/^#[0-9a-f]{6}$/i.test(hex)) return null;
  return [0, 2, 4].map((i) => parseInt(hex.slice(1 + i, 3 + i), 16)) as Rgb;
}

function toHex([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((v) => Math.round(Math.max(0, Math.min(255, v))).toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG relative luminance. */
export function luminance([r, g, b]: Rgb): number {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [17, 24, 39];

/** Black-ish or white text, whichever reads better on `bg`. */
export function textOn(bg: Rgb): string {
  return contrast(bg, WHITE) >= contrast(bg, BLACK) ? '#ffffff' : toHex(BLACK);
}

/** `color` darkened (mixed with black) until it has `ratio` contrast on white. */
export function readableOnWhite(color: Rgb, ratio = 4.5): Rgb {
  let c = color;
  for (let i = 0; i < 20 && contrast(c, WHITE) < ratio; i++) c = c.map((v) => v * 0.88) as Rgb;
  return c;
}

export interface BrandColours {
  primary: string;
  onPrimary: string;
  /** The primary colour as text or a border on the light page. */
  primaryText: string;
  /** A pale tint of the primary colour for selected rows. */
  primarySoft: string;
  accent: string;
  accentText: string;
}

export function brandColours(branding: Branding | undefined): BrandColours {
  const given = parseHex(branding?.primaryColor) ?? parseHex(DEFAULT_PRIMARY)!;
  const accent = parseHex(branding?.accentColor) ?? parseHex(DEFAULT_ACCENT)!;
  // Mid-tone colours read badly with both black and white text: buttons then use a darker shade.
  const best = textOn(given);
  const primary = contrast(given, parseHex(best)!) >= 4.5 ? given : readableOnWhite(given);
  const soft = given.map((v) => v + (255 - v) * 0.88) as Rgb;
  return {
    primary: toHex(primary),
    onPrimary: textOn(primary),
    primaryText: toHex(readableOnWhite(primary)),
    primarySoft: toHex(soft),
    accent: toHex(accent),
    accentText: toHex(readableOnWhite(accent)),
  };
}

export function applyBranding(branding: Branding | undefined, title: string): void {
  const colours = brandColours(branding);
  const style = document.documentElement.style;
  style.setProperty('--brand', colours.primary);
  style.setProperty('--on-brand', colours.onPrimary);
  style.setProperty('--brand-text', colours.primaryText);
  style.setProperty('--brand-soft', colours.primarySoft);
  style.setProperty('--accent', colours.accent);
  style.setProperty('--accent-text', colours.accentText);
  document.title = title;
}
