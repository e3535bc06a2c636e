/**
 * The block diagram's data: the inspector's layers grouped by their name prefix, as the zoo names
 * them (`conv3_block2_1_conv` → `conv3_block2`, `inception4a_branch2_conv` → `inception4a`,
 * `block3_conv1_conv` → `block3`), one box per run of consecutive layers with the same prefix.
 */
import type { InspectedLayer } from '../../../src-main/contract';

export type BlockKind = 'input' | 'stem' | 'block' | 'module' | 'transition' | 'pool' | 'aux' | 'head';

export interface DiagramBlock {
  key: string;
  kind: BlockKind;
  /** The stage a block belongs to (`conv3` for `conv3_block2`); blocks of one stage share a colour. */
  stage: string;
  layers: number;
  params: number;
  macs: number;
  /** The output of the group's last layer. */
  outputShape: number[];
}

const PREFIX = /^([a-z]+\d+[a-z]?(?:_block\d+)?)(?:_|$)/i;

/** The group a layer belongs to: its numbered prefix, or its whole name (`input`, `flatten`, `avg_pool`). */
export function blockKey(layerName: string): string {
  return PREFIX.exec(layerName)?.[1] ?? layerName;
}

function kindOf(key: string, layers: InspectedLayer[]): BlockKind {
  if (key === 'input') return 'input';
  if (/_block\d+$/.test(key)) return 'block';
  if (/^(inception|mixed)/i.test(key)) return 'module';
  if (/^aux/i.test(key)) return 'aux';
  if (/^(fc|logits|flatten|dropout|predictions|classifier)/i.test(key)) return 'head';
  // A DenseNet transition (`pool2`: bn, relu, 1×1 conv, pool) is more than a pooling layer.
  if (/pool/i.test(key)) return layers.some((layer) => layer.macs > 0) ? 'transition' : 'pool';
  return 'stem';
}

export function groupLayers(layers: readonly InspectedLayer[]): DiagramBlock[] {
  const groups: { key: string; layers: InspectedLayer[] }[] = [];
  for (const layer of layers) {
    const key = blockKey(layer.name);
    const last = groups[groups.length - 1];
    if (last && last.key === key) last.layers.push(layer);
    else groups.push({ key, layers: [layer] });
  }
  return groups.map(({ key, layers: members }) => ({
    key,
    kind: kindOf(key, members),
    stage: key.split('_')[0].replace(/[a-z]$/, ''),
    layers: members.length,
    params: members.reduce((sum, layer) => sum + layer.params, 0),
    macs: members.reduce((sum, layer) => sum + layer.macs, 0),
    outputShape: members[members.length - 1].outputShape,
  }));
}

export interface PlacedBlock extends DiagramBlock {
  x: number;
  y: number;
}

export interface DiagramLayout {
  width: number;
  height: number;
  boxWidth: number;
  boxHeight: number;
  blocks: PlacedBlock[];
  /** Arrows from one box to the next, as SVG path data. */
  links: string[];
}

/**
 * Boxes in rows that snake (left to right, then right to left), so every arrow joins neighbours
 * and a 100-block DenseNet still fits a screen.
 */
export function layoutBlocks(blocks: readonly DiagramBlock[], columns = 7, boxWidth = 104, boxHeight = 44, gap = 18): DiagramLayout {
  const placed = blocks.map((block, index) => {
    const row = Math.floor(index / columns);
    const inRow = index % columns;
    const column = row % 2 === 0 ? inRow : columns - 1 - inRow;
    return { ...block, x: gap / 2 + column * (boxWidth + gap), y: gap / 2 + row * (boxHeight + gap) };
  });
  const links: string[] = [];
  for (let i = 1; i < placed.length; i++) {
    const from = placed[i - 1];
    const to = placed[i];
    if (from.y === to.y) {
      const leftToRight = to.x > from.x;
      const x1 = leftToRight ? from.x + boxWidth : from.x;
      const x2 = leftToRight ? to.x : to.x + boxWidth;
      const y = from.y + boxHeight / 2;
      links.push(`M${x1},${y} L${x2},${y}`);
    } else {
      const x = from.x + boxWidth / 2;
      links.push(`M${x},${from.y + boxHeight} L${x},${to.y}`);
    }
  }
  const rows = Math.max(1, Math.ceil(placed.length / columns));
  return {
    width: columns * (boxWidth + gap),
    height: rows * (boxHeight + gap),
    boxWidth,
    boxHeight,
    blocks: placed,
    links,
  };
}
