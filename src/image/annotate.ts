import sharp from 'sharp';
import type { FaceBox, Point, RgbImage } from '../types.js';

export interface Annotation {
  box: FaceBox;
  /** Text drawn in a filled bar under the box (a name, a score). */
  label?: string;
  landmarks?: readonly Point[];
  /** CSS colour; default green for known/detected faces. */
  color?: string;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An SVG overlay with the boxes, labels and landmark dots, sized to the image. */
export function annotationSvg(width: number, height: number, annotations: readonly Annotation[]): string {
  // Line width and text scale with the photo so marks stay visible on 4K and 240p alike.
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 300));
  const font = Math.max(12, Math.round(Math.min(width, height) / 40));
  const parts: string[] = [];
  for (const a of annotations) {
    const color = a.color ?? '#22c55e';
    const { top, right, bottom, left } = a.box;
    parts.push(
      `<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="${color}" stroke-width="${stroke}"/>`,
    );
    for (const p of a.landmarks ?? []) {
      parts.push(`<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="${stroke}" fill="${color}"/>`);
    }
    if (a.label) {
      const barHeight = Math.round(font * 1.4);
      const barWidth = Math.max(right - left, Math.round(a.label.length * font * 0.62) + 2 * stroke);
      const y = Math.min(bottom, height - barHeight);
      parts.push(`<rect x="${left}" y="${y}" width="${barWidth}" height="${barHeight}" fill="${color}"/>`);
      parts.push(
        `<text x="${left + stroke * 2}" y="${y + barHeight - Math.round(font * 0.35)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#ffffff">${escapeXml(a.label)}</text>`,
      );
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Writes `image` with the annotations drawn over it; the format follows the output extension (JPEG, PNG, WebP…). */
export async function writeAnnotatedImage(image: RgbImage, annotations: readonly Annotation[], outPath: string): Promise<void> {
  const svg = annotationSvg(image.width, image.height, annotations);
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .toFile(outPath);
}
